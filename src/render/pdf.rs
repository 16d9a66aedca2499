//! Laid-out pages to PDF bytes. The writer is ours: printpdf's general serializer spent
//! 60% of a render (callgrind) translating operations and preparing fonts that this
//! document model does not need. Each face used is embedded as a Type0/CIDFontType2 font,
//! subset and renumbered (`subset.rs`), with `/W` widths and a ToUnicode map so text
//! extracts exactly; lines are shown with `TJ`, justified by offsets after each space
//! (word spacing has no effect on two-byte fonts). Output is deterministic: the same
//! pages and metadata give the same bytes.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use flate2::{Compress, Compression, FlushCompress, Status};
use jiff::Timestamp;
use sha2::{Digest, Sha256};

use super::fonts::{FontFace, Fonts};
use super::layout::{HANG_WIDTH, Line, PAGE_HEIGHT, PAGE_WIDTH, Page};
use super::markup::{Face, Span};
use super::subset::subset;

/// What the document's information dictionary says about it.
pub struct Metadata<'a> {
    pub title: &'a str,
    pub author: &'a str,
    pub subject: &'a str,
    /// BCP 47 tag for `/Lang`: `en`, `fr`.
    pub language: &'a str,
    pub created: Timestamp,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot write the PDF: {0}")]
pub struct PdfError(String);

const DRAFT: &str = "DRAFT";

/// A face as used in this document: its characters, and the subset glyph id of each.
struct UsedFace {
    face: Face,
    codes: BTreeMap<char, u16>,
}

/// Writes `pages` as a PDF; `draft` puts a DRAFT watermark on every page.
pub fn write(pages: &[Page], meta: &Metadata<'_>, draft: bool) -> Result<Vec<u8>, PdfError> {
    let fonts = Fonts::get();
    let used = used_faces(pages, draft);
    let mut pdf = Writer::new();
    // Object numbers: 1 catalog, 2 page tree, 3 info, then five per face, then two per page.
    let (catalog, tree, info) = (1, 2, 3);
    let face_ids: Vec<u32> = (0..used.len() as u32).map(|i| 4 + 5 * i).collect();
    let first_page = 4 + 5 * used.len() as u32;

    let mut encoded: Vec<UsedFace> = Vec::with_capacity(used.len());
    for ((face, chars), &id) in used.into_iter().zip(&face_ids) {
        encoded.push(write_font(&mut pdf, fonts.face(face), face, &chars, id)?);
    }

    let font_resources: String = encoded
        .iter()
        .zip(&face_ids)
        .map(|(u, id)| format!("/F{} {id} 0 R", u.face as usize))
        .collect();
    let mut kids = String::new();
    for (i, page) in pages.iter().enumerate() {
        let (page_id, content_id) = (first_page + 2 * i as u32, first_page + 2 * i as u32 + 1);
        let content = page_content(page, &encoded, draft);
        pdf.stream(content_id, "", &content)?;
        pdf.object(
            page_id,
            &format!(
                "<</Type/Page/Parent {tree} 0 R/MediaBox[0 0 {PAGE_WIDTH} {PAGE_HEIGHT}]\
                 /Resources<</Font<<{font_resources}>>>>/Contents {content_id} 0 R>>"
            ),
        );
        let _ = write!(kids, "{page_id} 0 R ");
    }
    pdf.object(
        tree,
        &format!(
            "<</Type/Pages/Kids[{}]/Count {}>>",
            kids.trim_end(),
            pages.len()
        ),
    );
    pdf.object(
        catalog,
        &format!(
            "<</Type/Catalog/Pages {tree} 0 R/Lang{}>>",
            text_string(meta.language)
        ),
    );
    let date = format!("(D:{}Z)", meta.created.strftime("%Y%m%d%H%M%S"));
    pdf.object(
        info,
        &format!(
            "<</Title{}/Author{}/Subject{}/Creator(notesd)/Producer(notesd {})/CreationDate{date}/ModDate{date}>>",
            text_string(meta.title),
            text_string(meta.author),
            text_string(meta.subject),
            env!("CARGO_PKG_VERSION"),
        ),
    );
    Ok(pdf.finish(catalog, info))
}

