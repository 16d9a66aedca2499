//! What the desk's templates are filled with, made from notes and forms; and a posted
//! note form turned into the spec the API takes, so that both edges register the same
//! thing through the same use case.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::Ctx;
use crate::clock::brussels_time;
use crate::diff::Change;
use crate::note::{Language, Note, NoteKind, Place};
use crate::outbox::DeliveryStatus;
use crate::service::{Choices, DeskPage, DeskQuery, Sheet};
use crate::workflow::{Decision, NoteState};

/// A posted form's name–value pairs, in order; names repeat for checkboxes.
pub type Posted = Vec<(String, String)>;

/// The value of a single field of a posted form.
pub fn field<'a>(posted: &'a Posted, name: &str) -> Option<&'a str> {
    posted
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// A posted note form as a spec in the API's wire form. Empty optional fields are left
/// out, so that the registry's defaults apply as they do for the API.
pub fn spec_of_form(posted: &Posted) -> Value {
    let mut spec = Map::new();
    let text = |name: &str| field(posted, name).map(str::trim).unwrap_or_default();
    for key in [
        "kind",
        "language",
        "original_language",
        "date",
        "place",
        "from",
        "to",
        "subject",
        "marking",
        "unit",
        "initials",
    ] {
        let value = text(key);
        // Texts the registry requires are sent even when empty, so that its message
        // says which one is missing beside it.
        let required = matches!(key, "from" | "to" | "subject" | "unit" | "initials");
        if required || !value.is_empty() {
            spec.insert(key.to_owned(), value.into());
        }
    }
    let previous: Vec<Value> = text("previous")
        .split([',', '\n'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(Value::from)
        .collect();
    if !previous.is_empty() {
        spec.insert("previous".to_owned(), previous.into());
    }
    let all = |name: &str| -> Vec<Value> {
        posted
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| Value::from(v.as_str()))
            .collect()
    };
    spec.insert("codes".to_owned(), all("codes").into());
    spec.insert("distribution".to_owned(), all("distribution").into());
    match field(posted, "template").filter(|t| !t.is_empty()) {
        Some(template) => {
            spec.insert("template".to_owned(), template.into());
            let fields: Map<String, Value> = posted
                .iter()
                .filter_map(|(k, v)| {
                    let name = k.strip_prefix("fields.")?;
                    (!v.trim().is_empty()).then(|| (name.to_owned(), Value::from(v.as_str())))
                })
                .collect();
            spec.insert("fields".to_owned(), fields.into());
        }
        None => {
            spec.insert("body".to_owned(), text("body").into());
        }
    }
    Value::Object(spec)
}

/// The form field an error names: `previous[1]` is the `previous` field, and
/// `fields.points[0].x` the template field `fields.points`.
pub fn form_field(error_field: &str) -> String {
    let end = error_field.find('[').unwrap_or(error_field.len());
    let name = &error_field[..end];
    match name.strip_prefix("fields.") {
        Some(rest) => format!("fields.{}", rest.split('.').next().unwrap_or(rest)),
        None => name.to_owned(),
    }
}

fn state_label(ctx: &Ctx, state: NoteState) -> String {
    ctx.t(&format!("state_{}", state.as_str()))
}

/// The step a note waits on, when it is in review.
fn current_step(note: &Note) -> Option<String> {
    let review = note.review.as_ref()?;
    (note.state == NoteState::InReview)
        .then(|| review.steps.get(review.step).map(|s| s.name.clone()))
        .flatten()
}

fn spec_str<'a>(spec: &'a Value, key: &str) -> &'a str {
    spec.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// The list page.
pub fn list(ctx: &Ctx, query: &DeskQuery, page: &DeskPage) -> Value {
    let chosen = query.state.as_deref().unwrap_or_default();
    let states: Vec<Value> = NoteState::ALL
        .iter()
        .map(|s| json!({ "value": s.as_str(), "label": state_label(ctx, *s), "selected": s.as_str() == chosen }))
        .collect();
    let notes: Vec<Value> = page
        .notes
        .iter()
        .map(|n| {
            json!({
                "id": n.id,
                "number": n.number.to_string(),
                "subject": n.subject(),
                "state": n.state.as_str(),
                "state_label": state_label(ctx, n.state),
                "step": current_step(n).unwrap_or_default(),
                "updated": brussels_time(n.updated_at),
                "unit": n.spec.unit,
            })
        })
        .collect();
    let next = page.next.map(|before| {
        let mut url = url::form_urlencoded::Serializer::new(String::new());
        for (key, value) in [
            ("q", &query.q),
            ("state", &query.state),
            ("unit", &query.unit),
            ("year", &query.year),
        ] {
            if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
                url.append_pair(key, v);
            }
        }
        url.append_pair("before", &before.to_string());
        format!("/notes?{}", url.finish())
    });
    json!({
        "states": states,
        "notes": notes,
        "next": next,
        "q": query.q.clone().unwrap_or_default(),
        "unit": query.unit.clone().unwrap_or_default(),
        "year": query.year.clone().unwrap_or_default(),
        "error": Value::Null,
    })
}

