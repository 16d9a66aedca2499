//! The web desk's use cases beyond the API's: the list with its filters, everything the
//! note page shows at once, the live preview, and the choices the form offers. Each
//! works within the signed-in person's scope through the same checks as the API.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::{Service, ServiceError};
use crate::access::{Principal, Role};
use crate::clock::brussels_date;
use crate::diff::{self, Change};
use crate::note::{Note, NoteId, NoteSpec, SpecError};
use crate::outbox::DeliveryStatus;
use crate::reference::{DistributionCode, DocNumber};
use crate::render::NoteDocument;
use crate::store::{AuditEntry, Delivery, NoteFilter};
use crate::workflow::{Event, NoteState, transition};

/// Notes per page of the desk's list.
pub const DESK_PAGE: i64 = 50;

/// The desk's list filters, as given in the query string (empty means none).
#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct DeskQuery {
    pub state: Option<String>,
    pub unit: Option<String>,
    pub year: Option<String>,
    pub q: Option<String>,
    /// The id of the last note of the previous page.
    pub before: Option<String>,
}

/// One page of the desk's list, newest first.
pub struct DeskPage {
    pub notes: Vec<Note>,
    /// The `before` of the next page, if there is one.
    pub next: Option<NoteId>,
}

/// The actions the note page offers now: what `workflow` allows in the note's state and
/// the person's role allows them.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct Actions {
    pub edit: bool,
    pub submit: bool,
    pub withdraw: bool,
    pub revise: bool,
    /// Re-queue failed deliveries (admins).
    pub retry: bool,
}

/// Everything the note page shows.
pub struct Sheet {
    pub note: Note,
    pub actions: Actions,
    /// Every version's spec, oldest first.
    pub versions: Vec<(i64, Value)>,
    pub audit: Vec<AuditEntry>,
    pub deliveries: Vec<Delivery>,
}

/// What the form offers to pick from.
pub struct Choices {
    /// Code names with their meanings (`codes` in the configuration).
    pub codes: BTreeMap<String, String>,
    pub lists: Vec<String>,
    pub templates: Vec<String>,
}

impl Service {
    /// The desk's list: newest first, within the person's scope, filtered.
    pub async fn desk_list(
        &self,
        who: &Principal,
        query: &DeskQuery,
    ) -> Result<DeskPage, ServiceError> {
        let given = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let invalid = |field: &str, message: String| SpecError {
            field: field.to_owned(),
            message,
        };
        let state = given(&query.state)
            .map(|s| s.parse::<NoteState>())
            .transpose()
            .map_err(|m| invalid("state", m))?;
        let year = given(&query.year)
            .map(|y| {
                y.parse::<i64>()
                    .ok()
                    .filter(|y| (2000..=2999).contains(y))
                    .ok_or_else(|| invalid("year", format!("`{y}` is not a year")))
            })
            .transpose()?;
        let before = given(&query.before)
            .map(|b| {
                b.parse::<NoteId>()
                    .ok()
                    .filter(|b| *b > 0)
                    .ok_or_else(|| invalid("before", format!("`{b}` is not a note id")))
            })
            .transpose()?;
        let (mut notes, rows) = self
            .store
            .notes(&NoteFilter {
                state,
                units: who.scope().map(<[String]>::to_vec),
                before,
                limit: DESK_PAGE + 1,
                unit: given(&query.unit),
                year,
                search: given(&query.q).map(|q| q.chars().take(200).collect()),
            })
            .await?;
        let more = rows as i64 > DESK_PAGE;
        notes.truncate(DESK_PAGE as usize);
        let next = notes.last().filter(|_| more).map(|n| n.id);
        Ok(DeskPage { notes, next })
    }

    /// The note page: the note, what may be done with it now, its versions, audit trail
    /// and deliveries; a note outside the person's scope is not found.
    pub async fn sheet(&self, who: &Principal, id: &str) -> Result<Sheet, ServiceError> {
        let note = self.readable_note(who, id).await?;
        let versions = self.store.versions(note.id).await?;
        let audit = self.store.audit(note.id).await?;
        let deliveries = self.store.deliveries(note.id).await?;
        let allowed = |event| transition(note.state, event).is_ok();
        let actions = Actions {
            edit: allowed(Event::Edit),
            submit: allowed(Event::Submit),
            withdraw: allowed(Event::Withdraw),
            revise: allowed(Event::Revise),
            retry: who.role == Role::Admin
                && deliveries
                    .iter()
                    .any(|d| d.status == DeliveryStatus::Failed),
        };
        Ok(Sheet {
            note,
            actions,
            versions,
            audit,
            deliveries,
        })
    }

