//! What an approver has seen of a note: the version of their links in earlier rounds, so
//! that their page can mark what changed since.

use super::{Store, StoreError};
use crate::note::NoteId;

impl Store {
    /// The latest version `approver` was sent a link to in a round before `round`.
    pub async fn version_seen(
        &self,
        note: NoteId,
        approver: &str,
        round: i64,
    ) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT MAX(version) FROM approval_tokens \
             WHERE note_id = $1 AND approver = $2 AND round < $3",
        )
        .bind(note)
        .bind(approver)
        .bind(round)
        .fetch_one(&self.read)
        .await?)
    }
}