/// The characters drawn in each face, in face order.
fn used_faces(pages: &[Page], draft: bool) -> BTreeMap<Face, BTreeSet<char>> {
    let mut used: BTreeMap<Face, BTreeSet<char>> = BTreeMap::new();
    let mut add = |span: &Span| used.entry(span.face).or_default().extend(span.text.chars());
    for line in pages.iter().flat_map(|p| &p.lines) {
        line.spans.iter().chain(&line.hang).for_each(&mut add);
    }
    if draft {
        add(&Span {
            face: Face::Bold,
            text: DRAFT.to_owned(),
        });
    }
    used
}

/// Writes a face's five objects (Type0 font, CIDFont, descriptor, font file, ToUnicode)
/// from object `id` on, and returns how its characters are encoded.
fn write_font(
    pdf: &mut Writer,
    font: &FontFace,
    face: Face,
    chars: &BTreeSet<char>,
    id: u32,
) -> Result<UsedFace, PdfError> {
    let program = &font.program;
    // Characters that share a glyph (a space and a no-break space) share its code.
    let mut glyphs: Vec<u16> = Vec::with_capacity(chars.len());
    let mut glyph_of_char = Vec::with_capacity(chars.len());
    for &c in chars {
        let gid = font.glyph_id(c).unwrap_or(0);
        if gid != 0 && !glyphs.contains(&gid) {
            glyphs.push(gid);
        }
        glyph_of_char.push((c, gid));
    }
    let subset = subset(program, &glyphs).map_err(|e| PdfError(e.to_string()))?;
    let new_of_old: BTreeMap<u16, u16> = subset
        .old_ids
        .iter()
        .enumerate()
        .map(|(new, old)| (*old, new as u16))
        .collect();
    let codes: BTreeMap<char, u16> = glyph_of_char
        .iter()
        .map(|(c, gid)| (*c, new_of_old.get(gid).copied().unwrap_or(0)))
        .collect();

    let scale = |v: f32| (v * 1000.0 / f32::from(program.units_per_em)).round() as i32;
    let mut widths = String::new();
    for &old in &subset.old_ids[1..] {
        let advance = program.metrics(old).map_err(|e| PdfError(e.to_string()))?.0;
        let _ = write!(widths, "{} ", scale(f32::from(advance)));
    }
    let mut to_unicode = BTreeMap::new();
    for (c, code) in &codes {
        to_unicode.entry(*code).or_insert(*c);
    }
    let name = format!("{}+{}", subset_tag(&subset.old_ids), font.postscript_name);
    let [x0, y0, x1, y1] = program.bbox.map(|v| scale(f32::from(v)));
    let italic = matches!(face, Face::Italic | Face::BoldItalic);
    let flags = 2 + 32 + if italic { 64 } else { 0 }; // serif, non-symbolic, italic

    let (type0, cid_font, descriptor, file, cmap) = (id, id + 1, id + 2, id + 3, id + 4);
    pdf.object(
        type0,
        &format!("<</Type/Font/Subtype/Type0/BaseFont/{name}/Encoding/Identity-H/DescendantFonts[{cid_font} 0 R]/ToUnicode {cmap} 0 R>>"),
    );
    pdf.object(
        cid_font,
        &format!(
            "<</Type/Font/Subtype/CIDFontType2/BaseFont/{name}/CIDSystemInfo<</Registry(Adobe)/Ordering(Identity)/Supplement 0>>\
             /FontDescriptor {descriptor} 0 R/CIDToGIDMap/Identity/DW 0/W[1[{}]]>>",
            widths.trim_end()
        ),
    );
    pdf.object(
        descriptor,
        &format!(
            "<</Type/FontDescriptor/FontName/{name}/Flags {flags}/FontBBox[{x0} {y0} {x1} {y1}]/ItalicAngle {}\
             /Ascent {}/Descent {}/CapHeight {}/StemV 80/FontFile2 {file} 0 R>>",
            program.italic_angle,
            scale(f32::from(program.ascent)),
            scale(f32::from(program.descent)),
            scale(f32::from(program.cap_height)),
        ),
    );
    pdf.stream(
        file,
        &format!("/Length1 {}", subset.program.len()),
        &subset.program,
    )?;
    pdf.stream(cmap, "", to_unicode_cmap(&to_unicode).as_bytes())?;
    Ok(UsedFace { face, codes })
}

