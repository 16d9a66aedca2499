//! Registering, editing and reading notes, each within the caller's scope: a drafter
//! acts on the notes of their units (403 elsewhere) and reads only those (404 elsewhere,
//! exactly as for a missing note, so other units' numbers do not leak).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use super::{Service, ServiceError};
use crate::access::Principal;
use crate::clock::brussels_date;
use crate::note::{Note, NoteId, NoteSpec, SpecError};
use crate::store::{AuditEntry, NewNote, NoteFilter, WriteTx};
use crate::workflow::{Event, NoteState, transition};

/// `GET /api/notes` parameters, as given.
#[derive(Debug, Default)]
pub struct ListQuery {
    pub state: Option<String>,
    pub limit: Option<String>,
    /// The `next` of the previous page.
    pub cursor: Option<String>,
}

/// One page of notes, newest first, and the cursor of the next page if there is one.
#[derive(Debug)]
pub struct NotePage {
    pub notes: Vec<Note>,
    pub next: Option<String>,
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
        in_scope(who, &spec.unit)?;
        self.refuse_overlong(&spec).await?;
        let note = self
            .store
            .register(NewNote {
                spec: &spec,
                year: u16::try_from(today.year()).map_err(|_| {
                    ServiceError::Internal(format!("the year {} has no series", today.year()))
                })?,
                first_number: self.first_number,
                by: who,
                now,
            })
            .await?;
        tracing::info!(number = %note.number, id = note.id, "registered");
        Ok(note)
    }

    /// Saves a new version of a note's spec. Number and counters stay; the codes a note
    /// was registered with cannot change, since their counters are already allocated.
    /// With `accepted` (the versions `If-Match` names: the one the editor started from),
    /// an edit of any other version is [`ServiceError::Stale`], so that two drafters of
    /// one unit never overwrite each other silently.
    #[tracing::instrument(skip_all, fields(note = id, by = %who.name))]
    pub async fn edit(
        &self,
        who: &Principal,
        id: &str,
        body: Value,
        accepted: Option<&[i64]>,
    ) -> Result<Note, ServiceError> {
        let note = self.note_to_act_on(who, id).await?;
        if accepted.is_some_and(|versions| !versions.contains(&note.version)) {
            return Err(ServiceError::Stale(note.id));
        }
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
        in_scope(who, &spec.unit)?;
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
            .save_version(&note, &spec, who, self.clock.now())
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
        let mut note = self.lock_to_act_on(&mut tx, who, id).await?;
        note.state = transition(note.state, Event::Withdraw)?;
        note.updated_at = now;
        tx.close_tokens(note.id).await?;
        tx.save_note(&note).await?;
        tx.audit(
            note.id,
            &AuditEntry::by(now, who, "withdrawn", Some(note.version)),
        )
        .await?;
        tx.commit().await?;
        tracing::info!(number = %note.number, "withdrawn");
        Ok(note)
    }

    /// A note's audit trail, oldest first.
    pub async fn audit(&self, who: &Principal, id: &str) -> Result<Vec<AuditEntry>, ServiceError> {
        let note = self.readable_note(who, id).await?;
        Ok(self.store.audit(note.id).await?)
    }

    /// One note by its id as written in a URL, whoever asks: for links and the workers.
    pub async fn note(&self, id: &str) -> Result<Note, ServiceError> {
        let not_found = || ServiceError::from(super::Missing::Note(id.to_owned()));
        let id: NoteId = id.parse().map_err(|_| not_found())?;
        self.store.note(id).await?.ok_or_else(not_found)
    }

    /// A note `who` may read; one outside their scope is not found, like a missing one.
    pub async fn readable_note(&self, who: &Principal, id: &str) -> Result<Note, ServiceError> {
        let note = self.note(id).await?;
        match who.may_act_on(note.unit()) {
            Ok(()) => Ok(note),
            Err(_) => Err(ServiceError::from(super::Missing::Note(id.to_owned()))),
        }
    }

    /// A note `who` means to act on: 404 when there is none, 403 when it is not theirs.
    pub(super) async fn note_to_act_on(
        &self,
        who: &Principal,
        id: &str,
    ) -> Result<Note, ServiceError> {
        let note = self.note(id).await?;
        stored_in_scope(who, &note)?;
        Ok(note)
    }

    /// Locks a note `who` means to act on, as [`Service::note_to_act_on`] finds it.
    pub(super) async fn lock_to_act_on(
        &self,
        tx: &mut WriteTx,
        who: &Principal,
        id: &str,
    ) -> Result<Note, ServiceError> {
        let note = self.lock(tx, id).await?;
        stored_in_scope(who, &note)?;
        Ok(note)
    }

    /// Locks a note by its id as written in a URL.
    pub(super) async fn lock(&self, tx: &mut WriteTx, id: &str) -> Result<Note, ServiceError> {
        let not_found = || ServiceError::from(super::Missing::Note(id.to_owned()));
        let id = id.parse().map_err(|_| not_found())?;
        tx.lock_note(id).await?.ok_or_else(not_found)
    }

    /// Who is told when changes are requested on a note being submitted: whoever
    /// registered it, whose note it stays whoever submits it; the submitter only when the
    /// registrant left no address (a token made without `--email`, or an older note).
    pub(super) async fn told_of_changes(
        &self,
        tx: &mut WriteTx,
        note: &Note,
        submitter: &Principal,
    ) -> Result<Option<String>, ServiceError> {
        Ok(tx
            .registrant_email(note.id)
            .await?
            .or_else(|| submitter.email.as_ref().map(|e| e.as_str().to_owned())))
    }

    /// Notes newest first, optionally in one state; a drafter's only of their units.
    /// Pages are cut by note id, not by offset: a note registered while someone pages
    /// through the list neither repeats nor hides one of the next page.
    pub async fn list(&self, who: &Principal, query: ListQuery) -> Result<NotePage, ServiceError> {
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
        let before = query
            .cursor
            .map(|cursor| {
                decode_cursor(&cursor).ok_or_else(|| SpecError {
                    field: "cursor".to_owned(),
                    message: format!(
                        "`{cursor}` is not a cursor: pass on the `next` of the previous page"
                    ),
                })
            })
            .transpose()?;
        let (mut notes, rows) = self
            .store
            .notes(&NoteFilter {
                state,
                units: who.scope().map(<[String]>::to_vec),
                before,
                // One more than asked says whether there is a next page.
                limit: limit + 1,
                unit: None,
                year: None,
                search: None,
            })
            .await?;
        let more = rows as i64 > limit;
        notes.truncate(limit as usize);
        let next = notes
            .last()
            .filter(|_| more)
            .map(|last| encode_cursor(last.id));
        Ok(NotePage { notes, next })
    }
}