fn options<'a>(all: impl IntoIterator<Item = &'a str>, chosen: &str) -> Vec<Value> {
    all.into_iter()
        .map(|v| json!({ "value": v, "selected": v == chosen }))
        .collect()
}

/// What the note form shows: the values of `spec` (a stored version, the defaults, or
/// what was posted), the choices, and errors by form field.
pub struct FormView<'a> {
    pub ctx: &'a Ctx,
    pub spec: &'a Value,
    pub choices: &'a Choices,
    /// A template's fields with whether each is optional.
    pub template_fields: &'a [(String, bool)],
    pub errors: &'a BTreeMap<String, String>,
    /// The note being edited, with its version.
    pub editing: Option<(i64, i64)>,
}

impl FormView<'_> {
    pub fn to_json(&self, heading: &str, error: Option<String>) -> Value {
        let ctx = self.ctx;
        let spec = self.spec;
        let s = |key: &str| spec_str(spec, key);
        let f = |key: &str, value: Value| json!({ "value": value, "error": self.errors.get(key) });
        let list = |key: &str| -> Vec<String> {
            spec.get(key)
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default()
        };
        let codes = list("codes");
        let distribution = list("distribution");
        let template = spec.get("template").and_then(Value::as_str);
        let texts: Vec<Value> = ["from", "to", "subject", "unit", "initials"]
            .iter()
            .map(|key| json!({ "name": key, "label": ctx.t(key), "value": s(key), "error": self.errors.get(*key) }))
            .collect();
        let fields: Vec<Value> = self
            .template_fields
            .iter()
            .map(|(name, optional)| {
                let key = format!("fields.{name}");
                let help_key = format!("help_{name}");
                let help = ctx.lang.strings()[help_key.as_str()]
                    .as_str()
                    .map_or_else(|| ctx.t("help_field"), str::to_owned);
                json!({
                    "id": format!("field-{name}"),
                    "key": key,
                    "name": name,
                    "optional": optional,
                    "help": help,
                    "value": spec.get("fields").and_then(|f| f.get(name)).and_then(Value::as_str).unwrap_or_default(),
                    "error": self.errors.get(&key),
                })
            })
            .collect();
        let language = if s("language").is_empty() {
            ctx.lang.code()
        } else {
            s("language")
        };
        let languages = Language::ALL.iter().map(|l| l.code());
        let mut field_values = Map::new();
        for key in [
            "kind",
            "language",
            "original_language",
            "date",
            "marking",
            "codes",
            "distribution",
        ] {
            field_values.insert(key.to_owned(), f(key, s(key).into()));
        }
        field_values.insert(
            "previous".to_owned(),
            f("previous", list("previous").join(", ").into()),
        );
        field_values.insert("body".to_owned(), f("body", s("body").into()));
        json!({
            "heading": heading,
            "error": error,
            "action": match self.editing { Some((id, _)) => format!("/notes/{id}"), None => "/notes".to_owned() },
            "editing": self.editing.map(|(id, _)| id),
            "version": self.editing.map(|(_, v)| v),
            "template": template,
            "templates": self.choices.templates,
            "kinds": options(NoteKind::ALL.iter().map(|k| k.as_str()), if s("kind").is_empty() { "note" } else { s("kind") }),
            "languages": options(languages.clone(), language),
            "original_languages": options(languages, s("original_language")),
            "places": options(Place::ALL.iter().map(|p| p.as_str()), s("place")),
            "limite": s("marking") == "LIMITE",
            "texts": texts,
            "codes": self.choices.codes.iter().map(|(name, meaning)| json!({ "name": name, "meaning": meaning, "checked": codes.contains(name) })).collect::<Vec<_>>(),
            "lists": self.choices.lists.iter().map(|name| json!({ "name": name, "checked": distribution.contains(name) })).collect::<Vec<_>>(),
            "fields": fields,
            "f": field_values,
        })
    }
}

