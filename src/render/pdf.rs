//! Laid-out pages to PDF bytes through printpdf: the pages become printpdf operations
//! (`draw.rs`), printpdf embeds and subsets the faces and builds the document, and we
//! finish what it leaves to its caller: the information dictionary and `/Lang`, the
//! structure tree (`tags.rs`), PDF/A for issued notes (`archive.rs`), a document ID
//! derived from the content (printpdf draws a random one), and stream compression at a
//! level of our choosing (lopdf's own is zlib level 9, half the render). The dictionaries
//! go into object streams with a cross-reference stream (PDF 1.5, allowed by PDF/A-2):
//! a fifth of the file, mostly the structure tree. The same pages and metadata give the
//! same bytes.

use flate2::{Compress, Compression, FlushCompress, Status};
use jiff::Timestamp;
use lopdf::{Dictionary, Document, Object, ObjectId, StringFormat};
use printpdf::serialize::{PdfSaveOptions, to_lopdf_doc};
use printpdf::{PdfDocument, PdfFont, PdfPage, PdfParseErrorSeverity, Pt, Rect};
use sha2::{Digest, Sha256};

use super::archive::make_archival;
use super::draw::{self, Faces};
use super::fonts::Fonts;
use super::layout::{PAGE_HEIGHT, PAGE_WIDTH, Page};
use super::tags::{Tagged, add_structure};
use super::unhinted::unhinted;

/// The information dictionary's `/Creator` and `/Producer` (and the XMP's).
pub const CREATOR: &str = "notesd";
pub const PRODUCER: &str = concat!("notesd ", env!("CARGO_PKG_VERSION"), " (printpdf)");

/// What the document's information dictionary says about it.
pub struct Metadata<'a> {
    pub title: &'a str,
    pub author: &'a str,
    /// The note's number: the subject, and the PDF/A identifier.
    pub subject: &'a str,
    /// BCP 47 tag for `/Lang`: `en`, `fr`.
    pub language: &'a str,
    pub created: Timestamp,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot write the PDF: {0}")]
pub struct PdfError(String);

impl PdfError {
    pub fn new(e: &impl std::fmt::Display) -> Self {
        Self(e.to_string())
    }
}

/// Writes `pages` as a tagged PDF: a draft with a DRAFT watermark on every page, an
/// issued note as PDF/A-2b.
pub fn write(pages: &[Page], meta: &Metadata<'_>, draft: bool) -> Result<Vec<u8>, PdfError> {
    let faces = Faces::of(pages, draft);
    let mut document = PdfDocument::new(meta.title);
    for (face, id) in faces.ids() {
        let parsed = Fonts::get().face(face).parsed.clone();
        document
            .resources
            .fonts
            .map
            .insert(id.clone(), PdfFont::new(parsed));
    }
    let a4 = Rect::from_wh(Pt(PAGE_WIDTH), Pt(PAGE_HEIGHT));
    let mut marks: Vec<Vec<Tagged>> = Vec::with_capacity(pages.len());
    for page in pages {
        let (ops, tagged) = draw::page_ops(page, &faces, draft);
        marks.push(tagged);
        document.pages.push(PdfPage {
            media_box: a4.clone(),
            trim_box: a4.clone(),
            crop_box: a4.clone(),
            ops,
        });
    }

    let options = PdfSaveOptions {
        optimize: false,
        subset_fonts: true,
        secure: true,
        image_optimization: None,
    };
    let mut warnings = Vec::new();
    let mut pdf = to_lopdf_doc(&document, &options, &mut warnings);
    if let Some(error) = warnings
        .iter()
        .find(|w| w.severity == PdfParseErrorSeverity::Error)
    {
        return Err(PdfError(error.msg.clone()));
    }
    pdf.version = "1.7".into();
    unhint(&mut pdf)?;
    describe(&mut pdf, meta)?;
    add_structure(&mut pdf, &marks)?;
    if !draft {
        make_archival(&mut pdf, meta)?;
    }
    compress(&mut pdf)?;
    identify(&mut pdf, meta);
    let mut out = Vec::with_capacity(32 * 1024);
    // Object streams at the level of `compress`.
    let options = lopdf::SaveOptions::builder()
        .use_object_streams(true)
        .use_xref_streams(true)
        .compression_level(4)
        .build();
    pdf.save_with_options(&mut out, options)
        .map_err(|e| PdfError::new(&e))?;
    Ok(out)
}

/// Each embedded TrueType program without its hinting (`unhinted.rs`), and its
/// `/Length1` (the program's size before compression) with it.
fn unhint(pdf: &mut Document) -> Result<(), PdfError> {
    let programs: Vec<ObjectId> = pdf
        .objects
        .values()
        .filter_map(|o| {
            o.as_dict()
                .ok()?
                .get(b"FontFile2")
                .ok()?
                .as_reference()
                .ok()
        })
        .collect();
    for id in programs {
        if let Ok(Object::Stream(stream)) = pdf.get_object_mut(id) {
            let program = unhinted(&stream.content).map_err(|e| PdfError::new(&e))?;
            stream.dict.set("Length1", program.len() as i64);
            stream.set_content(program);
        }
    }
    Ok(())
}

