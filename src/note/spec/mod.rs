//! The note specification a drafter sends (INTERFACE.md, "Note specification"), parsed into
//! a [`NoteSpec`] whose every field is known to be valid. Each error names the field, so
//! the API can answer 422 with `field` set and the CLI can point at the key.
//!
//! `wire.rs` has the wire form and its errors' field names, `fields.rs` the rule of each
//! field, `suggest.rs` the "did you mean" of unknown names; this file assembles them.

mod fields;
mod suggest;
#[cfg(test)]
mod tests;
mod wire;

use std::collections::BTreeSet;

use jiff::civil::Date;
use serde_json::{Map, Value};

use super::{Language, Marking, NoteKind, Place};
use crate::reference::{CodeName, DistributionCode, DocNumber, InterinstitutionalFile};
pub(crate) use fields::unit;
use fields::{
    Lines, MAX_BODY, MAX_LINE, MAX_SUBJECT, list_of, parse_codes, parse_counted_codes, parse_date,
    parse_field, parse_required, required, template_fields, text,
};
use suggest::unknown;
use wire::{RawSpec, parse_raw};

/// A field of the spec is missing or wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct SpecError {
    /// The JSON path of the field, such as `codes[2]` or `subject`.
    pub field: String,
    pub message: String,
}

impl SpecError {
    fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// What the configuration allows a spec to name.
#[derive(Debug, Clone, Default)]
pub struct Vocabulary {
    pub codes: BTreeSet<CodeName>,
    pub lists: BTreeSet<String>,
    pub templates: BTreeSet<String>,
}

/// What the note's body is made from.
#[derive(Debug, Clone, PartialEq)]
pub enum Content {
    /// Markup written by the drafter.
    Body(String),
    /// A named template filled with fields.
    Template {
        name: String,
        fields: Map<String, Value>,
    },
}

/// A validated note specification, with the defaults filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct NoteSpec {
    pub kind: NoteKind,
    pub language: Language,
    pub original_language: Language,
    pub date: Date,
    pub place: Place,
    pub from: String,
    pub to: String,
    pub previous: Vec<DocNumber>,
    /// The Commission document the note concerns, printed as "No. Cion doc.":
    /// `COM(2021) 123 final`.
    pub commission_doc: Option<String>,
    pub subject: String,
    pub codes: Vec<CodeName>,
    pub marking: Option<Marking>,
    pub interinstitutional_file: Option<InterinstitutionalFile>,
    pub unit: String,
    pub initials: String,
    pub distribution: Vec<String>,
    pub content: Content,
}

/// A spec for `notesd render`: it carries its own number and counted codes.
#[derive(Debug, Clone, PartialEq)]
pub struct StandaloneSpec {
    pub spec: NoteSpec,
    pub number: DocNumber,
    pub codes: Vec<DistributionCode>,
}

/// Whether the number and counters come from the registry or from the spec itself.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Registry,
    Standalone,
}

impl NoteSpec {
    /// Parses a spec sent to the registry. `today` (in Brussels) fills a missing date.
    /// The number and code counters are the registry's to allocate, so a spec that carries
    /// them is refused.
    pub fn from_json(
        value: Value,
        vocabulary: &Vocabulary,
        today: Date,
    ) -> Result<Self, SpecError> {
        Ok(parse_raw(value)?
            .validate(Some(vocabulary), today, Mode::Registry)?
            .0)
    }

    /// Reads back a spec the registry stored. It was checked against the configuration
    /// when it was saved, so the codes, lists and template it names are not judged again:
    /// one removed from the configuration since does not make a registered note unreadable.
    pub fn from_stored(value: Value, registered_on: Date) -> Result<Self, SpecError> {
        Ok(parse_raw(value)?
            .validate(None, registered_on, Mode::Registry)?
            .0)
    }

    /// Parses a spec that gives its own `number` (`6762/22`) and codes with counters
    /// (`JAI 274`), as `notesd render` takes it.
    pub fn standalone_from_json(
        value: Value,
        vocabulary: &Vocabulary,
        today: Date,
    ) -> Result<StandaloneSpec, SpecError> {
        let (spec, given) =
            parse_raw(value)?.validate(Some(vocabulary), today, Mode::Standalone)?;
        let (number, codes) = given.ok_or_else(|| SpecError::new("number", "is required"))?;
        Ok(StandaloneSpec {
            spec,
            number,
            codes,
        })
    }
}