/// `ABCDEF`: six capitals derived from the glyphs a subset holds, as subset fonts are named.
fn subset_tag(glyphs: &[u16]) -> String {
    let hash = glyphs.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, g| {
        (h ^ u64::from(*g)).wrapping_mul(0x100_0000_01b3)
    });
    (0..6)
        .map(|i| char::from(b'A' + ((hash >> (i * 7)) % 26) as u8))
        .collect()
}

fn to_unicode_cmap(map: &BTreeMap<u16, char>) -> String {
    let mut out = String::from(
        "/CIDInit/ProcSet findresource begin 12 dict begin begincmap\n\
         /CIDSystemInfo<</Registry(Adobe)/Ordering(UCS)/Supplement 0>>def\n\
         /CMapName/Adobe-Identity-UCS def/CMapType 2 def\n\
         1 begincodespacerange <0000><FFFF> endcodespacerange\n",
    );
    let entries: Vec<_> = map.iter().collect();
    for chunk in entries.chunks(100) {
        let _ = writeln!(out, "{} beginbfchar", chunk.len());
        for (code, c) in chunk {
            let mut units = [0u16; 2];
            let utf16: String = c
                .encode_utf16(&mut units)
                .iter()
                .map(|u| format!("{u:04X}"))
                .collect();
            let _ = writeln!(out, "<{code:04X}><{utf16}>");
        }
        out.push_str("endbfchar\n");
    }
    out.push_str("endcmap CMapName currentdict/CMap defineresource pop end end\n");
    out
}

/// The content stream of one page.
fn page_content(page: &Page, faces: &[UsedFace], draft: bool) -> Vec<u8> {
    let mut out = String::with_capacity(8 * 1024);
    let encoding = |face: Face| faces.iter().find(|u| u.face == face);
    if draft && let Some(bold) = encoding(Face::Bold) {
        // A large light-grey DRAFT across the page, under the text, and a small one in the
        // top margin: text extractors skip diagonal text, and a draft must read as one.
        let (cos, sin) = (
            std::f32::consts::FRAC_1_SQRT_2,
            std::f32::consts::FRAC_1_SQRT_2,
        );
        let _ = writeln!(
            out,
            "q 0.85 g BT/F{f} 120 Tf {cos:.4} {sin:.4} {:.4} {cos:.4} 150 250 Tm<{hex}>Tj \
             0.45 g/F{f} 10 Tf 1 0 0 1 {:.2} {:.2} Tm<{hex}>Tj ET Q",
            -sin,
            PAGE_WIDTH / 2.0 - 17.0,
            PAGE_HEIGHT - 28.0,
            f = Face::Bold as usize,
            hex = hex(DRAFT, bold),
        );
    }
    if !page.rules.is_empty() {
        out.push_str("0.5 w\n");
        for rule in &page.rules {
            let _ = writeln!(
                out,
                "{:.2} {:.2} m {:.2} {:.2} l S",
                rule.x1, rule.y, rule.x2, rule.y
            );
        }
    }
    out.push_str("BT\n");
    let mut current: Option<(Face, f32)> = None;
    for line in &page.lines {
        if let Some(label) = &line.hang {
            show(
                &mut out,
                &mut current,
                line.x - HANG_WIDTH,
                line,
                std::slice::from_ref(label),
                0.0,
                &encoding,
            );
        }
        show(
            &mut out,
            &mut current,
            line.x,
            line,
            &line.spans,
            line.word_gap,
            &encoding,
        );
    }
    out.push_str("ET\n");
    out.into_bytes()
}

/// Shows `spans` from (x, line.y), setting the font only when the face or size changes; a
/// justified line carries `word_gap` after each space as a TJ offset (thousandths of an
/// em, negative moves right).
fn show<'a>(
    out: &mut String,
    current: &mut Option<(Face, f32)>,
    x: f32,
    line: &Line,
    spans: &[Span],
    word_gap: f32,
    encoding: &impl Fn(Face) -> Option<&'a UsedFace>,
) {
    let _ = writeln!(out, "1 0 0 1 {x:.2} {:.2} Tm", line.y);
    let offset = -word_gap * 1000.0 / line.size;
    for span in spans {
        let Some(face) = encoding(span.face) else {
            continue;
        };
        if *current != Some((span.face, line.size)) {
            let _ = write!(out, "/F{} {} Tf ", span.face as usize, line.size);
            *current = Some((span.face, line.size));
        }
        if offset.abs() < 0.05 {
            let _ = writeln!(out, "<{}>Tj", hex(&span.text, face));
        } else {
            out.push('[');
            for word in span.text.split_inclusive(' ') {
                let _ = write!(out, "<{}>", hex(word, face));
                if word.ends_with(' ') {
                    let _ = write!(out, "{offset:.1}");
                }
            }
            out.push_str("]TJ\n");
        }
    }
}

