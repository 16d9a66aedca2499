//! Issued PDFs: the exact bytes every delegation receives, and download links for the
//! ones too large to attach.

use jiff::Timestamp;
use sqlx::Row;

use super::tx::WriteTx;
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

    /// The note a download link opens, and when the link expires.
    pub async fn download(&self, hash: &str) -> Result<Option<(NoteId, Timestamp)>, StoreError> {
        let row =
            sqlx::query("SELECT note_id, expires_ms FROM download_tokens WHERE token_hash = $1")
                .bind(hash)
                .fetch_optional(&self.read)
                .await?;
        row.map(|r| {
            let expires: i64 = r.try_get("expires_ms")?;
            let expires =
                Timestamp::from_millisecond(expires).map_err(|e| StoreError::Corrupt {
                    what: "download link",
                    detail: e.to_string(),
                })?;
            Ok((r.try_get("note_id")?, expires))
        })
        .transpose()
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
