//! The audit trail: append-only, written in the same transaction as the change it records.
//! Each entry names its actor by name and, for tokens and people, by id (`token:3`), and
//! says where the request that caused it came from.

use jiff::Timestamp;
use sqlx::{Any, Row, Transaction};

use super::{Store, StoreError, parse_time};
use crate::access::Principal;
use crate::note::NoteId;

/// One entry of a note's trail.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub at: Timestamp,
    pub actor: String,
    /// `token:3`, `user:5`, `approver:ADDR`; `None` for the daemon's own entries.
    pub actor_id: Option<String>,
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
            actor_id: None,
            action: action.to_owned(),
            version,
            detail: None,
            client: None,
            user_agent: None,
        }
    }

    /// An entry for a caller of the API (or the web desk): by name and id, with the
    /// client address and user agent of their request.
    pub fn by(at: Timestamp, who: &Principal, action: &str, version: Option<i64>) -> Self {
        Self {
            actor_id: Some(who.id.stored()),
            client: who.client.address.clone(),
            user_agent: who.client.user_agent.clone(),
            ..Self::new(at, &who.name, action, version)
        }
    }
}

pub(super) async fn append(
    tx: &mut Transaction<'static, Any>,
    note: NoteId,
    entry: &AuditEntry,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO audit_log (note_id, at, actor, actor_id, action, version, detail, client, \
         user_agent) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(note)
    .bind(entry.at.to_string())
    .bind(&entry.actor)
    .bind(entry.actor_id.clone())
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
            "SELECT at, actor, actor_id, action, version, detail, client, user_agent \
             FROM audit_log WHERE note_id = $1 ORDER BY id",
        )
        .bind(note)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AuditEntry {
                    at: parse_time(&r.try_get::<String, _>("at")?)?,
                    actor: r.try_get("actor")?,
                    actor_id: r.try_get("actor_id")?,
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
