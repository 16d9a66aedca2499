//! The rule of each field: required, parsed, bounded, with only the characters its place
//! allows, each error naming the field (or the item of a list) at fault.

use jiff::civil::Date;
use serde_json::{Map, Value};
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

use super::suggest::unknown;
use super::{SpecError, Vocabulary};
use crate::reference::{CodeName, DistributionCode};

/// Limits that keep one note from filling the database or the page.
pub(super) const MAX_LINE: usize = 500;
pub(super) const MAX_SUBJECT: usize = 2_000;
pub(super) const MAX_BODY: usize = 2_000_000;
pub(super) const MAX_ITEMS: usize = 20;
/// A template's fields are its body in pieces: `MAX_BODY` characters in all, as many
/// fields as a form could sensibly have, and names as short as a key.
pub(super) const MAX_FIELDS: usize = 100;
pub(super) const MAX_FIELD_NAME: usize = 64;

pub(super) fn required<T>(field: &str, value: Option<T>) -> Result<T, SpecError> {
    value.ok_or_else(|| SpecError::new(field, "is required"))
}

pub(super) fn parse_field<T>(field: &str, input: &str) -> Result<T, SpecError>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    input
        .parse()
        .map_err(|e: T::Err| SpecError::new(field, e.to_string()))
}

pub(super) fn parse_required<T>(field: &str, input: Option<String>) -> Result<T, SpecError>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    parse_field(field, &required(field, input)?)
}

pub(super) fn parse_date(input: &str) -> Result<Date, SpecError> {
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
pub(super) fn list_of<T: PartialEq>(
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
pub(super) fn parse_code_list<T: PartialEq>(
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
pub(super) fn parse_codes(
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
pub(super) fn parse_counted_codes(
    codes: Option<Vec<String>>,
    vocabulary: Option<&Vocabulary>,
) -> Result<Vec<DistributionCode>, SpecError> {
    parse_code_list(codes, vocabulary, "JAI 274", |field, s| {
        let code: DistributionCode = parse_field(field, s)?;
        let name = code.name.clone();
        Ok((code, name))
    })
}

/// Whether a free-text field is printed on one line of the header or flows as body text.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Lines {
    One,
    Many,
}

/// Free text: trimmed, not empty, bounded, and with only the characters its place allows
/// (see [`refused_character`]).
pub(super) fn text(
    field: &str,
    value: String,
    max: usize,
    lines: Lines,
) -> Result<String, SpecError> {
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
pub(super) fn refused_character(c: char, lines: Lines) -> Option<String> {
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
pub(super) fn template_fields(fields: Map<String, Value>) -> Result<Map<String, Value>, SpecError> {
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
pub(super) fn field_value(path: &str, value: &Value, size: &mut usize) -> Result<(), SpecError> {
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
