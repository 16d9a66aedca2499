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
