//! The note specification a drafter sends (INTERFACE.md, "Note specification"), parsed into
//! a [`NoteSpec`] whose every field is known to be valid. Each error names the field, so
//! the API can answer 422 with `field` set and the CLI can point at the key.

use std::collections::BTreeSet;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

use super::{Language, Marking, NoteKind, Place};
use crate::reference::{CodeName, DistributionCode, DocNumber, InterinstitutionalFile};

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

/// The wire form: every field optional so that a missing one is reported by name rather
/// than by serde's generic message.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawSpec {
    #[serde(skip_serializing_if = "Option::is_none")]
    kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    language: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    original_language: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    place: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    to: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    previous: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    commission_doc: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    subject: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    codes: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    marking: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    interinstitutional_file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    unit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    initials: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    distribution: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    template: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fields: Option<Map<String, Value>>,
}

/// Limits that keep one note from filling the database or the page.
const MAX_LINE: usize = 500;
const MAX_SUBJECT: usize = 2_000;
const MAX_BODY: usize = 2_000_000;
const MAX_ITEMS: usize = 20;
/// A template's fields are its body in pieces: `MAX_BODY` characters in all, as many
/// fields as a form could sensibly have, and names as short as a key.
const MAX_FIELDS: usize = 100;
const MAX_FIELD_NAME: usize = 64;

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

fn parse_raw(value: Value) -> Result<RawSpec, SpecError> {
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

impl RawSpec {
    /// Validates every field, and the names it gives against `vocabulary` when there is one;
    /// in standalone mode also returns the given number and codes.
    #[allow(clippy::type_complexity)]
    fn validate(
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

fn required<T>(field: &str, value: Option<T>) -> Result<T, SpecError> {
    value.ok_or_else(|| SpecError::new(field, "is required"))
}

fn parse_field<T>(field: &str, input: &str) -> Result<T, SpecError>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    input
        .parse()
        .map_err(|e: T::Err| SpecError::new(field, e.to_string()))
}

fn parse_required<T>(field: &str, input: Option<String>) -> Result<T, SpecError>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    parse_field(field, &required(field, input)?)
}

fn parse_date(input: &str) -> Result<Date, SpecError> {
    let date: Date = input
        .parse()
        .ok()
        .filter(|_| input.len() == 10)
        .ok_or_else(|| {
            SpecError::new(
                "date",
                format!("`{input}` is not a date written YYYY-MM-DD"),
            )
        })?;
    if !(1950..=2100).contains(&date.year()) {
        return Err(SpecError::new(
            "date",
            format!("{input} is not a plausible date for a note"),
        ));
    }
    Ok(date)
}

/// Parses each item of a list, naming the item's index in an error, refusing duplicates.
fn list_of<T: PartialEq>(
    field: &str,
    items: Vec<String>,
    parse: impl Fn(&str, &str) -> Result<T, SpecError>,
) -> Result<Vec<T>, SpecError> {
    if items.len() > MAX_ITEMS {
        return Err(SpecError::new(
            field,
            format!("at most {MAX_ITEMS} entries"),
        ));
    }
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let path = format!("{field}[{i}]");
        let value = parse(&path, item.trim())?;
        if out.contains(&value) {
            return Err(SpecError::new(path, format!("`{item}` is listed twice")));
        }
        out.push(value);
    }
    Ok(out)
}

/// The spec's codes, each parsed by `parse` (a bare name for the registry, a name and its
/// counter for `notesd render`) and checked against the configured codes, if given.
fn parse_code_list<T: PartialEq>(
    codes: Option<Vec<String>>,
    vocabulary: Option<&Vocabulary>,
    example: &str,
    parse: impl Fn(&str, &str) -> Result<(T, CodeName), SpecError>,
) -> Result<Vec<T>, SpecError> {
    let codes = required("codes", codes)?;
    if codes.is_empty() {
        return Err(SpecError::new(
            "codes",
            format!("at least one distribution code is required, such as `{example}`"),
        ));
    }
    list_of("codes", codes, |field, s| {
        let (value, name) = parse(field, s)?;
        match vocabulary {
            Some(v) if !v.codes.contains(&name) => {
                let message = unknown(name.as_str(), "distribution code", &v.codes, "codes");
                Err(SpecError::new(field, message))
            }
            _ => Ok(value),
        }
    })
}