/// `text` as two-byte glyph codes in hex.
fn hex(text: &str, face: &UsedFace) -> String {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(text.len() * 4);
    for c in text.chars() {
        let code = face.codes.get(&c).copied().unwrap_or(0);
        for shift in [12, 8, 4, 0] {
            out.push(char::from(DIGITS[usize::from((code >> shift) & 0xF)]));
        }
    }
    out
}

/// A PDF text string: a literal for printable ASCII, else UTF-16BE with a byte order mark.
fn text_string(text: &str) -> String {
    if text.chars().all(|c| c.is_ascii() && !c.is_ascii_control()) {
        let mut out = String::with_capacity(text.len() + 2);
        out.push('(');
        for c in text.chars() {
            if matches!(c, '(' | ')' | '\\') {
                out.push('\\');
            }
            out.push(c);
        }
        out.push(')');
        out
    } else {
        let units: String = text.encode_utf16().map(|u| format!("{u:04X}")).collect();
        format!("<FEFF{units}>")
    }
}

/// Objects numbered by the caller, written in any order; the cross-reference table is
/// built at the end.
struct Writer {
    out: Vec<u8>,
    offsets: BTreeMap<u32, usize>,
    deflate: Compress,
}

impl Writer {
    fn new() -> Self {
        let mut out = Vec::with_capacity(32 * 1024);
        out.extend_from_slice(b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n");
        Self {
            out,
            offsets: BTreeMap::new(),
            deflate: Compress::new(Compression::new(6), true),
        }
    }

    fn object(&mut self, id: u32, body: &str) {
        self.offsets.insert(id, self.out.len());
        self.out
            .extend_from_slice(format!("{id} 0 obj\n{body}\nendobj\n").as_bytes());
    }

    /// A deflated stream; `extra` goes into its dictionary.
    fn stream(&mut self, id: u32, extra: &str, data: &[u8]) -> Result<(), PdfError> {
        self.deflate.reset();
        let mut packed = Vec::with_capacity(data.len() / 2 + 64);
        loop {
            let consumed = self.deflate.total_in() as usize;
            let status = self
                .deflate
                .compress_vec(&data[consumed..], &mut packed, FlushCompress::Finish)
                .map_err(|e| PdfError(e.to_string()))?;
            if status == Status::StreamEnd {
                break;
            }
            packed.reserve(packed.capacity().max(1024));
        }
        self.offsets.insert(id, self.out.len());
        self.out.extend_from_slice(
            format!(
                "{id} 0 obj\n<</Length {}/Filter/FlateDecode{extra}>>stream\n",
                packed.len()
            )
            .as_bytes(),
        );
        self.out.extend_from_slice(&packed);
        self.out.extend_from_slice(b"\nendstream\nendobj\n");
        Ok(())
    }

    /// The cross-reference table and trailer; the file identifier is a digest of the body.
    fn finish(mut self, root: u32, info: u32) -> Vec<u8> {
        let xref = self.out.len();
        let size = self.offsets.keys().max().map_or(1, |m| m + 1);
        let mut table = format!("xref\n0 {size}\n0000000000 65535 f \n");
        for id in 1..size {
            let offset = self.offsets.get(&id).copied().unwrap_or(0);
            let _ = writeln!(table, "{offset:010} 00000 n ");
        }
        let digest = Sha256::digest(&self.out);
        let id: String = digest[..16].iter().map(|b| format!("{b:02X}")).collect();
        let _ = write!(
            table,
            "trailer\n<</Size {size}/Root {root} 0 R/Info {info} 0 R/ID[<{id}><{id}>]>>\nstartxref\n{xref}\n%%EOF\n"
        );
        self.out.extend_from_slice(table.as_bytes());
        self.out
    }
}