/// A cursor is opaque to clients: what it holds may change without notice.
fn encode_cursor(before: NoteId) -> String {
    URL_SAFE_NO_PAD.encode(format!("before:{before}"))
}

fn decode_cursor(cursor: &str) -> Option<NoteId> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor).ok()?;
    let id = std::str::from_utf8(&bytes).ok()?.strip_prefix("before:")?;
    id.parse().ok().filter(|id: &NoteId| *id > 0)
}

/// 403, saying why in one sentence, unless `who` may act on notes of `unit`.
pub(super) fn in_scope(who: &Principal, unit: &str) -> Result<(), ServiceError> {
    who.may_act_on(unit)
        .map_err(|refusal| ServiceError::Forbidden(refusal.to_string()))
}

/// 403 unless `who` may act on a stored note, without naming the note's unit.
fn stored_in_scope(who: &Principal, note: &Note) -> Result<(), ServiceError> {
    who.may_act_on(note.unit())
        .map_err(|refusal| ServiceError::Forbidden(refusal.of_stored_note().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_nonsense_is_refused() {
        assert_eq!(decode_cursor(&encode_cursor(42)), Some(42));
        for bad in ["", "42", "!!", &URL_SAFE_NO_PAD.encode("before:-1")] {
            assert_eq!(decode_cursor(bad), None, "{bad}");
        }
    }
}
