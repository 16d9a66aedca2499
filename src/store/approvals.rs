//! The approval links' table: each approver's link per step, stored by the hash of its
//! secret, spent or closed in the transaction of the decision that ends it.

use jiff::Timestamp;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Store, StoreError, WriteTx};
use crate::link::ApprovalToken;
use crate::note::NoteId;

/// A link to store for an approver; `hash` is the SHA-256 of the secret mailed.
pub struct NewApprovalToken<'a> {
    pub note_id: NoteId,
    pub round: i64,
    pub version: i64,
    pub step: usize,
    pub approver: &'a str,
    pub hash: &'a str,
    pub created: Timestamp,
    pub expires: Timestamp,
    pub reminder_of: Option<i64>,
}

/// `SELECT` of every token column followed by the rest of a query, as one static string.
macro_rules! select_tokens {
    ($rest:literal) => {
        concat!(
            "SELECT id, note_id, round, version, step, approver, status, created_ms, \
             expires_ms, reminder_of FROM approval_tokens ",
            $rest
        )
    };
}

impl Store {
    /// The approval link whose secret hashes to `hash`.
    pub async fn approval_token(&self, hash: &str) -> Result<Option<ApprovalToken>, StoreError> {
        let row = sqlx::query(select_tokens!("WHERE token_hash = $1"))
            .bind(hash)
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(token_from_row).transpose()
    }

    /// First links still pending after `cutoff` whose approver has had no reminder.
    pub async fn tokens_to_remind(
        &self,
        cutoff: Timestamp,
        limit: i64,
    ) -> Result<Vec<ApprovalToken>, StoreError> {
        let rows = sqlx::query(select_tokens!(
            "WHERE status = 'pending' AND reminded = 0 AND reminder_of IS NULL \
             AND created_ms <= $1 ORDER BY id LIMIT $2"
        ))
        .bind(cutoff.as_millisecond())
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(token_from_row).collect()
    }
}

impl WriteTx {
    /// Re-reads a token inside the transaction, after its note is locked.
    pub async fn approval_token(&mut self, id: i64) -> Result<Option<ApprovalToken>, StoreError> {
        let row = sqlx::query(select_tokens!("WHERE id = $1"))
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await?;
        row.as_ref().map(token_from_row).transpose()
    }

    pub async fn insert_token(&mut self, token: &NewApprovalToken<'_>) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "INSERT INTO approval_tokens (note_id, round, version, step, approver, token_hash, \
             status, created_ms, expires_ms, reminder_of) \
             VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8, $9) RETURNING id",
        )
        .bind(token.note_id)
        .bind(token.round)
        .bind(token.version)
        .bind(token.step as i64)
        .bind(token.approver)
        .bind(token.hash)
        .bind(token.created.as_millisecond())
        .bind(token.expires.as_millisecond())
        .bind(token.reminder_of)
        .fetch_one(&mut *self.tx)
        .await?)
    }

    /// Spends every pending link of the token's approver at its step (the first mail's
    /// and the reminder's): `false` if none was pending, i.e. the decision was already
    /// made through one of them.
    pub async fn spend(&mut self, token: &ApprovalToken) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE approval_tokens SET status = 'used' WHERE note_id = $1 AND round = $2 \
             AND step = $3 AND approver = $4 AND status = 'pending'",
        )
        .bind(token.note_id)
        .bind(token.round)
        .bind(token.step as i64)
        .bind(&token.approver)
        .execute(&mut *self.tx)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Closes the links still pending on a note: its step or review ended without them.
    pub async fn close_tokens(&mut self, note: NoteId) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE approval_tokens SET status = 'closed' WHERE note_id = $1 AND status = 'pending'",
        )
        .bind(note)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Marks a first link as reminded; `false` if another daemon got there first.
    pub async fn mark_reminded(&mut self, token: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE approval_tokens SET reminded = 1 WHERE id = $1 AND reminded = 0 \
             AND status = 'pending'",
        )
        .bind(token)
        .execute(&mut *self.tx)
        .await?;
        Ok(done.rows_affected() > 0)
    }
}

fn token_from_row(row: &AnyRow) -> Result<ApprovalToken, StoreError> {
    let corrupt = |detail: String| StoreError::Corrupt {
        what: "approval token",
        detail,
    };
    let millis = |column: &str| -> Result<Timestamp, StoreError> {
        let ms: i64 = row.try_get(column)?;
        Timestamp::from_millisecond(ms).map_err(|e| corrupt(e.to_string()))
    };
    let step: i64 = row.try_get("step")?;
    Ok(ApprovalToken {
        id: row.try_get("id")?,
        note_id: row.try_get("note_id")?,
        round: row.try_get("round")?,
        version: row.try_get("version")?,
        step: usize::try_from(step).map_err(|e| corrupt(e.to_string()))?,
        approver: row.try_get("approver")?,
        status: row
            .try_get::<String, _>("status")?
            .parse()
            .map_err(corrupt)?,
        created: millis("created_ms")?,
        expires: millis("expires_ms")?,
        reminder_of: row.try_get("reminder_of")?,
    })
}