/// Code names as the registry takes them: `JAI`, never `JAI 274`.
fn parse_codes(
    codes: Option<Vec<String>>,
    vocabulary: Option<&Vocabulary>,
) -> Result<Vec<CodeName>, SpecError> {
    parse_code_list(codes, vocabulary, "JAI", |field, s| {
        if let Some((name, _)) = s.split_once(' ') {
            return Err(SpecError::new(
                field,
                format!("code counters are allocated by the registry: send `{name}`, not `{s}`"),
            ));
        }
        let name: CodeName = parse_field(field, s)?;
        Ok((name.clone(), name))
    })
}

/// Codes with their counters, as printed on a document: `JAI 274`.
fn parse_counted_codes(
    codes: Option<Vec<String>>,
    vocabulary: Option<&Vocabulary>,
) -> Result<Vec<DistributionCode>, SpecError> {
    parse_code_list(codes, vocabulary, "JAI 274", |field, s| {
        let code: DistributionCode = parse_field(field, s)?;
        let name = code.name.clone();
        Ok((code, name))
    })
}

/// "unknown X `foo`; did you mean `bar`?", pointing at the configuration key that lists them.
fn unknown<T: std::fmt::Display>(
    input: &str,
    what: &str,
    known: &BTreeSet<T>,
    key: &str,
) -> String {
    let names: Vec<String> = known.iter().map(ToString::to_string).collect();
    let closest = names
        .iter()
        .map(|n| (edit_distance(&input.to_uppercase(), &n.to_uppercase()), n))
        .min()
        .filter(|(d, _)| *d <= 2);
    match closest {
        Some((_, name)) => format!("unknown {what} `{input}`; did you mean `{name}`?"),
        None => format!(
            "unknown {what} `{input}`; the configuration (`{key}`) knows: {}",
            names.join(", ")
        ),
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (diagonal + usize::from(ca != *cb))
                .min(above + 1)
                .min(row[j] + 1);
            diagonal = above;
        }
    }
    row[b.len()]
}

/// Whether a free-text field is printed on one line of the header or flows as body text.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Lines {
    One,
    Many,
}

/// Free text: trimmed, not empty, bounded, and with only the characters its place allows
/// (see [`refused_character`]).
fn text(field: &str, value: String, max: usize, lines: Lines) -> Result<String, SpecError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(SpecError::new(field, "must not be empty"));
    }
    if value.chars().count() > max {
        return Err(SpecError::new(
            field,
            format!("is longer than {max} characters"),
        ));
    }
    if let Some(why) = value.chars().find_map(|c| refused_character(c, lines)) {
        return Err(SpecError::new(field, why));
    }
    Ok(value.to_owned())
}

/// Why `c` may not be written where text of `lines` goes, if it may not.
///
/// Control characters are refused (line breaks and tabs only in body text). Bidirectional
/// controls (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C) are refused everywhere,
/// the body included: they change the order in which text is displayed, not what it says
/// (U+202E before `fdp.exe` shows it as `exe.pdf`), and the Council's languages are all
/// written left to right, so they have no honest use here. Refusing rather than silently
/// removing them keeps the rule that a note prints exactly what its drafter wrote.
/// Other invisible format characters (general category Cf: zero-width space and joiners,
/// soft hyphen, word joiner, byte-order mark…) are refused in one-line fields (subject,
/// names, initials), where they only hide differences between strings that look alike;
/// in body text they keep their typographic business (a break or hyphenation hint, a
/// joiner), and the line breaker takes them in linear time.
fn refused_character(c: char, lines: Lines) -> Option<String> {
    let code = c as u32;
    if matches!(
        c,
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}'
    ) {
        return Some(format!(
            "contains the bidirectional control U+{code:04X}, which makes text display other \
             than it reads; remove it"
        ));
    }
    if c.is_control() && !(lines == Lines::Many && matches!(c, '\n' | '\r' | '\t')) {
        let what = if c == '\n' {
            "a line break"
        } else {
            "a control character"
        };
        return Some(format!("contains {what} ({c:?})"));
    }
    if lines == Lines::One && c.general_category() == GeneralCategory::Format {
        return Some(format!(
            "contains the invisible format character U+{code:04X}, which has no place in a \
             one-line field; remove it"
        ));
    }
    None
}

