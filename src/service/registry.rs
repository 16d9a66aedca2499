//! Registering, editing and reading notes.

use serde_json::Value;

use super::{Service, ServiceError};
use crate::clock::brussels_date;
use crate::note::{Note, NoteId, NoteSpec, SpecError};
use crate::store::{AuditEntry, NewNote, NoteFilter, Principal};
use crate::workflow::{Event, NoteState, transition};

/// `GET /api/notes` parameters, as given.
#[derive(Debug, Default)]
pub struct ListQuery {
    pub state: Option<String>,
    pub limit: Option<String>,
}

const DEFAULT_LIMIT: i64 = 100;
const MAX_LIMIT: i64 = 1000;

impl Service {
    /// Validates the spec, then allocates the number and code counters and stores the
    /// note as a draft, in one transaction. The year is Brussels' at this instant.
    #[tracing::instrument(skip_all, fields(by = %who.name))]
    pub async fn register(&self, who: &Principal, body: Value) -> Result<Note, ServiceError> {
        let now = self.clock.now();
        let today = brussels_date(now);
        let spec = NoteSpec::from_json(body, &self.vocabulary, today)?;
        self.refuse_overlong(&spec).await?;
        let note = self
            .store
            .register(NewNote {
                spec: &spec.to_json(),
                codes: &spec.codes,
                year: today.year(),
                first_number: self.first_number,
                created_by: &who.name,
                now,
            })
            .await?;
        tracing::info!(number = %note.number, id = note.id, "registered");
        Ok(note)
    }

    /// Saves a new version of a note's spec. Number and counters stay; the codes a note
    /// was registered with cannot change, since their counters are already allocated.
    #[tracing::instrument(skip_all, fields(note = id, by = %who.name))]
    pub async fn edit(&self, who: &Principal, id: &str, body: Value) -> Result<Note, ServiceError> {
        let note = self.note(id).await?;
        transition(note.state, Event::Edit)?;
        // Codes left out of an edit stay as registered.
        let mut body = body;
        if let Some(fields) = body.as_object_mut()
            && !fields.contains_key("codes")
        {
            let names: Vec<Value> = note.codes.iter().map(|c| c.name.as_str().into()).collect();
            fields.insert("codes".to_owned(), names.into());
        }
        let spec = NoteSpec::from_json(body, &self.vocabulary, brussels_date(note.created_at))?;
        self.refuse_overlong(&spec).await?;
        let registered: Vec<&str> = note.codes.iter().map(|c| c.name.as_str()).collect();
        let sent: Vec<&str> = spec.codes.iter().map(|c| c.as_str()).collect();
        if registered != sent {
            return Err(SpecError {
                field: "codes".to_owned(),
                message: format!(
                    "a registered note keeps its codes ({}) since their counters are allocated; \
                     register a new note for other codes",
                    registered.join(", ")
                ),
            }
            .into());
        }
        let saved = self
            .store
            .save_version(&note, &spec.to_json(), &who.name, self.clock.now())
            .await?
            .ok_or(ServiceError::Stale(note.id))?;
        tracing::info!(number = %saved.number, version = saved.version, "edited");
        Ok(saved)
    }

    /// Takes a note back before it is issued; its number stays taken and its approval
    /// links stop working.
    #[tracing::instrument(skip_all, fields(note = id, by = %who.name))]
    pub async fn withdraw(&self, who: &Principal, id: &str) -> Result<Note, ServiceError> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let mut note = self.lock(&mut tx, id).await?;
        note.state = transition(note.state, Event::Withdraw)?;
        note.updated_at = now;
        tx.close_tokens(note.id).await?;
        tx.save_note(&note).await?;
        tx.audit(
            note.id,
            &AuditEntry::new(now, &who.name, "withdrawn", Some(note.version)),
        )
        .await?;
        tx.commit().await?;
        tracing::info!(number = %note.number, "withdrawn");
        Ok(note)
    }

    /// A note's audit trail, oldest first.
    pub async fn audit(&self, id: &str) -> Result<Vec<AuditEntry>, ServiceError> {
        let note = self.note(id).await?;
        Ok(self.store.audit(note.id).await?)
    }

    /// One note by its id as written in a URL.
    pub async fn note(&self, id: &str) -> Result<Note, ServiceError> {
        let not_found = || ServiceError::NotFound(id.to_owned());
        let id: NoteId = id.parse().map_err(|_| not_found())?;
        self.store.note(id).await?.ok_or_else(not_found)
    }

    /// Notes newest first, optionally in one state.
    pub async fn list(&self, query: ListQuery) -> Result<Vec<Note>, ServiceError> {
        let state = query
            .state
            .map(|s| s.parse::<NoteState>())
            .transpose()
            .map_err(|message| SpecError {
                field: "state".to_owned(),
                message,
            })?;
        let limit = match query.limit {
            None => DEFAULT_LIMIT,
            Some(text) => text
                .parse()
                .ok()
                .filter(|l| (1..=MAX_LIMIT).contains(l))
                .ok_or_else(|| SpecError {
                    field: "limit".to_owned(),
                    message: format!("`{text}` is not a number from 1 to {MAX_LIMIT}"),
                })?,
        };
        Ok(self.store.notes(&NoteFilter { state, limit }).await?)
    }
}
