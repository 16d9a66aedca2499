//! The API tokens table: a token has a name, a role, the units whose notes it acts on, an
//! optional address for notices, an optional expiry, and only its hash is kept.

use jiff::Timestamp;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Backend, Store, StoreError, parse_time};
use crate::access::{ActorId, ClientInfo, Principal, Role, TokenStatus};
use crate::address::EmailAddress;

pub struct NewToken<'a> {
    pub name: &'a str,
    pub role: Role,
    pub email: Option<&'a EmailAddress>,
    pub units: &'a [String],
    pub hash: &'a str,
    pub now: Timestamp,
    pub expires: Option<Timestamp>,
}

/// A token as stored (never its secret): what `notesd token list` shows and what a
/// presented token is checked against.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredToken {
    pub id: i64,
    pub name: String,
    pub role: Role,
    pub email: Option<EmailAddress>,
    pub units: Vec<String>,
    pub created: Timestamp,
    pub expires: Option<Timestamp>,
    pub revoked: Option<Timestamp>,
    pub last_used: Option<Timestamp>,
}

impl StoredToken {
    /// Whether this token opens the API at `now`.
    pub fn status(&self, now: Timestamp) -> TokenStatus {
        TokenStatus::at(self.revoked, self.expires, now)
    }

    /// The principal this token makes of a request from `client`.
    pub fn principal(&self, client: ClientInfo) -> Principal {
        Principal {
            id: ActorId::Token(self.id),
            name: self.name.clone(),
            role: self.role,
            email: self.email.clone(),
            units: self.units.clone(),
            client,
        }
    }
}

/// `SELECT` of every shown token column followed by the rest of a query.
macro_rules! select_api_tokens {
    ($rest:literal) => {
        concat!(
            "SELECT id, name, role, email, units, created_at, expires_at, revoked_at, \
             last_used_at FROM api_tokens ",
            $rest
        )
    };
}

impl Store {
    /// Stores a token and returns its id; `None`, storing nothing, when its address is a
    /// disabled person's. The person's row is read in the insert's write transaction, and
    /// held (`FOR SHARE`) on PostgreSQL: a `user disable` running at the same moment either
    /// comes first and is seen here, or waits and then revokes this token with the others.
    pub async fn create_token(&self, token: NewToken<'_>) -> Result<Option<i64>, StoreError> {
        let mut tx = self.begin_write().await?;
        if let Some(email) = token.email {
            let hold = match self.backend {
                Backend::Sqlite => "",
                Backend::Postgres => " FOR SHARE",
            };
            let disabled: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT disabled FROM users WHERE email = $1{hold}"
            )))
            .bind(super::users::key(email))
            .fetch_optional(&mut *tx)
            .await?;
            if disabled.is_some_and(|d| d != 0) {
                return Ok(None);
            }
        }
        let id = sqlx::query_scalar(
            "INSERT INTO api_tokens (name, role, email, units, token_hash, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(token.name)
        .bind(token.role.as_str())
        .bind(token.email.map(|e| e.as_str().to_owned()))
        .bind(units_to_json(token.units))
        .bind(token.hash)
        .bind(token.now.to_string())
        .bind(token.expires.map(|t| t.to_string()))
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some(id))
    }

    /// The token whose secret hashes to `hash`, if any, revoked and expired ones included.
    pub async fn token_by_hash(&self, hash: &str) -> Result<Option<StoredToken>, StoreError> {
        let row = sqlx::query(select_api_tokens!("WHERE token_hash = $1"))
            .bind(hash)
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(token_from_row).transpose()
    }

    /// Every token, oldest first.
    pub async fn tokens(&self) -> Result<Vec<StoredToken>, StoreError> {
        let rows = sqlx::query(select_api_tokens!("ORDER BY id"))
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(token_from_row).collect()
    }

    /// Revokes a token; `false` when there is no such token or it was already revoked.
    pub async fn revoke_token(&self, id: i64, now: Timestamp) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
        )
        .bind(now.to_string())
        .bind(id)
        .execute(&self.write)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Records that a token was used at `now`.
    pub async fn touch_token(&self, id: i64, now: Timestamp) -> Result<(), StoreError> {
        sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
            .bind(now.to_string())
            .bind(id)
            .execute(&self.write)
            .await?;
        Ok(())
    }
}

/// Units are kept as a JSON array of their names.
pub(super) fn units_to_json(units: &[String]) -> String {
    serde_json::Value::from(units.to_vec()).to_string()
}

pub(super) fn units_from_json(text: &str) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt {
        what: "units",
        detail: e.to_string(),
    })
}

pub(super) fn optional_time(row: &AnyRow, column: &str) -> Result<Option<Timestamp>, StoreError> {
    row.try_get::<Option<String>, _>(column)?
        .map(|t| parse_time(&t))
        .transpose()
}

fn token_from_row(row: &AnyRow) -> Result<StoredToken, StoreError> {
    let corrupt = |what, detail: String| StoreError::Corrupt { what, detail };
    let role: String = row.try_get("role")?;
    let email: Option<String> = row.try_get("email")?;
    Ok(StoredToken {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        role: role.parse().map_err(|e| corrupt("token role", e))?,
        email: email
            .map(|e| {
                e.parse().map_err(|e: crate::address::InvalidEmailAddress| {
                    corrupt("token email", e.to_string())
                })
            })
            .transpose()?,
        units: units_from_json(&row.try_get::<String, _>("units")?)?,
        created: parse_time(&row.try_get::<String, _>("created_at")?)?,
        expires: optional_time(row, "expires_at")?,
        revoked: optional_time(row, "revoked_at")?,
        last_used: optional_time(row, "last_used_at")?,
    })
}
