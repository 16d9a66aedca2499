//! `notesd render` as a user runs it, checked with the tools delegations' systems use:
//! poppler (pdftotext, pdffonts, pdfinfo) and qpdf. CI installs both.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_notesd");

fn tool(name: &str, args: &[&str]) -> String {
    let out = Command::new(name).args(args).output().unwrap_or_else(|e| {
        panic!("{name} is needed for these tests (apt-get install poppler-utils qpdf): {e}")
    });
    assert!(
        out.status.success(),
        "{name} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn render(dir: &Path, spec: &Value, extra: &[&str]) -> (Output, PathBuf) {
    let spec_path = dir.join("spec.json");
    std::fs::write(&spec_path, spec.to_string()).unwrap();
    render_file(&spec_path, extra)
}

fn render_file(spec_path: &Path, extra: &[&str]) -> (Output, PathBuf) {
    let pdf = spec_path.with_extension("pdf");
    let out = Command::new(BIN)
        .args([
            "render",
            spec_path.to_str().unwrap(),
            "-o",
            pdf.to_str().unwrap(),
        ])
        .args(extra)
        .output()
        .unwrap();
    (out, pdf)
}

fn rendered(dir: &Path, spec: &Value, extra: &[&str]) -> PathBuf {
    let (out, pdf) = render(dir, spec, extra);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    pdf
}

fn text(pdf: &Path, page: Option<usize>) -> String {
    let path = pdf.to_str().unwrap();
    match page {
        Some(n) => tool(
            "pdftotext",
            &["-f", &n.to_string(), "-l", &n.to_string(), path, "-"],
        ),
        None => tool("pdftotext", &[path, "-"]),
    }
}

/// The document's text page by page without the two footer lines, so that a paragraph
/// split across pages reads as one (plain pdftotext puts the footer inside it).
fn body_text(pdf: &Path) -> String {
    (1..=pages(pdf))
        .map(|page| {
            let n = page.to_string();
            let layout = tool(
                "pdftotext",
                &["-layout", "-f", &n, "-l", &n, pdf.to_str().unwrap(), "-"],
            );
            let lines: Vec<&str> = layout.lines().filter(|l| !l.trim().is_empty()).collect();
            lines[..lines.len().saturating_sub(2)].join("\n")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn normalised(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Each of `expected` occurs in `haystack`, in this order.
fn assert_in_order(haystack: &str, expected: &[String]) {
    let text = normalised(haystack);
    let mut from = 0;
    for item in expected {
        let item = normalised(item);
        match text[from..].find(&item) {
            Some(at) => from += at + item.len(),
            None => panic!(
                "not found in order: {item:?}\nafter: {:?}",
                &text[from..text.len().min(from + 300)]
            ),
        }
    }
}

/// `pdf` sealed as an issued note is, with a self-signed certificate, beside it; pyHanko
/// (tests/seal/validate.py) must find the seal intact over the whole file.
fn sealed(pdf: &Path) -> PathBuf {
    let p12 = notesd::seal::self_signed("Presidency of the Council", "render").unwrap();
    let now = jiff::Timestamp::now();
    let seal = notesd::seal::Seal::from_pkcs12(&p12, "render", now).unwrap();
    let bytes = seal.apply(&std::fs::read(pdf).unwrap(), now).unwrap();
    let out = pdf.with_extension("sealed.pdf");
    std::fs::write(&out, bytes).unwrap();
    let certificate = pdf.with_extension("der");
    std::fs::write(&certificate, seal.certificate()).unwrap();
    let found = tool(
        "python3",
        &[
            "tests/seal/validate.py",
            certificate.to_str().unwrap(),
            out.to_str().unwrap(),
        ],
    );
    let found: Value = serde_json::from_str(&found).unwrap();
    assert_eq!(found["bottom_line"], true, "{found}");
    assert_eq!(found["coverage"], "ENTIRE_FILE", "{found}");
    assert_eq!(found["ades"], "AdESPassed.OK", "{found}");
    tool("qpdf", &["--check", out.to_str().unwrap()]);
    out
}

fn seed(language: &str) -> Value {
    let text = std::fs::read_to_string(format!("tests/data/6762-22-{language}.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn pages(pdf: &Path) -> usize {
    let info = tool("pdfinfo", &[pdf.to_str().unwrap()]);
    let line = info
        .lines()
        .find(|l| l.starts_with("Pages:"))
        .expect("a page count");
    line.split_whitespace().last().unwrap().parse().unwrap()
}

#[test]
fn the_seed_note_reads_back_as_published_in_english_and_french() {
    let dir = tempfile::tempdir().unwrap();
    let headers = [
        (
            "en",
            [
                "Council of the European Union",
                "Brussels, 3 March 2022 (OR. fr)",
                "NOTE",
                "From:",
                "Presidency",
                "To:",
                "Delegations",
                "No. prev. doc.:",
                "Subject:",
            ],
        ),
        (
            "fr",
            [
                "Conseil de l'Union européenne",
                "Bruxelles, le 3 mars 2022 (OR. fr)",
                "NOTE",
                "Origine:",
                "la présidence",
                "Destinataire:",
                "délégations",
                "N° doc. préc.:",
                "Objet:",
            ],
        ),
    ];
    for (language, header) in headers {
        let spec = seed(language);
        // As issued: sealed, the seal an incremental update that leaves the text as it was.
        let pdf = sealed(&rendered(dir.path(), &spec, &[]));
        let mut expected: Vec<String> = header[..2].iter().map(|s| s.to_string()).collect();
        expected.push("6762/22".into());
        expected
            .push("JAI 274 JAIEX 22 COLAC 12 COSI 57 CRIMORG 27 ENFOPOL 105 CORDROGUE 22".into());
        expected.extend(header[2..8].iter().map(|s| s.to_string()));
        expected.push("6314/1/22".into());
        expected.push(header[8].into());
        expected.push(spec["subject"].as_str().unwrap().into());
        for paragraph in spec["body"].as_str().unwrap().split("\n\n") {
            expected.push(paragraph.trim_start_matches("# ").into());
        }
        assert_in_order(&text(&pdf, None), &expected);
        assert_in_order(&body_text(&pdf), &expected);
        let info = tool("pdfinfo", &[pdf.to_str().unwrap()]);
        assert!(info.contains("Subject:         6762/22"), "{info}");
        assert!(
            info.contains(&format!(
                "Title:           {}",
                &spec["subject"].as_str().unwrap()[..40]
            )),
            "{info}"
        );
    }
}

#[test]
fn a_long_note_spans_pages_with_a_footer_each_and_subset_fonts() {
    let dir = tempfile::tempdir().unwrap();
    let mut spec = seed("en");
    let paragraphs: Vec<String> = (1..=30)
        .map(|i| format!("{i}. Paragraph {i} of the note. {}", "Delegations are invited to examine the text and to indicate whether they can accept it. ".repeat(3)))
        .collect();
    spec["body"] = paragraphs.join("\n\n").into();
    spec["marking"] = "LIMITE".into();
    spec["initials"] = "EB, FR/dk".into();
    spec["commission_doc"] = "COM(2021) 123 final".into();
    let pdf = rendered(dir.path(), &spec, &[]);
    let count = pages(&pdf);
    assert!(count >= 3, "{count} pages");
    for page in 1..=count {
        // -layout keeps each footer line together (plain mode reads its three columns).
        let n = page.to_string();
        let layout = tool(
            "pdftotext",
            &["-layout", "-f", &n, "-l", &n, pdf.to_str().unwrap(), "-"],
        );
        let lines: Vec<String> = layout
            .lines()
            .map(normalised)
            .filter(|l| !l.is_empty())
            .collect();
        let footer = &lines[lines.len() - 2..];
        assert_eq!(
            footer,
            [
                format!("6762/22 EB, FR/dk {page}"),
                "JAI.1 LIMITE EN".to_owned()
            ],
            "page {page}"
        );
        assert!(!layout.contains("DRAFT"));
    }
    assert!(
        !normalised(&text(&pdf, Some(2))).contains("Council of the European Union"),
        "header on page 1 only"
    );
    assert_in_order(&body_text(&pdf), &paragraphs);
    assert_in_order(
        &text(&pdf, Some(1)),
        &[
            "6314/1/22".into(),
            "No. Cion doc.:".into(),
            "COM(2021) 123 final".into(),
            "Subject:".into(),
        ],
    );

    let fonts = tool("pdffonts", &[pdf.to_str().unwrap()]);
    let rows: Vec<&str> = fonts.lines().skip(2).collect();
    assert!(!rows.is_empty());
    for row in rows {
        let name = row.split_whitespace().next().unwrap();
        assert!(
            name.len() > 7
                && name.as_bytes()[6] == b'+'
                && name[..6].bytes().all(|b| b.is_ascii_uppercase()),
            "not a subset: {row}"
        );
        assert!(
            row.contains("yes yes yes"),
            "embedded, subset, unicode: {row}"
        );
    }
    tool("qpdf", &["--check", pdf.to_str().unwrap()]);

    let draft = rendered(dir.path(), &spec, &["--draft"]);
    for page in 1..=pages(&draft) {
        assert!(
            text(&draft, Some(page)).contains("DRAFT"),
            "page {page} is marked"
        );
    }
    tool("qpdf", &["--check", draft.to_str().unwrap()]);
}

#[test]
fn accents_greek_and_cyrillic_extract_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let mut spec = seed("fr");
    let lines = [
        "é è à ç œ Œ ’ «\u{202F}guillemets\u{202F}» ß ł ż ą ę ő ű č š ž",
        "Ελληνικά: Κοινή δήλωση των υπουργών Εσωτερικών",
        "Български: Съвместна декларация на министрите на вътрешните работи",
        "Ligatures stay letters: office, affine, fluffy, œuvre.",
    ];
    spec["body"] = lines.join("\n\n").into();
    spec["subject"] = "Déclaration « ministres » — Ελληνικά — Български".into();
    let pdf = rendered(dir.path(), &spec, &[]);
    let extracted = text(&pdf, None);
    for line in lines
        .iter()
        .chain([&"Déclaration « ministres » — Ελληνικά — Български"])
    {
        // The PDF maps U+202F to itself (ToUnicode), but poppler prints every Unicode
        // space as U+0020, so that is what pdftotext can give back.
        let line = line.replace('\u{202F}', " ");
        assert!(extracted.contains(&line), "{line:?} not in:\n{extracted}");
    }
}

#[test]
fn toml_specs_and_templates_render() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("note.toml");
    std::fs::write(
        &path,
        r#"
kind = "cover-note"
language = "de"
date = "2022-03-03"
number = "9645/2/24 ADD 1 REV 2"
codes = ["JAI 1"]
from = "Vorsitz"
to = "Delegationen"
subject = "Gemeinsame Erklärung"
unit = "JAI.1"
initials = "AB/cd"
template = "cover-declaration"
[fields]
description = "die Erklärung"
title = "Erklärung"
declaration = "Wir **erklären**."
"#,
    )
    .unwrap();
    let (out, pdf) = render_file(&path, &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expected: Vec<String> = [
        "Rat der Europäischen Union",
        "Brüssel, den 3. März 2022 (OR. de)",
        "9645/2/24 ADD 1 REV 2",
        "ÜBERMITTLUNGSVERMERK",
        "Absender:",
        "Vorsitz",
        "Betr.:",
        "Delegations will find attached die Erklärung.",
        "Erklärung",
        "Wir erklären.",
    ]
    .map(String::from)
    .to_vec();
    assert_in_order(&text(&pdf, None), &expected);
}

#[test]
fn bad_specs_exit_1_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (json!({"language": "xx"}), "language"),
        (json!({"number": null}), "number: is required"),
        (json!({"codes": ["JAI"]}), "codes[0]"),
        (
            json!({"template": "cover-declaration", "body": null, "fields": {"title": "t"}}),
            "cover-declaration.hbs line 1",
        ),
        (json!({"subject": "漢字"}), "subject: the character '漢'"),
        (
            json!({"kind": "information-note", "language": "lt"}),
            "labels/lt.toml",
        ),
    ];
    for (patch, expected) in cases {
        let mut spec = seed("en");
        for (k, v) in patch.as_object().unwrap() {
            if v.is_null() {
                spec.as_object_mut().unwrap().remove(k);
            } else {
                spec[k] = v.clone();
            }
        }
        let (out, pdf) = render(dir.path(), &spec, &[]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{patch}: {stderr}");
        assert!(stderr.contains(expected), "{patch}: {stderr}");
        assert!(!pdf.exists(), "no PDF for a bad spec");
    }
    let other = dir.path().join("spec.yaml");
    std::fs::write(&other, "x").unwrap();
    let (out, _) = render_file(&other, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains(".json or .toml"));
    let (out, _) = render_file(&dir.path().join("missing.json"), &[]);
    assert_eq!(out.status.code(), Some(1));
}

/// A PDF's objects as `qpdf --json` reads them, streams decoded, to check its structure.
struct Objects(Value);

impl Objects {
    fn of(pdf: &Path) -> Self {
        let json = tool(
            "qpdf",
            &["--json", "--json-stream-data=inline", pdf.to_str().unwrap()],
        );
        let all: Value = serde_json::from_str(&json).unwrap();
        Self(all["qpdf"][1].clone())
    }

    fn trailer(&self) -> &Value {
        &self.0["trailer"]["value"]
    }

    /// The dictionary `reference` ("12 0 R") names, a stream's included.
    fn get(&self, reference: &Value) -> &Value {
        let object = &self.0[format!("obj:{}", reference.as_str().unwrap())];
        object.get("value").unwrap_or(&object["stream"]["dict"])
    }

    fn stream(&self, reference: &Value) -> Vec<u8> {
        use base64::Engine as _;
        let object = &self.0[format!("obj:{}", reference.as_str().unwrap())];
        let data = object["stream"]["data"].as_str().unwrap();
        base64::engine::general_purpose::STANDARD
            .decode(data)
            .unwrap()
    }

    fn root(&self) -> &Value {
        self.get(&self.trailer()["/Root"])
    }

    /// Every dictionary of `/Type` `kind`, streams included.
    fn of_type(&self, kind: &str) -> Vec<&Value> {
        let objects = self.0.as_object().unwrap().values();
        objects
            .map(|o| o.get("value").unwrap_or(&o["stream"]["dict"]))
            .filter(|d| d["/Type"] == kind)
            .collect()
    }

    /// The structure element `reference` and its descendants as `S(kid kid …)`.
    fn outline(&self, reference: &Value) -> String {
        let element = self.get(reference);
        let kids: Vec<String> = match &element["/K"] {
            Value::Array(kids) => kids.iter(),
            kid => std::slice::from_ref(kid).iter(),
        }
        .filter(|kid| kid.is_string())
        .map(|kid| self.outline(kid))
        .collect();
        let name = element["/S"].as_str().unwrap().trim_start_matches('/');
        if kids.is_empty() {
            name.to_owned()
        } else {
            format!("{name}({})", kids.join(" "))
        }
    }
}

#[test]
fn issued_notes_are_pdf_a_2b_and_drafts_are_not() {
    let dir = tempfile::tempdir().unwrap();
    let spec = seed("fr");
    // Checked on the sealed file: the seal keeps every requirement.
    let pdf = Objects::of(&sealed(&rendered(dir.path(), &spec, &[])));
    let root = pdf.root();
    let xmp = String::from_utf8(pdf.stream(&root["/Metadata"])).unwrap();
    for expected in [
        "<pdfaid:part>2</pdfaid:part>",
        "<pdfaid:conformance>B</pdfaid:conformance>",
        &format!(
            "<dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">{}</rdf:li>",
            spec["subject"].as_str().unwrap()
        ),
        "<dc:creator><rdf:Seq><rdf:li>la présidence</rdf:li></rdf:Seq></dc:creator>",
        "<dc:identifier>6762/22</dc:identifier>",
        "<dc:language><rdf:Bag><rdf:li>fr</rdf:li></rdf:Bag></dc:language>",
    ] {
        assert!(xmp.contains(expected), "{expected} not in\n{xmp}");
    }
    let info = pdf.get(&pdf.trailer()["/Info"]);
    let date = info["/CreationDate"].as_str().unwrap();
    let (y, rest) = date.trim_start_matches("u:D:").split_at(4);
    let xmp_date = format!("<xmp:CreateDate>{y}-{}-{}T", &rest[..2], &rest[2..4]);
    assert!(xmp.contains(&xmp_date), "{date} vs\n{xmp}");

    let intents = root["/OutputIntents"].as_array().unwrap();
    assert_eq!(intents.len(), 1);
    assert_eq!(intents[0]["/S"], "/GTS_PDFA1");
    let profile = &intents[0]["/DestOutputProfile"];
    assert_eq!(pdf.get(profile)["/N"], 3);
    let icc = pdf.stream(profile);
    assert_eq!(&icc[36..40], b"acsp", "an ICC profile");
    assert_eq!(&icc[16..20], b"RGB ", "for RGB");

    let descriptors = pdf.of_type("/FontDescriptor");
    assert!(!descriptors.is_empty());
    for descriptor in descriptors {
        assert!(descriptor["/FontFile2"].is_string(), "{descriptor}");
    }
    assert!(pdf.trailer().get("/Encrypt").is_none());
    let id = pdf.trailer()["/ID"].as_array().unwrap();
    assert!(id.len() == 2 && id[0].as_str().unwrap().len() > 10);

    let draft = Objects::of(&rendered(dir.path(), &spec, &["--draft"]));
    assert!(draft.root().get("/Metadata").is_none());
    assert!(draft.root().get("/OutputIntents").is_none());
}

#[test]
fn the_structure_tree_follows_the_reading_order_and_furniture_is_artifact() {
    let dir = tempfile::tempdir().unwrap();
    let mut spec = seed("en");
    spec["marking"] = "LIMITE".into();
    spec["body"] = "Delegations will find attached the text.\n\n# The points\n\n\
        1. first point\n2. second point\n\n   - a nested point\n\nClosing paragraph."
        .into();
    for draft in [false, true] {
        let path = if draft {
            rendered(dir.path(), &spec, &["--draft"])
        } else {
            sealed(&rendered(dir.path(), &spec, &[]))
        };
        let pdf = Objects::of(&path);
        let root = pdf.root();
        assert_eq!(root["/Lang"], "u:en");
        assert_eq!(root["/MarkInfo"]["/Marked"], true);
        assert_eq!(root["/ViewerPreferences"]["/DisplayDocTitle"], true);
        let tree = pdf.get(&root["/StructTreeRoot"]);
        let rows = "TR(TH TD) ".repeat(4);
        assert_eq!(
            pdf.outline(&tree["/K"]),
            format!(
                "Document(P P P P P H1 Table({}) P H2 \
                 L(LI(Lbl LBody) LI(Lbl LBody(L(LI(Lbl LBody))))) P)",
                rows.trim_end()
            ),
            "institution, place and date, number, marking, codes, kind, rows, body"
        );
        // Each page's marked content is in the parent tree, one entry per id, and the
        // footer, rules and marks are artifacts outside the tree.
        let parents = tree["/ParentTree"]["/Nums"].as_array().unwrap();
        let pages = pdf.of_type("/Page");
        assert_eq!(parents.len(), 2 * pages.len());
        for page in pages {
            let n = page["/StructParents"].as_u64().unwrap() as usize;
            let content = String::from_utf8_lossy(&pdf.stream(&page["/Contents"])).into_owned();
            let ids = content.matches("/MCID").count();
            assert_eq!(parents[2 * n + 1].as_array().unwrap().len(), ids);
            let artifacts = content.matches("/Artifact").count();
            assert!(artifacts >= 7 + usize::from(draft), "{artifacts} artifacts");
        }
    }
}
