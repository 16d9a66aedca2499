//! The audit trail: append-only, written in the same transaction as the change it records.

use jiff::Timestamp;
use sqlx::{Any, Row, Transaction};

use super::{Store, StoreError, parse_time};
use crate::note::NoteId;

/// One entry of a note's trail.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub at: Timestamp,
    pub actor: String,
    pub action: String,
    pub version: Option<i64>,
    pub detail: Option<String>,
    pub client: Option<String>,
    pub user_agent: Option<String>,
}

impl AuditEntry {
    /// An entry for `actor` doing `action` now, about `version` if it concerns one.
    pub fn new(at: Timestamp, actor: &str, action: &str, version: Option<i64>) -> Self {
        Self {
            at,
            actor: actor.to_owned(),
            action: action.to_owned(),
            version,
            detail: None,
            client: None,
            user_agent: None,
        }
    }
}

pub(super) async fn append(
    tx: &mut Transaction<'static, Any>,
    note: NoteId,
    entry: &AuditEntry,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO audit_log (note_id, at, actor, action, version, detail, client, user_agent) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(note)
    .bind(entry.at.to_string())
    .bind(&entry.actor)
    .bind(&entry.action)
    .bind(entry.version)
    .bind(entry.detail.clone())
    .bind(entry.client.clone())
    .bind(entry.user_agent.clone())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl Store {
    /// A note's trail, oldest first.
    pub async fn audit(&self, note: NoteId) -> Result<Vec<AuditEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT at, actor, action, version, detail, client, user_agent FROM audit_log \
             WHERE note_id = $1 ORDER BY id",
        )
        .bind(note)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AuditEntry {
                    at: parse_time(&r.try_get::<String, _>("at")?)?,
                    actor: r.try_get("actor")?,
                    action: r.try_get("action")?,
                    version: r.try_get("version")?,
                    detail: r.try_get("detail")?,
                    client: r.try_get("client")?,
                    user_agent: r.try_get("user_agent")?,
                })
            })
            .collect()
    }
}
