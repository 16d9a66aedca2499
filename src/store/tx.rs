//! The write transaction the use cases run in.
//!
//! A use case that moves a note (submit, decide, remind, issue) locks the note's row first,
//! then reads and writes through one [`WriteTx`]: decisions on the same note are applied one
//! after the other, on SQLite by `BEGIN IMMEDIATE`, on PostgreSQL by `SELECT … FOR UPDATE`.
//! The queries of each table group add their own methods to it in their file.

use sqlx::{Any, Transaction};

use super::audit::{self, AuditEntry};
use super::notes::note_from_row;
use super::{Backend, Store, StoreError};
use crate::note::{Note, NoteId};

/// One write transaction; dropped without [`WriteTx::commit`], it rolls back.
pub struct WriteTx {
    pub(super) tx: Transaction<'static, Any>,
    backend: Backend,
}

impl Store {
    pub async fn begin(&self) -> Result<WriteTx, StoreError> {
        Ok(WriteTx {
            tx: self.begin_write().await?,
            backend: self.backend,
        })
    }
}

impl WriteTx {
    pub async fn commit(self) -> Result<(), StoreError> {
        Ok(self.tx.commit().await?)
    }

    /// Locks a note's row until commit without reading it: the turn-taking of
    /// [`WriteTx::lock_note`] for a writer that needs no field of the note.
    pub async fn lock_note_unread(&mut self, id: NoteId) -> Result<(), StoreError> {
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT id FROM notes WHERE id = $1 FOR UPDATE")
                .bind(id)
                .fetch_optional(&mut *self.tx)
                .await?;
        }
        Ok(())
    }

    /// Reads a note and holds its row until commit.
    pub async fn lock_note(&mut self, id: NoteId) -> Result<Option<Note>, StoreError> {
        let sql = match self.backend {
            // BEGIN IMMEDIATE already holds the whole database.
            Backend::Sqlite => super::notes::select_notes!("WHERE id = $1"),
            Backend::Postgres => super::notes::select_notes!("WHERE id = $1 FOR UPDATE"),
        };
        let row = sqlx::query(sql)
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await?;
        row.as_ref().map(note_from_row).transpose()
    }

    /// Writes back a locked note's state, review and update time.
    pub async fn save_note(&mut self, note: &Note) -> Result<(), StoreError> {
        let review = note
            .review
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| StoreError::Corrupt {
                what: "review",
                detail: e.to_string(),
            })?;
        sqlx::query("UPDATE notes SET state = $1, review = $2, updated_at = $3 WHERE id = $4")
            .bind(note.state.as_str())
            .bind(review)
            .bind(note.updated_at.to_string())
            .bind(note.id)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    pub async fn audit(&mut self, note: NoteId, entry: &AuditEntry) -> Result<(), StoreError> {
        audit::append(&mut self.tx, note, entry).await
    }
}
