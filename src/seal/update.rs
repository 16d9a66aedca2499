//! The seal's incremental update, written by lopdf: a signature dictionary, its invisible
//! signature field on the first page, and the catalog's `/AcroForm`, appended after the
//! issued PDF's own `%%EOF` without touching a byte before it. The dictionary's
//! `/Contents` is written as a run of zeros the CMS signature later fills, and its
//! `/ByteRange` (everything but that run) as a placeholder of fixed width that is then
//! overwritten in place: the signed bytes are final before they are hashed.

use std::ops::Range;

use jiff::Timestamp;
use lopdf::{Dictionary, Document, IncrementalDocument, Object, StringFormat};
use sha2::{Digest, Sha256};

use super::SealError;
use crate::render::text_string;

/// Wide enough for any file offset this daemon writes (render.max_pages bounds a note).
const PLACEHOLDER: i64 = 9_999_999_999;

/// The sealed file before its signature: every byte final but the `/Contents` hole.
pub(super) struct Prepared {
    bytes: Vec<u8>,
    /// The `<…>` of `/Contents`, brackets included: what the signature does not cover.
    hole: Range<usize>,
}

/// `pdf` with an empty signature of `reserve` bytes, signed at `at` by `signer`.
pub(super) fn with_signature_field(
    pdf: &[u8],
    at: Timestamp,
    signer: &str,
    reserve: usize,
) -> Result<Prepared, SealError> {
    let fail = |e: lopdf::Error| SealError::Pdf(e.to_string());
    let previous = Document::load_mem(pdf).map_err(fail)?;
    let root = previous
        .trailer
        .get(b"Root")
        .and_then(Object::as_reference)
        .map_err(fail)?;
    let first_page = *previous
        .get_pages()
        .values()
        .next()
        .ok_or_else(|| SealError::Pdf("it has no page".to_owned()))?;
    if previous.catalog().map_err(fail)?.has(b"AcroForm") {
        return Err(SealError::Pdf(
            "it already has a form (a second seal is not added)".to_owned(),
        ));
    }
    let version = previous.version.clone();
    let mut update = IncrementalDocument::create_from(pdf.to_vec(), previous);
    let new = &mut update.new_document;
    new.version = version;

    let signature = new.add_object(Dictionary::from_iter([
        ("Type", Object::Name(b"Sig".to_vec())),
        ("Filter", Object::Name(b"Adobe.PPKLite".to_vec())),
        ("SubFilter", Object::Name(b"ETSI.CAdES.detached".to_vec())),
        (
            "ByteRange",
            Object::Array(vec![
                0.into(),
                PLACEHOLDER.into(),
                PLACEHOLDER.into(),
                PLACEHOLDER.into(),
            ]),
        ),
        (
            "Contents",
            Object::String(vec![0; reserve], StringFormat::Hexadecimal),
        ),
        ("M", Object::string_literal(pdf_date(at))),
        ("Name", text_string(signer)),
    ]));
    // Invisible (a zero rectangle) but printable and locked, with an empty appearance, as
    // PDF/A-2 asks of every annotation.
    let appearance = new.add_object(lopdf::Stream::new(
        Dictionary::from_iter([
            ("Type", Object::Name(b"XObject".to_vec())),
            ("Subtype", Object::Name(b"Form".to_vec())),
            (
                "BBox",
                Object::Array(vec![0.into(), 0.into(), 0.into(), 0.into()]),
            ),
        ]),
        Vec::new(),
    ));
    let field = new.add_object(Dictionary::from_iter([
        ("Type", Object::Name(b"Annot".to_vec())),
        ("Subtype", Object::Name(b"Widget".to_vec())),
        ("FT", Object::Name(b"Sig".to_vec())),
        ("T", Object::string_literal("Seal")),
        ("V", Object::Reference(signature)),
        ("F", Object::Integer(4 | 128)),
        (
            "Rect",
            Object::Array(vec![0.into(), 0.into(), 0.into(), 0.into()]),
        ),
        ("P", Object::Reference(first_page)),
        (
            "AP",
            Object::Dictionary(Dictionary::from_iter([(
                "N",
                Object::Reference(appearance),
            )])),
        ),
    ]));

    update
        .opt_clone_object_to_new_document(first_page)
        .map_err(fail)?;
    update
        .opt_clone_object_to_new_document(root)
        .map_err(fail)?;
    let mut annots = update
        .get_prev_documents()
        .get_dictionary(first_page)
        .and_then(|page| page.get_deref(b"Annots", update.get_prev_documents()))
        .and_then(Object::as_array)
        .cloned()
        .unwrap_or_default();
    annots.push(Object::Reference(field));
    let new = &mut update.new_document;
    let page = new.get_dictionary_mut(first_page).map_err(fail)?;
    page.set("Annots", Object::Array(annots));
    // Tab order by structure, as for any page with annotations in a tagged PDF.
    page.set("Tabs", Object::Name(b"S".to_vec()));
    new.get_dictionary_mut(root).map_err(fail)?.set(
        "AcroForm",
        Dictionary::from_iter([
            ("Fields", Object::Array(vec![Object::Reference(field)])),
            // SignaturesExist | AppendOnly.
            ("SigFlags", Object::Integer(3)),
        ]),
    );

    let mut bytes = Vec::with_capacity(pdf.len() + 2 * reserve + 2048);
    update
        .save_to(&mut bytes)
        .map_err(|e| SealError::Pdf(e.to_string()))?;
    let appended = pdf.len();
    let hole = find_once(
        &bytes,
        appended,
        &contents_placeholder(reserve),
        "signature",
    )?;
    let range = find_once(&bytes, appended, &byte_range_placeholder(), "byte range")?;
    let covered = format!("[0 {} {} {}", hole.start, hole.end, bytes.len() - hole.end);
    let width = range.len() - 1;
    if covered.len() > width {
        return Err(SealError::Pdf("the file is too large to seal".to_owned()));
    }
    bytes[range.start..range.end - 1].copy_from_slice(format!("{covered:<width$}").as_bytes());
    Ok(Prepared { bytes, hole })
}

