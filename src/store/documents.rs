//! Issued PDFs: the exact bytes every delegation receives, and download links for the
//! ones too large to attach.

use jiff::Timestamp;
use sqlx::Row;

use super::review::WriteTx;
use super::{Store, StoreError};
use crate::note::NoteId;

/// An issued note's PDF.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub sha256: String,
    pub bytes: Vec<u8>,
}

impl Store {
    pub async fn document(&self, note: NoteId) -> Result<Option<Document>, StoreError> {
        let row = sqlx::query("SELECT sha256, bytes FROM documents WHERE note_id = $1")
            .bind(note)
            .fetch_optional(&self.read)
            .await?;
        row.map(|r| {
            Ok(Document {
                sha256: r.try_get("sha256")?,
                bytes: r.try_get("bytes")?,
            })
        })
        .transpose()
    }

    /// The note a live download link opens.
    pub async fn download(&self, hash: &str, now: Timestamp) -> Result<Option<NoteId>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT note_id FROM download_tokens WHERE token_hash = $1 AND expires_ms > $2",
        )
        .bind(hash)
        .bind(now.as_millisecond())
        .fetch_optional(&self.read)
        .await?)
    }
}

impl WriteTx {
    /// Stores the issued PDF; a note is issued once, so a second one is refused.
    pub async fn store_document(
        &mut self,
        note: NoteId,
        document: &Document,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO documents (note_id, sha256, bytes, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(note)
        .bind(&document.sha256)
        .bind(&document.bytes)
        .bind(now.to_string())
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    pub async fn insert_download(
        &mut self,
        note: NoteId,
        hash: &str,
        expires: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO download_tokens (token_hash, note_id, expires_ms) VALUES ($1, $2, $3)",
        )
        .bind(hash)
        .bind(note)
        .bind(expires.as_millisecond())
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }
}