/// The note page. `compare` is the pair of versions whose changes are shown.
pub fn sheet(ctx: &Ctx, sheet: &Sheet, compare: Option<(i64, i64)>) -> Value {
    let note = &sheet.note;
    let spec = &note.spec.to_json();
    let joined = |key: &str| {
        spec.get(key)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default()
    };
    let decisions: Vec<Value> = note
        .review
        .iter()
        .flat_map(|r| &r.steps)
        .flat_map(|step| {
            step.approvers.iter().filter_map(|a| {
                let decision = match a.decision? {
                    Decision::Approve => ctx.t("approved"),
                    Decision::Reject => ctx.t("changes_requested"),
                };
                Some(json!({
                    "step": step.name,
                    "approver": a.email,
                    "decision": decision,
                    "at": a.decided_at.map(brussels_time).unwrap_or_default(),
                    "comment": a.comment.clone().unwrap_or_default(),
                }))
            })
        })
        .collect();
    let count = |status: DeliveryStatus| {
        sheet
            .deliveries
            .iter()
            .filter(|d| d.status == status)
            .count()
    };
    let open = count(DeliveryStatus::Queued) + count(DeliveryStatus::Deferred);
    let deliveries: Vec<Value> = sheet
        .deliveries
        .iter()
        .map(|d| {
            json!({
                "recipient": d.recipient,
                "status": d.status.as_str(),
                "failed": d.status == DeliveryStatus::Failed,
                "attempts": d.attempts,
                "last_error": d.last_error.clone().unwrap_or_default(),
                "sent_at": d.sent_at.map(brussels_time).unwrap_or_default(),
            })
        })
        .collect();
    let (from, to) = compare.unwrap_or_default();
    let versions: Vec<Value> = sheet
        .versions
        .iter()
        .map(|(v, _)| json!({ "value": v, "from": *v == from, "to": *v == to }))
        .collect();
    let spec_of = |v: i64| sheet.versions.iter().find(|(n, _)| *n == v).map(|(_, s)| s);
    let changes: Vec<Value> = match compare.and_then(|(a, b)| Some((spec_of(a)?, spec_of(b)?))) {
        Some((old, new)) if from != to => crate::service::spec_changes(old, new)
            .into_iter()
            .map(|(change, text)| json!({ "added": change == Change::Added, "removed": change == Change::Removed, "text": text }))
            .collect(),
        _ => Vec::new(),
    };
    let audit: Vec<Value> = sheet
        .audit
        .iter()
        .map(|e| {
            json!({
                "at": brussels_time(e.at),
                "actor": e.actor,
                "action": e.action,
                "version": e.version,
                "detail": e.detail.clone().unwrap_or_default(),
            })
        })
        .collect();
    json!({
        "id": note.id,
        "number": note.number.to_string(),
        "subject": note.subject(),
        "state": note.state.as_str(),
        "state_label": state_label(ctx, note.state),
        "step": current_step(note),
        "version": note.version,
        "from": spec_str(spec, "from"),
        "to": spec_str(spec, "to"),
        "date": spec_str(spec, "date"),
        "place": spec_str(spec, "place"),
        "codes": note.codes.iter().map(ToString::to_string).collect::<Vec<_>>().join(" "),
        "unit": spec_str(spec, "unit"),
        "initials": spec_str(spec, "initials"),
        "marking": spec.get("marking"),
        "distribution": joined("distribution"),
        "issued": matches!(note.state, NoteState::Issued | NoteState::Distributed),
        "actions": sheet.actions,
        "decisions": decisions,
        "deliveries": deliveries,
        "delivery_summary": format!(
            "{} {} · {} {} · {} {}",
            count(DeliveryStatus::Sent), ctx.t("status_sent"),
            open, ctx.t("status_open"),
            count(DeliveryStatus::Failed), ctx.t("status_failed"),
        ),
        "live": open > 0,
        "versions": versions,
        "changes": changes,
        "audit": audit,
        "notice": Value::Null,
        "error": Value::Null,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn posted(pairs: &[(&str, &str)]) -> Posted {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn a_form_becomes_the_api_spec() {
        let spec = spec_of_form(&posted(&[
            ("csrf", "x"),
            ("kind", "note"),
            ("language", "en"),
            ("original_language", ""),
            ("date", ""),
            ("subject", " Subject "),
            ("previous", "6314/1/22, 5001/22"),
            ("codes", "JAI"),
            ("codes", "COSI"),
            ("distribution", "delegations"),
            ("template", "i-a-item-note"),
            ("fields.background", "B"),
            ("fields.meeting", " "),
        ]));
        assert_eq!(spec["subject"], "Subject");
        assert!(spec.get("date").is_none() && spec.get("original_language").is_none());
        assert_eq!(spec["previous"], json!(["6314/1/22", "5001/22"]));
        assert_eq!(spec["codes"], json!(["JAI", "COSI"]));
        assert_eq!(spec["fields"], json!({ "background": "B" }));
        assert!(spec.get("body").is_none() && spec.get("csrf").is_none());
        let free = spec_of_form(&posted(&[("body", "Text")]));
        assert_eq!(free["body"], "Text");
        assert_eq!(free["subject"], "");
    }

    #[test]
    fn errors_are_placed_by_the_field_they_name() {
        assert_eq!(form_field("subject"), "subject");
        assert_eq!(form_field("previous[1]"), "previous");
        assert_eq!(form_field("fields.points[0].x"), "fields.points");
        assert_eq!(form_field("fields.background"), "fields.background");
    }
}