impl Prepared {
    /// The SHA-256 of every byte but the `/Contents` hole.
    pub(super) fn digest(&self) -> [u8; 32] {
        let mut hash = Sha256::new();
        hash.update(&self.bytes[..self.hole.start]);
        hash.update(&self.bytes[self.hole.end..]);
        hash.finalize().into()
    }

    /// Writes the DER signature into the hole, in hex, the rest left as zeros.
    pub(super) fn fill(&mut self, signature: &[u8]) -> Result<(), SealError> {
        let room = (self.hole.len() - 2) / 2;
        if signature.len() > room {
            return Err(SealError::Signature(format!(
                "{} bytes, over the {room} reserved",
                signature.len()
            )));
        }
        let hex = crate::secret::hex(signature).to_ascii_uppercase();
        let start = self.hole.start + 1;
        self.bytes[start..start + hex.len()].copy_from_slice(hex.as_bytes());
        Ok(())
    }

    pub(super) fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}

/// A PDF date in UTC: `D:YYYYMMDDHHmmSSZ`.
fn pdf_date(at: Timestamp) -> String {
    at.strftime("D:%Y%m%d%H%M%SZ").to_string()
}

fn contents_placeholder(reserve: usize) -> Vec<u8> {
    let mut hole = Vec::with_capacity(2 * reserve + 2);
    hole.push(b'<');
    hole.resize(2 * reserve + 1, b'0');
    hole.push(b'>');
    hole
}

/// The array as lopdf writes it: `[0 9999999999 9999999999 9999999999]`.
fn byte_range_placeholder() -> Vec<u8> {
    format!("[0 {PLACEHOLDER} {PLACEHOLDER} {PLACEHOLDER}]").into_bytes()
}

/// Where `needle`, the placeholder of `what`, is in `bytes` after `from`: exactly once, or
/// the update is not what this module wrote.
fn find_once(
    bytes: &[u8],
    from: usize,
    needle: &[u8],
    what: &str,
) -> Result<Range<usize>, SealError> {
    let tail = bytes.get(from..).unwrap_or_default();
    let mut found = tail
        .windows(needle.len())
        .enumerate()
        .filter(|(_, w)| w == &needle)
        .map(|(at, _)| from + at..from + at + needle.len());
    match (found.next(), found.next()) {
        (Some(range), None) => Ok(range),
        (None, _) => Err(SealError::Pdf(format!(
            "the {what}'s place was not written"
        ))),
        (Some(_), Some(_)) => Err(SealError::Pdf(format!(
            "the {what}'s place is written twice"
        ))),
    }
}