/// A template's fields, held to the limits of a body: their text at most `MAX_BODY`
/// characters in all with the body's characters, at most `MAX_FIELDS` of them, and names
/// that are short and visible.
fn template_fields(fields: Map<String, Value>) -> Result<Map<String, Value>, SpecError> {
    if fields.len() > MAX_FIELDS {
        return Err(SpecError::new(
            "fields",
            format!("at most {MAX_FIELDS} fields"),
        ));
    }
    let mut size = 0;
    for (name, value) in &fields {
        let path = format!("fields.{name}");
        let bad_name = name.is_empty()
            || name.chars().count() > MAX_FIELD_NAME
            || name
                .chars()
                .any(|c| refused_character(c, Lines::One).is_some());
        if bad_name {
            return Err(SpecError::new(
                "fields",
                format!("the field name {name:?} is not 1 to {MAX_FIELD_NAME} visible characters"),
            ));
        }
        size += name.chars().count();
        field_value(&path, value, &mut size)?;
    }
    Ok(fields)
}

/// Checks the text of one field value, nested lists and maps included, adding its length
/// to `size`.
fn field_value(path: &str, value: &Value, size: &mut usize) -> Result<(), SpecError> {
    match value {
        Value::String(text) => {
            *size += text.chars().count();
            if let Some(why) = text.chars().find_map(|c| refused_character(c, Lines::Many)) {
                return Err(SpecError::new(path, why));
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                field_value(&format!("{path}[{i}]"), item, size)?;
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                *size += key.chars().count();
                field_value(&format!("{path}.{key}"), item, size)?;
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => *size += 1,
    }
    if *size > MAX_BODY {
        return Err(SpecError::new(
            "fields",
            format!("are longer than {MAX_BODY} characters in all, the limit of a body"),
        ));
    }
    Ok(())
}

/// A Secretariat unit such as `JAI.1` or `RELEX.1.C`: the rule for a spec's `unit` and
/// for the units of people and tokens alike.
pub(crate) fn unit(value: String) -> Result<String, SpecError> {
    let value = value.trim();
    let ok = !value.is_empty()
        && value.len() <= 32
        && value.starts_with(|c: char| c.is_ascii_uppercase())
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
    if ok {
        Ok(value.to_owned())
    } else {
        Err(SpecError::new(
            "unit",
            format!("`{value}` is not a Secretariat unit such as `JAI.1` or `RELEX.1.C`"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn vocabulary() -> Vocabulary {
        Vocabulary {
            codes: ["JAI", "JAIEX", "COSI", "CFSP/PESC"]
                .iter()
                .map(|c| c.parse().unwrap())
                .collect(),
            lists: ["delegations".to_owned()].into(),
            templates: ["cover-declaration".to_owned()].into(),
        }
    }

    fn minimal() -> Value {
        json!({
            "language": "en",
            "from": "Presidency",
            "to": "Delegations",
            "subject": "Joint Declaration",
            "codes": ["JAI", "COSI"],
            "unit": "JAI.1",
            "initials": "AB/cd",
            "body": "Delegations will find attached …",
        })
    }

    fn today() -> Date {
        Date::constant(2026, 11, 22)
    }

    fn parse(value: Value) -> Result<NoteSpec, SpecError> {
        NoteSpec::from_json(value, &vocabulary(), today())
    }

    fn error_of(mut patch: Value) -> SpecError {
        let mut spec = minimal();
        let fields = patch.as_object_mut().unwrap();
        for (k, v) in std::mem::take(fields) {
            if v.is_null() {
                spec.as_object_mut().unwrap().remove(&k);
            } else {
                spec[k] = v;
            }
        }
        parse(spec).unwrap_err()
    }

    #[test]
    fn defaults_are_filled_in() {
        let spec = parse(minimal()).unwrap();
        assert_eq!(spec.kind, NoteKind::Note);
        assert_eq!(spec.original_language, Language::En);
        assert_eq!(spec.date, today());
        assert_eq!(spec.place, Place::Brussels);
        assert_eq!(spec.distribution, ["delegations"]);
        assert_eq!(
            spec.codes.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
            ["JAI", "COSI"]
        );
    }

    #[test]
    fn the_seed_spec_parses_without_its_number_and_counters() {
        let mut seed: Value =
            serde_json::from_str(include_str!("../../tests/data/6762-22-fr.json")).unwrap();
        let object = seed.as_object_mut().unwrap();
        object.remove("number");
        object["codes"] = json!(["JAI", "JAIEX", "COSI"]);
        let spec = parse(seed).unwrap();
        assert_eq!(spec.language, Language::Fr);
        assert_eq!(spec.previous[0].to_string(), "6314/1/22");
        assert_eq!(spec.date, Date::constant(2022, 3, 3));
    }

    #[test]
    fn to_json_then_from_json_gives_the_same_spec() {
        let mut value = minimal();
        value["marking"] = json!("limite");
        value["previous"] = json!(["6314/1/22"]);
        value["interinstitutional_file"] = json!("2021/0123(COD)");
        value["commission_doc"] = json!("COM(2021) 123 final");
        let spec = parse(value).unwrap();
        let again = parse(spec.to_json()).unwrap();
        assert_eq!(again, spec);
        assert_eq!(spec.to_json()["marking"], "LIMITE");
        assert_eq!(spec.to_json()["interinstitutional_file"], "2021/0123 (COD)");
    }

    #[test]
    fn templates_take_fields() {
        let mut value = minimal();
        value.as_object_mut().unwrap().remove("body");
        value["template"] = json!("cover-declaration");
        value["fields"] = json!({"declaration": "text"});
        let spec = parse(value).unwrap();
        assert!(
            matches!(spec.content, Content::Template { ref name, .. } if name == "cover-declaration")
        );
    }

    #[test]
    fn every_bad_field_is_named() {
        let cases = [
            (json!({"language": null}), "language", "is required"),
            (
                json!({"language": "xx"}),
                "language",
                "official EU language",
            ),
            (json!({"language": 7}), "language", "invalid type"),
            (
                json!({"original_language": "EN"}),
                "original_language",
                "`EN`",
            ),
            (json!({"kind": "memo"}), "kind", "unknown kind"),
            (json!({"place": "strasbourg"}), "place", "brussels"),
            (json!({"date": "3 March 2022"}), "date", "YYYY-MM-DD"),
            (json!({"date": "2022-02-30"}), "date", "YYYY-MM-DD"),
            (json!({"date": "1900-01-01"}), "date", "plausible"),
            (
                json!({"number": "6762/22"}),
                "number",
                "allocated by the registry",
            ),
            (json!({"from": "  "}), "from", "must not be empty"),
            (json!({"to": null}), "to", "is required"),
            (json!({"subject": "a\nb"}), "subject", "line break"),
            (
                json!({"subject": "x".repeat(2001)}),
                "subject",
                "longer than",
            ),
            (json!({"codes": []}), "codes", "at least one"),
            (json!({"codes": null}), "codes", "is required"),
            (
                json!({"codes": ["JAI 274"]}),
                "codes[0]",
                "allocated by the registry",
            ),
            (
                json!({"codes": ["JAI", "JIA"]}),
                "codes[1]",
                "did you mean `JAI`",
            ),
            (
                json!({"codes": ["JAI", "ZZZZZZZ"]}),
                "codes[1]",
                "knows: CFSP/PESC, COSI",
            ),
            (json!({"codes": ["jai"]}), "codes[0]", "upper-case"),
            (json!({"codes": ["JAI", "JAI"]}), "codes[1]", "twice"),
            (json!({"codes": "JAI"}), "codes", "invalid type"),
            (
                json!({"previous": ["6314/22 REV 1"]}),
                "previous[0]",
                "6314/1/22 REV 1",
            ),
            (
                json!({"marking": "SECRET UE/EU SECRET"}),
                "marking",
                "accredited",
            ),
            (json!({"marking": "PUBLIC"}), "marking", "LIMITE"),
            (
                json!({"interinstitutional_file": "2021/123"}),
                "interinstitutional_file",
                "yyyy/nnnn",
            ),
            (json!({"unit": "jai 1"}), "unit", "Secretariat unit"),
            (json!({"initials": ""}), "initials", "must not be empty"),
            (
                json!({"distribution": ["delegatoins"]}),
                "distribution[0]",
                "did you mean `delegations`",
            ),
            (json!({"body": null}), "body", "is required"),
            (json!({"body": ""}), "body", "must not be empty"),
            (
                json!({"template": "cover-declaration"}),
                "template",
                "not both",
            ),
            (json!({"fields": {}}), "fields", "only go with"),
            (json!({"colour": "red"}), "colour", "unknown field"),
        ];
        for (patch, field, message) in cases {
            let e = error_of(patch.clone());
            assert_eq!(e.field, field, "{patch}: {e}");
            assert!(e.message.contains(message), "{patch}: {e}");
        }
    }

    #[test]
    fn invisible_and_bidirectional_characters_are_refused_where_they_have_no_business() {
        let bidi = [
            '\u{202A}', '\u{202E}', '\u{2066}', '\u{2069}', '\u{200E}', '\u{200F}', '\u{061C}',
        ];
        for c in bidi {
            for field in [
                "subject",
                "from",
                "to",
                "initials",
                "commission_doc",
                "body",
            ] {
                let e = error_of(json!({ field: format!("Joint{c}Declaration") }));
                assert_eq!(e.field, field, "{c:?}");
                assert!(e.message.contains("bidirectional control"), "{e}");
            }
        }
        // Zero-width and other format characters: refused on one line, kept in the body.
        for c in ['\u{200B}', '\u{200D}', '\u{2060}', '\u{FEFF}', '\u{00AD}'] {
            for field in ["subject", "from", "to", "initials"] {
                let e = error_of(json!({ field: format!("Joint{c}Declaration") }));
                assert_eq!(e.field, field, "{c:?}");
                assert!(e.message.contains("invisible format character"), "{e}");
                assert!(e.message.contains(&format!("U+{:04X}", c as u32)), "{e}");
            }
            let mut value = minimal();
            value["body"] = json!(format!("Joint{c}Declaration"));
            assert!(parse(value).is_ok(), "{c:?} in the body");
        }
        assert_eq!(error_of(json!({"unit": "JAI\u{200B}.1"})).field, "unit");
        // Right-to-left letters themselves are not controls.
        let mut value = minimal();
        value["subject"] = json!("Declaration on \u{05E2}\u{05D1}\u{05E8}\u{05D9}\u{05EA}");
        assert!(parse(value).is_ok());
    }

    fn with_fields(fields: Value) -> Result<NoteSpec, SpecError> {
        let mut value = minimal();
        value.as_object_mut().unwrap().remove("body");
        value["template"] = json!("cover-declaration");
        value["fields"] = fields;
        parse(value)
    }

    #[test]
    fn template_fields_have_the_limits_of_a_body() {
        let half = "x".repeat(MAX_BODY / 2);
        assert!(with_fields(json!({"title": "T", "declaration": half})).is_ok());
        let e = with_fields(json!({"a": half, "b": half, "c": "over"})).unwrap_err();
        assert_eq!(e.field, "fields");
        assert!(e.message.contains("2000000 characters"), "{e}");
        let e = with_fields(json!({"title": "A\u{202E}B"})).unwrap_err();
        assert_eq!(e.field, "fields.title");
        assert!(e.message.contains("bidirectional"), "{e}");
        let e = with_fields(json!({"points": ["ok", {"inner": "bell\u{7}"}]})).unwrap_err();
        assert_eq!(e.field, "fields.points[1].inner");
        let e = with_fields(json!({"ti\u{200B}tle": "T"})).unwrap_err();
        assert_eq!(e.field, "fields");
        assert!(e.message.contains("field name"), "{e}");
        let many: Map<String, Value> = (0..=MAX_FIELDS)
            .map(|i| (format!("f{i}"), json!("v")))
            .collect();
        let e = with_fields(Value::Object(many)).unwrap_err();
        assert!(e.message.contains("at most 100 fields"), "{e}");
        assert!(with_fields(json!({"declaration": "line one\n\u{200B}line two"})).is_ok());
    }

    #[test]
    fn unknown_template_is_named() {
        let mut value = minimal();
        value.as_object_mut().unwrap().remove("body");
        value["template"] = json!("nope");
        let e = parse(value).unwrap_err();
        assert_eq!(e.field, "template");
        assert!(e.message.contains("cover-declaration"), "{e}");
    }

    #[test]
    fn standalone_specs_carry_their_number_and_counters() {
        let seed: Value =
            serde_json::from_str(include_str!("../../tests/data/6762-22-en.json")).unwrap();
        let mut vocabulary = vocabulary();
        for code in ["COLAC", "CRIMORG", "ENFOPOL", "CORDROGUE"] {
            vocabulary.codes.insert(code.parse().unwrap());
        }
        let standalone =
            NoteSpec::standalone_from_json(seed.clone(), &vocabulary, today()).unwrap();
        assert_eq!(standalone.number.to_string(), "6762/22");
        assert_eq!(standalone.codes[0].to_string(), "JAI 274");
        assert_eq!(standalone.spec.codes[0].as_str(), "JAI");
        let mut no_counter = seed.clone();
        no_counter["codes"] = json!(["JAI"]);
        let e = NoteSpec::standalone_from_json(no_counter, &vocabulary, today()).unwrap_err();
        assert_eq!(e.field, "codes[0]");
        let mut no_number = seed;
        no_number.as_object_mut().unwrap().remove("number");
        let e = NoteSpec::standalone_from_json(no_number, &vocabulary, today()).unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.message.as_str()),
            ("number", "is required")
        );
    }

    #[test]
    fn a_stored_spec_reads_back_whatever_the_configuration_names_now() {
        let mut stored = minimal();
        stored["codes"] = json!(["RETIRED"]);
        stored["distribution"] = json!(["old-list"]);
        stored.as_object_mut().unwrap().remove("body");
        stored["template"] = json!("old-template");
        let spec = NoteSpec::from_stored(stored.clone(), today()).unwrap();
        assert_eq!(spec.codes[0].as_str(), "RETIRED");
        assert!(NoteSpec::from_json(stored.clone(), &vocabulary(), today()).is_err());
        stored["language"] = json!("xx");
        assert_eq!(
            NoteSpec::from_stored(stored, today()).unwrap_err().field,
            "language"
        );
    }

    #[test]
    fn a_spec_that_is_not_an_object_is_refused() {
        let e = parse(json!([1, 2])).unwrap_err();
        assert!(e.message.contains("invalid type"), "{e}");
    }
}