/// The information dictionary in place of printpdf's (which carries PDF/X keys and empty
/// fields), and the catalog's `/Lang`.
fn describe(pdf: &mut Document, meta: &Metadata<'_>) -> Result<(), PdfError> {
    let date = format!("D:{}Z", meta.created.strftime("%Y%m%d%H%M%S"));
    let info = Dictionary::from_iter([
        ("Title", text_string(meta.title)),
        ("Author", text_string(meta.author)),
        ("Subject", text_string(meta.subject)),
        ("Creator", text_string(CREATOR)),
        ("Producer", text_string(PRODUCER)),
        ("CreationDate", text_string(&date)),
        ("ModDate", text_string(&date)),
    ]);
    let info_id = pdf.add_object(info);
    pdf.trailer.set("Info", info_id);
    pdf.catalog_mut()
        .map_err(|e| PdfError::new(&e))?
        .set("Lang", text_string(meta.language));
    Ok(())
}

/// Deflates every stream not yet compressed, at zlib level 4: on the peer note's streams
/// about 3 % larger than level 6 in about 55 % of the time (level 9: 0.5 % smaller than
/// 6, twice its time). XMP metadata stays plain text, readable by tools that scan for it.
fn compress(pdf: &mut Document) -> Result<(), PdfError> {
    let mut deflate = Compress::new(Compression::new(4), true);
    for object in pdf.objects.values_mut() {
        let Object::Stream(stream) = object else {
            continue;
        };
        let metadata = stream.dict.get(b"Type").and_then(Object::as_name).ok() == Some(b"Metadata");
        if metadata || stream.dict.has(b"Filter") {
            continue;
        }
        deflate.reset();
        let data = &stream.content;
        let mut packed = Vec::with_capacity(data.len() / 2 + 64);
        loop {
            let consumed = deflate.total_in() as usize;
            let status = deflate
                .compress_vec(&data[consumed..], &mut packed, FlushCompress::Finish)
                .map_err(|e| PdfError::new(&e))?;
            if status == Status::StreamEnd {
                break;
            }
            packed.reserve(packed.capacity().max(1024));
        }
        stream.dict.set("Filter", "FlateDecode");
        stream.set_content(packed);
    }
    Ok(())
}

/// The file identifier: a digest of the streams and the metadata, so that the same
/// document always carries the same one.
fn identify(pdf: &mut Document, meta: &Metadata<'_>) {
    let mut digest = Sha256::new();
    for object in pdf.objects.values() {
        if let Object::Stream(stream) = object {
            digest.update(&stream.content);
        }
    }
    for field in [meta.title, meta.author, meta.subject, meta.language] {
        digest.update(field.as_bytes());
        digest.update([0]);
    }
    digest.update(meta.created.as_second().to_be_bytes());
    let id = digest.finalize()[..16].to_vec();
    pdf.trailer.set(
        "ID",
        vec![
            Object::String(id.clone(), StringFormat::Hexadecimal),
            Object::String(id, StringFormat::Hexadecimal),
        ],
    );
}

/// A PDF text string: literal for ASCII, else UTF-16BE with a byte order mark.
pub fn text_string(text: &str) -> Object {
    if text.is_ascii() {
        Object::string_literal(text)
    } else {
        let mut bytes = vec![0xFE, 0xFF];
        bytes.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
        Object::String(bytes, StringFormat::Hexadecimal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::layout::{BlockRole, Line, Role};
    use crate::render::markup::{Face, Span};

    fn page(text: &str) -> Page {
        Page {
            lines: vec![Line {
                x: 72.0,
                y: 700.0,
                size: 12.0,
                spans: vec![Span {
                    face: Face::Regular,
                    text: text.to_owned(),
                }],
                word_gap: 1.5,
                hang: None,
                role: Role::Body(0, BlockRole::Paragraph),
            }],
            rules: Vec::new(),
        }
    }

    #[test]
    fn the_same_pages_give_the_same_bytes_and_other_pages_other_bytes() {
        let meta = Metadata {
            title: "Déclaration",
            author: "Presidency",
            subject: "6762/22",
            language: "fr",
            created: Timestamp::from_second(1_646_300_000).unwrap(),
        };
        let write = |text| write(&[page(text)], &meta, false).unwrap();
        let first = write("Delegations will find attached");
        assert!(first == write("Delegations will find attached"));
        assert!(first != write("Delegations will find enclosed"));
        assert!(first.starts_with(b"%PDF-1.7"));
    }
}
