//! The spec's wire form (INTERFACE.md, "Note specification"): what serde reads, with
//! errors that name the field, and what is stored and returned.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{Content, NoteSpec, SpecError};

/// The wire form: every field optional so that a missing one is reported by name rather
/// than by serde's generic message.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSpec {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) language: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) original_language: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) place: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) to: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) previous: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) commission_doc: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) subject: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) codes: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) marking: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) interinstitutional_file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) unit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) initials: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) distribution: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) body: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) template: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) fields: Option<Map<String, Value>>,
}

impl NoteSpec {
    /// The spec in its wire form (INTERFACE.md), defaults included, as stored and returned.
    pub fn to_json(&self) -> Value {
        let (body, template, fields) = match &self.content {
            Content::Body(body) => (Some(body.clone()), None, None),
            Content::Template { name, fields } => (None, Some(name.clone()), Some(fields.clone())),
        };
        let raw = RawSpec {
            kind: Some(self.kind.as_str().to_owned()),
            language: Some(self.language.code().to_owned()),
            original_language: Some(self.original_language.code().to_owned()),
            date: Some(self.date.to_string()),
            place: Some(self.place.as_str().to_owned()),
            number: None,
            from: Some(self.from.clone()),
            to: Some(self.to.clone()),
            previous: Some(self.previous.iter().map(ToString::to_string).collect()),
            commission_doc: self.commission_doc.clone(),
            subject: Some(self.subject.clone()),
            codes: Some(self.codes.iter().map(ToString::to_string).collect()),
            marking: self.marking.map(|m| m.as_str().to_owned()),
            interinstitutional_file: self
                .interinstitutional_file
                .as_ref()
                .map(ToString::to_string),
            unit: Some(self.unit.clone()),
            initials: Some(self.initials.clone()),
            distribution: Some(self.distribution.clone()),
            body,
            template,
            fields,
        };
        // A struct of strings, lists and JSON maps always serialises.
        serde_json::to_value(raw).unwrap_or(Value::Null)
    }
}

pub(super) fn parse_raw(value: Value) -> Result<RawSpec, SpecError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let message = e.into_inner().to_string();
        let field = unknown_field_name(&message).unwrap_or(path);
        SpecError::new(if field == "." { String::new() } else { field }, message)
    })
}

/// serde reports an unknown field at the path of its parent; name the field itself.
fn unknown_field_name(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    rest.split('`').next().map(str::to_owned)
}