impl RawSpec {
    /// Validates every field, and the names it gives against `vocabulary` when there is one;
    /// in standalone mode also returns the given number and codes.
    #[allow(clippy::type_complexity)]
    pub(super) fn validate(
        self,
        vocabulary: Option<&Vocabulary>,
        today: Date,
        mode: Mode,
    ) -> Result<(NoteSpec, Option<(DocNumber, Vec<DistributionCode>)>), SpecError> {
        let number = match (mode, self.number) {
            (Mode::Registry, Some(_)) => {
                return Err(SpecError::new(
                    "number",
                    "the document number is allocated by the registry; leave it out",
                ));
            }
            (Mode::Registry, None) => None,
            (Mode::Standalone, number) => Some(parse_required::<DocNumber>("number", number)?),
        };
        let language: Language = parse_required("language", self.language)?;
        let original_language = match self.original_language {
            Some(code) => parse_field("original_language", &code)?,
            None => language,
        };
        let kind = match self.kind {
            Some(kind) => parse_field("kind", &kind)?,
            None => NoteKind::Note,
        };
        let place = match self.place {
            Some(place) => parse_field("place", &place)?,
            None => Place::Brussels,
        };
        let date = match self.date {
            Some(date) => parse_date(&date)?,
            None => today,
        };
        let previous = list_of("previous", self.previous.unwrap_or_default(), |field, s| {
            parse_field::<DocNumber>(field, s)
        })?;
        let counted = match mode {
            Mode::Registry => None,
            Mode::Standalone => Some(parse_counted_codes(self.codes.clone(), vocabulary)?),
        };
        let codes = match &counted {
            Some(counted) => counted.iter().map(|c| c.name.clone()).collect(),
            None => parse_codes(self.codes, vocabulary)?,
        };
        let marking = self
            .marking
            .map(|m| parse_field("marking", &m))
            .transpose()?;
        let interinstitutional_file = self
            .interinstitutional_file
            .map(|f| parse_field("interinstitutional_file", &f))
            .transpose()?;
        let distribution = self
            .distribution
            .unwrap_or_else(|| vec!["delegations".to_owned()]);
        let distribution = list_of(
            "distribution",
            distribution,
            |field, name| match vocabulary {
                Some(v) if !v.lists.contains(name) => Err(SpecError::new(
                    field,
                    unknown(name, "list", &v.lists, "lists"),
                )),
                _ => Ok(name.to_owned()),
            },
        )?;
        let content = match (self.body, self.template, self.fields) {
            (Some(_), Some(_), _) => {
                return Err(SpecError::new(
                    "template",
                    "give either `body` or `template`, not both",
                ));
            }
            (Some(_), None, Some(_)) => {
                return Err(SpecError::new(
                    "fields",
                    "`fields` only go with a `template`",
                ));
            }
            (Some(body), None, None) => Content::Body(text("body", body, MAX_BODY, Lines::Many)?),
            (None, Some(name), fields) => {
                if let Some(v) = vocabulary
                    && !v.templates.contains(&name)
                {
                    return Err(SpecError::new(
                        "template",
                        unknown(&name, "template", &v.templates, "templates"),
                    ));
                }
                Content::Template {
                    name,
                    fields: template_fields(fields.unwrap_or_default())?,
                }
            }
            (None, None, _) => {
                return Err(SpecError::new(
                    "body",
                    "is required (or give a `template` and its `fields`)",
                ));
            }
        };
        let spec = NoteSpec {
            kind,
            language,
            original_language,
            date,
            place,
            from: text("from", required("from", self.from)?, MAX_LINE, Lines::One)?,
            to: text("to", required("to", self.to)?, MAX_LINE, Lines::One)?,
            previous,
            commission_doc: self
                .commission_doc
                .map(|d| text("commission_doc", d, MAX_LINE, Lines::One))
                .transpose()?,
            subject: text(
                "subject",
                required("subject", self.subject)?,
                MAX_SUBJECT,
                Lines::One,
            )?,
            codes,
            marking,
            interinstitutional_file,
            unit: unit(required("unit", self.unit)?)?,
            initials: text(
                "initials",
                required("initials", self.initials)?,
                40,
                Lines::One,
            )?,
            distribution,
            content,
        };
        Ok((spec, number.zip(counted)))
    }
}
