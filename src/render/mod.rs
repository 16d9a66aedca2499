//! A note to PDF: its template filled into body markup, the markup parsed into blocks, the
//! page laid out (header on page 1, footer on every page) and written as PDF.
//! The header and footer come from the note's fields and the language's labels, never from
//! templates, so every note carries them the same way.

mod archive;
mod draw;
mod fonts;
mod labels;
mod layout;
mod markup;
mod pdf;
mod svg;
mod tags;
mod template;
mod unhinted;

use std::borrow::Cow;

use jiff::Timestamp;
use serde_json::{Value, json};

pub use fonts::font_file;
pub use labels::{Confidence, Labels, MissingLabel};
pub use layout::MissingGlyph;
pub use pdf::{PdfError, text_string};
pub use template::{Escape, TemplateError, TemplateSet, Templates};

use crate::note::{Content, NoteSpec};
use crate::reference::{DistributionCode, DocNumber};
use fonts::Fonts;
use layout::{Footer, Header, LayoutError};

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error(transparent)]
    Template(#[from] TemplateError),
    #[error(transparent)]
    Label(#[from] MissingLabel),
    #[error("{field}: {source}")]
    Glyph {
        field: &'static str,
        #[source]
        source: MissingGlyph,
    },
    #[error(
        "the note would run to more than {max} pages (render.max_pages); shorten it or \
         split it into several notes"
    )]
    TooLong { max: usize },
    #[error(transparent)]
    Pdf(#[from] PdfError),
}

/// What is printed: the spec and the number and codes the registry gave it.
pub struct NoteDocument<'a> {
    pub spec: &'a NoteSpec,
    pub number: &'a DocNumber,
    pub codes: &'a [DistributionCode],
}

/// Renders notes; holds the compiled templates. Fonts and labels are process-wide.
pub struct Renderer {
    templates: Templates,
    /// `render.max_pages`: a longer note is refused, and laying it out stops there.
    max_pages: usize,
}

impl Renderer {
    pub fn new(templates: Templates, max_pages: usize) -> Self {
        Self {
            templates,
            max_pages,
        }
    }

    pub fn templates(&self) -> &Templates {
        &self.templates
    }

    /// The PDF of `note`; `draft` marks every page. `created` is the PDF's date.
    pub fn render(
        &self,
        note: &NoteDocument<'_>,
        draft: bool,
        created: Timestamp,
    ) -> Result<Vec<u8>, RenderError> {
        let pages = self.pages(note)?;
        let spec = note.spec;
        let number = note.number.to_string();
        let meta = pdf::Metadata {
            title: &spec.subject,
            author: &spec.from,
            subject: &number,
            language: spec.language.code(),
            created,
        };
        Ok(pdf::write(&pages, &meta, draft)?)
    }

    /// The pages of `note` as SVG for the desk's live preview: laid out by the same code
    /// as [`Renderer::render`], so lines and pages break where the PDF's do.
    pub fn preview(
        &self,
        note: &NoteDocument<'_>,
        draft: bool,
    ) -> Result<Vec<String>, RenderError> {
        self.pages(note).map(|pages| svg::pages(&pages, draft))
    }

    /// How many pages `note` runs to, laid out without writing the PDF: enough to know
    /// that it can be printed within `render.max_pages`.
    pub fn page_count(&self, note: &NoteDocument<'_>) -> Result<usize, RenderError> {
        self.pages(note).map(|pages| pages.len())
    }

    fn pages(&self, note: &NoteDocument<'_>) -> Result<Vec<layout::Page>, RenderError> {
        let spec = note.spec;
        let labels = Labels::of(spec.language);
        let markup = match &spec.content {
            Content::Body(body) => Cow::Borrowed(body.as_str()),
            Content::Template { name, fields } => Cow::Owned(self.templates.render(
                name,
                spec.language,
                &template_context(note, fields),
            )?),
        };
        let blocks = markup::parse(&markup);
        let header = header(note, labels)?;
        let footer = Footer {
            number: note.number.to_string(),
            initials: spec.initials.clone(),
            unit: spec.unit.clone(),
            marking: spec.marking.map(|m| m.to_string()),
            language: spec.language.code().to_uppercase(),
        };
        layout::layout(&header, &blocks, &footer, Fonts::get(), self.max_pages).map_err(|e| match e
        {
            LayoutError::Glyph(source) => RenderError::Glyph {
                field: field_with(spec, &markup, source.c),
                source,
            },
            LayoutError::TooLong { max } => RenderError::TooLong { max },
        })
    }
}

fn header(note: &NoteDocument<'_>, labels: &Labels) -> Result<Header, MissingLabel> {
    let spec = note.spec;
    let routing = &labels.labels;
    let mut rows = vec![
        (routing.from.text.clone(), spec.from.clone()),
        (routing.to.text.clone(), spec.to.clone()),
    ];
    rows.extend(
        spec.previous
            .iter()
            .map(|p| (routing.previous.text.clone(), p.to_string())),
    );
    if let Some(doc) = &spec.commission_doc {
        rows.push((routing.commission_doc.text.clone(), doc.clone()));
    }
    rows.push((routing.subject.text.clone(), spec.subject.clone()));
    Ok(Header {
        institution: [
            labels.institution.line1.text.clone(),
            labels.institution.line2.text.clone(),
        ],
        place_and_date: format!(
            "{} (OR. {})",
            labels.place_and_date(spec.place, spec.date),
            spec.original_language.code()
        ),
        number: note.number.to_string(),
        marking: spec.marking.map(|m| m.to_string()),
        interinstitutional_file: spec
            .interinstitutional_file
            .as_ref()
            .map(ToString::to_string),
        codes: note
            .codes
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" "),
        kind: labels.kind(spec.language, spec.kind)?.to_owned(),
        rows,
    })
}

/// Templates see the fields at the top level and the note's own data under `note`.
fn template_context(note: &NoteDocument<'_>, fields: &serde_json::Map<String, Value>) -> Value {
    let mut context = fields.clone();
    context.insert(
        "note".to_owned(),
        json!({
            "number": note.number.to_string(),
            "subject": note.spec.subject,
            "date": note.spec.date.to_string(),
            "from": note.spec.from,
            "to": note.spec.to,
            "language": note.spec.language.code(),
        }),
    );
    Value::Object(context)
}

/// The spec field where an unprintable character was written, for the error message.
fn field_with(spec: &NoteSpec, body: &str, c: char) -> &'static str {
    let fields: [(&'static str, &str); 5] = [
        ("subject", &spec.subject),
        ("from", &spec.from),
        ("to", &spec.to),
        ("initials", &spec.initials),
        ("unit", &spec.unit),
    ];
    fields.iter().find(|(_, text)| text.contains(c)).map_or(
        if body.contains(c) { "body" } else { "spec" },
        |(name, _)| name,
    )
}