    /// What the form offers: the configured codes with their meanings, the lists and the
    /// templates.
    pub fn choices(&self) -> Choices {
        Choices {
            codes: self.desk.codes.clone(),
            lists: self.vocabulary.lists.iter().cloned().collect(),
            templates: self.vocabulary.templates.iter().cloned().collect(),
        }
    }

    /// A template's fields, each with whether it may be left empty.
    pub fn template_fields(&self, template: &str) -> Vec<(String, bool)> {
        self.renderer.templates().fields(template)
    }

    /// The pages of a note being written, as SVG laid out exactly as its PDF will be.
    /// What is still empty prints as `…`, so the page grows from the first keystroke;
    /// `editing` is the note being edited, whose number and codes are printed.
    pub async fn preview(
        &self,
        who: &Principal,
        editing: Option<&str>,
        body: Value,
    ) -> Result<Vec<String>, ServiceError> {
        let today = brussels_date(self.clock.now());
        let spec = NoteSpec::from_json(self.unfinished(body), &self.vocabulary, today)?;
        let (number, codes) = match editing {
            Some(id) => {
                let note = self.readable_note(who, id).await?;
                (note.number, note.codes)
            }
            None => (
                DocNumber::new(
                    u32::try_from(self.first_number).unwrap_or(1),
                    u16::try_from(today.year()).unwrap_or(2000),
                ),
                spec.codes
                    .iter()
                    .map(|name| DistributionCode {
                        name: name.clone(),
                        counter: 1,
                    })
                    .collect(),
            ),
        };
        self.run(move |renderer| {
            renderer.preview(
                &NoteDocument {
                    spec: &spec,
                    number: &number,
                    codes: &codes,
                },
                true,
            )
        })
        .await
    }

    /// A form's spec with `…` in what must be given and is still empty.
    fn unfinished(&self, mut body: Value) -> Value {
        const ELLIPSIS: &str = "…";
        let Some(fields) = body.as_object_mut() else {
            return body;
        };
        for key in ["subject", "from", "to", "unit", "initials"] {
            if fields
                .get(key)
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
            {
                fields.insert(key.to_owned(), ELLIPSIS.into());
            }
        }
        if let Some(template) = fields.get("template").and_then(Value::as_str) {
            let needed = self.template_fields(template);
            let values = fields
                .entry("fields")
                .or_insert_with(|| Value::Object(Map::new()));
            if let Some(values) = values.as_object_mut() {
                for (name, optional) in needed {
                    let empty = values
                        .get(&name)
                        .and_then(Value::as_str)
                        .is_none_or(str::is_empty);
                    if empty && !optional {
                        values.insert(name, ELLIPSIS.into());
                    }
                }
            }
        }
        body
    }
}

/// A version's spec as text, one field a line and the body last, for comparing versions.
pub fn spec_text(spec: &Value) -> String {
    let mut out = String::new();
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned))
            .collect::<Vec<_>>()
            .join(", "),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    for key in [
        "kind",
        "language",
        "original_language",
        "date",
        "place",
        "from",
        "to",
        "previous",
        "subject",
        "codes",
        "marking",
        "unit",
        "initials",
        "distribution",
        "template",
    ] {
        if let Some(value) = spec.get(key).filter(|v| !v.is_null()) {
            out.push_str(&format!("{key}: {}\n", text(value)));
        }
    }
    if let Some(fields) = spec.get("fields").and_then(Value::as_object) {
        for (name, value) in fields {
            out.push_str(&format!("{name}: {}\n", text(value)));
        }
    }
    if let Some(body) = spec.get("body").and_then(Value::as_str) {
        out.push('\n');
        out.push_str(body);
    }
    out
}

/// The changes from one version's spec to another's, word by word.
pub fn spec_changes(old: &Value, new: &Value) -> Vec<(Change, String)> {
    diff::words(&spec_text(old), &spec_text(new))
}

/// The desk's configuration, as the use cases need it.
pub(super) struct DeskSettings {
    pub session_ttl: std::time::Duration,
    pub signin_link_ttl: std::time::Duration,
    /// The configured codes with their meanings, for the form.
    pub codes: BTreeMap<String, String>,
    /// `approval.deputies`, addresses in lower case.
    pub deputies: BTreeMap<String, Vec<String>>,
}

impl DeskSettings {
    pub fn of(settings: &crate::config::Settings) -> Self {
        Self {
            session_ttl: settings.web.session_ttl,
            signin_link_ttl: settings.web.signin_link_ttl,
            codes: settings.codes.clone(),
            deputies: settings
                .approval
                .deputies
                .iter()
                .map(|(a, ds)| {
                    (
                        a.to_lowercase(),
                        ds.iter().map(|d| d.to_lowercase()).collect(),
                    )
                })
                .collect(),
        }
    }
}
