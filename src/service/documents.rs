//! The PDF of a note: drafts rendered from a stored version, the issued one as stored.

use std::sync::Arc;

use jiff::Timestamp;

use super::{Service, ServiceError};
use crate::clock::brussels_date;
use crate::note::{Note, NoteId, NoteSpec, SpecError};
use crate::render::NoteDocument;
use crate::store::Principal;

/// A PDF and the file name it is offered under (`6762-22.pdf`).
pub struct Pdf {
    pub bytes: Vec<u8>,
    pub file_name: String,
}

impl Service {
    /// The issued PDF once there is one (the very bytes the delegations received), else
    /// the current version's draft.
    pub async fn pdf(&self, who: &Principal, id: &str) -> Result<Pdf, ServiceError> {
        self.note_pdf(self.readable_note(who, id).await?).await
    }

    /// The PDF of a note already found (and, for a caller, found in their scope).
    pub(super) async fn note_pdf(&self, note: Note) -> Result<Pdf, ServiceError> {
        if Self::is_issued(&note) {
            return Ok(Pdf {
                bytes: self.issued_bytes(note.id).await?.to_vec(),
                file_name: note.file_name(),
            });
        }
        self.draft_pdf(&note, note.version).await
    }

    /// The stored PDF of an issued note. Its bytes never change, so the last one read is
    /// kept: a distribution attaches it to every message without reading it each time.
    pub(super) async fn issued_bytes(&self, note: NoteId) -> Result<Arc<Vec<u8>>, ServiceError> {
        let cached = self.last_issued.lock().ok().and_then(|last| {
            last.as_ref()
                .filter(|(id, _)| *id == note)
                .map(|(_, b)| b.clone())
        });
        if let Some(bytes) = cached {
            return Ok(bytes);
        }
        let document = self.store.document(note).await?.ok_or_else(|| {
            ServiceError::Internal(format!("issued note {note} has no stored PDF"))
        })?;
        let bytes = Arc::new(document.bytes);
        if let Ok(mut last) = self.last_issued.lock() {
            *last = Some((note, bytes.clone()));
        }
        Ok(bytes)
    }

    /// A version's PDF marked DRAFT, dated when that version was saved: the same version
    /// always renders to the same bytes.
    pub(super) async fn draft_pdf(&self, note: &Note, version: i64) -> Result<Pdf, ServiceError> {
        let (_, saved) = self.version(note, version).await?;
        Ok(Pdf {
            bytes: self.render(note, version, true, saved).await?,
            file_name: note.file_name(),
        })
    }

    /// Renders `version` of a note off the request threads (rendering is CPU-bound).
    pub(super) async fn render(
        &self,
        note: &Note,
        version: i64,
        draft: bool,
        at: Timestamp,
    ) -> Result<Vec<u8>, ServiceError> {
        let (spec, _) = self.version(note, version).await?;
        let spec =
            NoteSpec::from_stored(spec, brussels_date(note.created_at)).map_err(|e| SpecError {
                field: e.field,
                message: format!("the stored spec no longer validates: {}", e.message),
            })?;
        let renderer = self.renderer.clone();
        let (number, codes) = (note.number, note.codes.clone());
        let bytes = tokio::task::spawn_blocking(move || {
            let document = NoteDocument {
                spec: &spec,
                number: &number,
                codes: &codes,
            };
            renderer.render(&document, draft, at)
        })
        .await
        .map_err(|e| ServiceError::Internal(format!("the render task failed: {e}")))??;
        Ok(bytes)
    }

    async fn version(
        &self,
        note: &Note,
        version: i64,
    ) -> Result<(serde_json::Value, Timestamp), ServiceError> {
        self.store.version(note.id, version).await?.ok_or_else(|| {
            ServiceError::Internal(format!("note {} has no version {version}", note.id))
        })
    }
}
