//! Laid-out pages to PDF bytes with printpdf: A4, Liberation Serif embedded and subset,
//! text shown with its real characters (so it extracts exactly), lines justified with TJ
//! offsets (word spacing has no effect on CID fonts), document metadata, and `/Lang`.
//! Streams are compressed here, at a level chosen for speed, rather than by lopdf's
//! level 9, which DEPENDENCIES.md measured as half the render time.

use std::collections::BTreeMap;

use flate2::{Compress, Compression, FlushCompress, Status};
use jiff::Timestamp;
use lopdf::{Object, StringFormat};
use printpdf::{
    Color, FontId, Greyscale, Line as PdfLine, LinePoint, Mm, Op, PdfDocument, PdfFontHandle,
    PdfPage, PdfSaveOptions, Point, Pt, TextItem, TextMatrix,
};

use super::fonts::Fonts;
use super::layout::{HANG_WIDTH, Line, PAGE_HEIGHT, PAGE_WIDTH, Page};
use super::markup::{Face, Span};
use super::slim::strip_hinting;

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

impl PdfError {
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

/// Writes `pages` as a PDF; `draft` puts a DRAFT watermark on every page.
pub fn write(pages: &[Page], meta: &Metadata<'_>, draft: bool) -> Result<Vec<u8>, PdfError> {
    let fonts = Fonts::get();
    let mut doc = PdfDocument::new(meta.title);
    let mut faces: BTreeMap<Face, FontId> = BTreeMap::new();
    let mut used = |face: Face, doc: &mut PdfDocument| -> FontId {
        faces
            .entry(face)
            .or_insert_with(|| doc.add_font(&fonts.face(face).parsed))
            .clone()
    };

    let mut pdf_pages = Vec::with_capacity(pages.len());
    for page in pages {
        let mut ops = Vec::new();
        if draft {
            let id = used(Face::Bold, &mut doc);
            watermark(&mut ops, id);
        }
        if !page.rules.is_empty() {
            ops.push(Op::SetOutlineThickness { pt: Pt(0.5) });
            for rule in &page.rules {
                ops.push(Op::DrawLine {
                    line: PdfLine {
                        points: vec![point(rule.x1, rule.y), point(rule.x2, rule.y)],
                        is_closed: false,
                    },
                });
            }
        }
        ops.push(Op::StartTextSection);
        let mut current: Option<(Face, f32)> = None;
        for line in &page.lines {
            if let Some(label) = &line.hang {
                text_at(
                    &mut ops,
                    &mut current,
                    &mut used,
                    &mut doc,
                    line.x - HANG_WIDTH,
                    line,
                    std::slice::from_ref(label),
                    0.0,
                );
            }
            text_at(
                &mut ops,
                &mut current,
                &mut used,
                &mut doc,
                line.x,
                line,
                &line.spans,
                line.word_gap,
            );
        }
        ops.push(Op::EndTextSection);
        pdf_pages.push(PdfPage::new(
            Mm::from(Pt(PAGE_WIDTH)),
            Mm::from(Pt(PAGE_HEIGHT)),
            ops,
        ));
    }
    doc.with_pages(pdf_pages);

    let info = &mut doc.metadata.info;
    info.author = meta.author.to_owned();
    info.subject = meta.subject.to_owned();
    info.creator = "notesd".to_owned();
    info.producer = concat!("notesd ", env!("CARGO_PKG_VERSION")).to_owned();
    let created = printpdf::OffsetDateTime::from_unix_timestamp(meta.created.as_second())
        .map_err(|e| PdfError(e.to_owned()))?;
    info.creation_date = created;
    info.modification_date = created;
    info.metadata_date = created;

    let options = PdfSaveOptions {
        optimize: false,
        subset_fonts: true,
        ..Default::default()
    };
    let mut warnings = Vec::new();
    let mut lopdf_doc = printpdf::serialize::to_lopdf_doc(&doc, &options, &mut warnings);
    lopdf_doc
        .catalog_mut()
        .map_err(|e| PdfError(e.to_string()))?
        .set(
            "Lang",
            Object::String(meta.language.as_bytes().to_vec(), StringFormat::Literal),
        );
    slim_fonts(&mut lopdf_doc);
    tidy_info(&mut lopdf_doc);
    compress_streams(&mut lopdf_doc)?;
    let mut bytes = Vec::new();
    lopdf_doc
        .save_to(&mut bytes)
        .map_err(|e| PdfError(e.to_string()))?;
    Ok(bytes)
}

fn point(x: f32, y: f32) -> LinePoint {
    LinePoint {
        p: Point { x: Pt(x), y: Pt(y) },
        bezier: false,
    }
}

/// Shows `spans` from (x, line.y), switching fonts only when the face or size changes, and
/// adding `word_gap` after each space as a TJ offset (thousandths of an em, negative = right).
#[allow(clippy::too_many_arguments)]
fn text_at(
    ops: &mut Vec<Op>,
    current: &mut Option<(Face, f32)>,
    used: &mut impl FnMut(Face, &mut PdfDocument) -> FontId,
    doc: &mut PdfDocument,
    x: f32,
    line: &Line,
    spans: &[Span],
    word_gap: f32,
) {
    ops.push(Op::SetTextMatrix {
        matrix: TextMatrix::Translate(Pt(x), Pt(line.y)),
    });
    let offset = if word_gap.abs() < 0.001 {
        0.0
    } else {
        -word_gap * 1000.0 / line.size
    };
    for span in spans {
        if *current != Some((span.face, line.size)) {
            let id = used(span.face, doc);
            ops.push(Op::SetFont {
                font: PdfFontHandle::External(id),
                size: Pt(line.size),
            });
            *current = Some((span.face, line.size));
        }
        let items = if offset == 0.0 {
            vec![TextItem::Text(span.text.clone())]
        } else {
            let mut items = Vec::new();
            for word in span.text.split_inclusive(' ') {
                items.push(TextItem::Text(word.to_owned()));
                if word.ends_with(' ') {
                    items.push(TextItem::Offset(offset));
                }
            }
            items
        };
        ops.push(Op::ShowText { items });
    }
}

/// A large light-grey DRAFT across the page, under the text, and a small one in the top
/// margin: text extractors (pdftotext) skip diagonal text, and a draft must read as one
/// there too.
fn watermark(ops: &mut Vec<Op>, bold: FontId) {
    ops.extend([
        Op::SaveGraphicsState,
        Op::SetFillColor {
            col: Color::Greyscale(Greyscale::new(0.85, None)),
        },
        Op::StartTextSection,
        Op::SetFont {
            font: PdfFontHandle::External(bold.clone()),
            size: Pt(120.0),
        },
        Op::SetTextMatrix {
            matrix: TextMatrix::TranslateRotate(Pt(150.0), Pt(250.0), 45.0),
        },
        Op::ShowText {
            items: vec![TextItem::Text("DRAFT".to_owned())],
        },
        Op::SetFillColor {
            col: Color::Greyscale(Greyscale::new(0.45, None)),
        },
        Op::SetFont {
            font: PdfFontHandle::External(bold),
            size: Pt(10.0),
        },
        Op::SetTextMatrix {
            matrix: TextMatrix::Translate(Pt(PAGE_WIDTH / 2.0 - 17.0), Pt(PAGE_HEIGHT - 28.0)),
        },
        Op::ShowText {
            items: vec![TextItem::Text("DRAFT".to_owned())],
        },
        Op::EndTextSection,
        Op::RestoreGraphicsState,
    ]);
}

/// Replaces each embedded TrueType subset with its slim form (see `slim.rs`). A font that
/// cannot be slimmed stays as printpdf wrote it: the PDF is larger, never wrong.
fn slim_fonts(doc: &mut lopdf::Document) {
    let font_files: Vec<lopdf::ObjectId> = doc
        .objects
        .values()
        .filter_map(|object| match object {
            Object::Dictionary(d) => d.get(b"FontFile2").ok()?.as_reference().ok(),
            _ => None,
        })
        .collect();
    for id in font_files {
        let Ok(Object::Stream(stream)) = doc.get_object_mut(id) else {
            continue;
        };
        let original = if stream.dict.get(b"Filter").is_ok() {
            stream.decompressed_content().map_err(|e| e.to_string())
        } else {
            Ok(stream.content.clone())
        };
        match original.and_then(|font| strip_hinting(&font).map_err(|e| e.to_string())) {
            Ok(slim) => {
                stream.dict.remove(b"Filter");
                stream.dict.set("Length1", slim.len() as i64);
                stream.set_content(slim);
            }
            Err(e) => tracing::warn!(error = %e, "embedded font left as subset"),
        }
    }
}

/// printpdf writes every information string as UTF-16 hex (four bytes a letter) and adds
/// empty PDF/X keys; a plain ASCII value is written as a literal, the empty keys go.
fn tidy_info(doc: &mut lopdf::Document) {
    let Ok(info_id) = doc.trailer.get(b"Info").and_then(Object::as_reference) else {
        return;
    };
    let Ok(Object::Dictionary(info)) = doc.get_object_mut(info_id) else {
        return;
    };
    for key in [
        &b"GTS_PDFXVersion"[..],
        b"Identifier",
        b"Keywords",
        b"Trapped",
    ] {
        info.remove(key);
    }
    for (_, value) in info.iter_mut() {
        if let Object::String(bytes, format) = value
            && let Some(utf16) = bytes.strip_prefix(&[0xFE, 0xFF])
        {
            let units: Vec<u16> = utf16
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            if let Ok(text) = String::from_utf16(&units)
                && text.chars().all(|c| c.is_ascii() && !c.is_ascii_control())
            {
                *bytes = text.into_bytes();
                *format = StringFormat::Literal;
            }
        }
    }
}

/// Deflates every stream that is not compressed yet, with one compressor reset between
/// streams (setting one up costs more than compressing a page's text).
fn compress_streams(doc: &mut lopdf::Document) -> Result<(), PdfError> {
    let mut deflate = Compress::new(Compression::new(6), true);
    for object in doc.objects.values_mut() {
        if let Object::Stream(stream) = object
            && stream.allows_compression
            && stream.dict.get(b"Filter").is_err()
        {
            deflate.reset();
            let mut compressed = Vec::with_capacity(stream.content.len() / 2 + 64);
            let status = deflate
                .compress_vec(&stream.content, &mut compressed, FlushCompress::Finish)
                .map_err(|e| PdfError(e.to_string()))?;
            // The output buffer grows as needed only up to its capacity: finish in steps.
            let mut status = status;
            while status != Status::StreamEnd {
                compressed.reserve(compressed.capacity().max(1024));
                status = deflate
                    .compress_vec(&[], &mut compressed, FlushCompress::Finish)
                    .map_err(|e| PdfError(e.to_string()))?;
            }
            if compressed.len() < stream.content.len() {
                stream.set_content(compressed);
                stream
                    .dict
                    .set("Filter", Object::Name(b"FlateDecode".to_vec()));
            }
        }
    }
    Ok(())
}
