//! The PDF of a note, rendered from its current version.

use super::{Service, ServiceError};
use crate::clock::brussels_date;
use crate::note::{NoteSpec, SpecError};
use crate::render::NoteDocument;
use crate::workflow::NoteState;

/// A rendered PDF and the file name it is offered under (`6762-22.pdf`).
pub struct Pdf {
    pub bytes: Vec<u8>,
    pub file_name: String,
}

impl Service {
    /// The current version's PDF, marked DRAFT until the note is issued, dated when that
    /// version was saved: the same version always renders to the same bytes.
    pub async fn pdf(&self, id: &str) -> Result<Pdf, ServiceError> {
        let note = self.note(id).await?;
        let spec = NoteSpec::from_stored(note.spec.clone(), brussels_date(note.created_at))
            .map_err(|e| SpecError {
                field: e.field,
                message: format!("the stored spec no longer validates: {}", e.message),
            })?;
        let draft = !matches!(note.state, NoteState::Issued | NoteState::Distributed);
        let file_name = format!("{}.pdf", note.number.to_string().replace(['/', ' '], "-"));
        let renderer = self.renderer.clone();
        // Rendering is CPU-bound: keep it off the request threads.
        let bytes = tokio::task::spawn_blocking(move || {
            let document = NoteDocument {
                spec: &spec,
                number: &note.number,
                codes: &note.codes,
            };
            renderer.render(&document, draft, note.updated_at)
        })
        .await
        .map_err(|e| ServiceError::Internal(format!("the render task failed: {e}")))??;
        Ok(Pdf { bytes, file_name })
    }
}
