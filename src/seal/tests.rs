use jiff::{SignedDuration, Timestamp};
use lopdf::{Dictionary, Document, Object, Stream};

use super::*;

fn inspect(pdf: &[u8]) -> Option<Inspection> {
    super::inspect(pdf, &Document::load_mem(pdf).expect("a PDF"))
}

const PASSWORD: &str = "correct horse";

fn seal() -> Seal {
    let p12 = self_signed("Presidency of the Council", PASSWORD).expect("a test certificate");
    Seal::from_pkcs12(&p12, PASSWORD, Timestamp::now()).expect("it reads back")
}

/// A one-page PDF, written with object streams as the renderer writes issued notes.
fn pdf() -> Vec<u8> {
    let mut document = Document::with_version("1.7");
    let content = document.add_object(Stream::new(Dictionary::new(), b"BT ET".to_vec()));
    let pages = document.new_object_id();
    let page = document.add_object(Dictionary::from_iter([
        ("Type", Object::Name(b"Page".to_vec())),
        ("Parent", Object::Reference(pages)),
        ("Contents", Object::Reference(content)),
        (
            "MediaBox",
            Object::Array(vec![0.into(), 0.into(), 595.into(), 842.into()]),
        ),
    ]));
    document.objects.insert(
        pages,
        Object::Dictionary(Dictionary::from_iter([
            ("Type", Object::Name(b"Pages".to_vec())),
            ("Kids", Object::Array(vec![Object::Reference(page)])),
            ("Count", Object::Integer(1)),
        ])),
    );
    let catalog = document.add_object(Dictionary::from_iter([
        ("Type", Object::Name(b"Catalog".to_vec())),
        ("Pages", Object::Reference(pages)),
    ]));
    document.trailer.set("Root", catalog);
    let options = lopdf::SaveOptions::builder()
        .use_object_streams(true)
        .use_xref_streams(true)
        .build();
    let mut out = Vec::new();
    document
        .save_with_options(&mut out, options)
        .expect("an in-memory PDF");
    out
}

#[test]
fn a_self_signed_certificate_reads_back_with_its_name() {
    let seal = seal();
    assert_eq!(seal.subject(), "CN=Presidency of the Council");
    assert!(!seal.certificate().is_empty());
    let p12 = self_signed("Presidency", PASSWORD).expect("a test certificate");
    let e = Seal::from_pkcs12(&p12, "wrong", Timestamp::now())
        .err()
        .expect("the wrong password is refused");
    assert!(matches!(e, SealError::Pkcs12(_)), "{e}");
    let later = Timestamp::now() + SignedDuration::from_hours(24 * 366 * 4);
    let e = Seal::from_pkcs12(&p12, PASSWORD, later)
        .err()
        .expect("an expired certificate is refused");
    assert!(e.to_string().contains("is valid from"), "{e}");
}

#[test]
fn a_sealed_pdf_keeps_its_bytes_and_its_seal_checks() {
    let seal = seal();
    let original = pdf();
    let sealed = seal.apply(&original, Timestamp::now()).expect("sealed");
    assert_eq!(
        &sealed[..original.len()],
        &original[..],
        "an incremental update"
    );
    let found = inspect(&sealed).expect("a seal");
    assert_eq!(found.problem, None);
    assert!(found.intact && found.whole_file);
    assert_eq!(found.signer, seal.certificate());
    assert_eq!(inspect(&original), None);
}

#[test]
fn a_changed_byte_or_an_appended_revision_is_seen() {
    let seal = seal();
    let original = pdf();
    let sealed = seal.apply(&original, Timestamp::now()).expect("sealed");
    let mut changed = sealed.clone();
    let at = changed
        .windows(5)
        .position(|w| w == b"BT ET")
        .expect("the page's content");
    changed[at] = b'X';
    let found = inspect(&changed).expect("still a seal");
    assert!(!found.intact);
    assert!(
        found
            .problem
            .expect("a reason")
            .contains("changed after it was sealed")
    );

    let mut appended = sealed.clone();
    appended.extend_from_slice(b"\n% a later revision\n");
    let found = inspect(&appended).expect("still a seal");
    assert!(found.intact && !found.whole_file);
}

#[test]
fn a_byte_range_that_leaves_out_more_than_the_signature_is_refused() {
    let sealed = seal().apply(&pdf(), Timestamp::now()).expect("sealed");
    let at = sealed
        .windows(11)
        .position(|w| w == b"/ByteRange[")
        .expect("the byte range")
        + 11;
    let end = at
        + sealed[at..]
            .iter()
            .position(|&b| b == b']')
            .expect("its end");
    let range: Vec<usize> = std::str::from_utf8(&sealed[at..end])
        .expect("ASCII")
        .split_whitespace()
        .map(|n| n.parse().expect("a number"))
        .collect();
    // The same four numbers' width, but the hole starts ten bytes early.
    let wider = format!("0 {} {} {}", range[1] - 10, range[2], range[3]);
    let mut forged = sealed.clone();
    forged[at..end].copy_from_slice(format!("{wider:<width$}", width = end - at).as_bytes());
    let found = inspect(&forged).expect("a seal");
    assert!(!found.intact);
    assert_eq!(
        found.problem.as_deref(),
        Some("its byte range leaves out more than its signature")
    );
}

#[test]
fn a_signer_named_in_any_language_is_named_as_a_pdf_text_string() {
    let p12 = self_signed("Présidence du Conseil", PASSWORD).expect("a test certificate");
    let seal = Seal::from_pkcs12(&p12, PASSWORD, Timestamp::now()).expect("it reads back");
    assert_eq!(seal.subject(), "CN=Présidence du Conseil");
    let sealed = seal.apply(&pdf(), Timestamp::now()).expect("sealed");
    let document = Document::load_mem(&sealed).expect("a PDF");
    let found = super::inspect(&sealed, &document).expect("a seal");
    assert!(found.intact && found.whole_file, "{:?}", found.problem);
    let name = document
        .objects
        .values()
        .filter_map(|o| o.as_dict().ok())
        .find(|d| d.get(b"Type").and_then(Object::as_name).ok() == Some(b"Sig"))
        .and_then(|d| d.get(b"Name").ok())
        .and_then(|n| n.as_str().ok())
        .expect("the signer's name");
    let text: Vec<u16> = name[2..]
        .chunks(2)
        .map(|pair| u16::from_be_bytes([pair[0], pair[1]]))
        .collect();
    assert_eq!(&name[..2], &[0xFE, 0xFF]);
    assert_eq!(String::from_utf16_lossy(&text), "CN=Présidence du Conseil");
}
