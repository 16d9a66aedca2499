//! API tokens: a name, a role, an optional email for notices, and the token's hash.

use jiff::Timestamp;
use sqlx::Row;

use super::{Store, StoreError};
use crate::address::EmailAddress;
use crate::note::named_enum;

named_enum! {
    /// What an API token may do: drafters register and edit notes; admins also re-queue
    /// deliveries and manage the registry.
    Role, "role" {
        Drafter = "drafter",
        Admin = "admin",
    }
}

/// Who is calling the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub name: String,
    pub role: Role,
    pub email: Option<EmailAddress>,
}

pub struct NewToken<'a> {
    pub name: &'a str,
    pub role: Role,
    pub email: Option<&'a EmailAddress>,
    pub hash: &'a str,
    pub now: Timestamp,
}

impl Store {
    pub async fn create_token(&self, token: NewToken<'_>) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO api_tokens (name, role, email, token_hash, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token.name)
        .bind(token.role.as_str())
        .bind(token.email.map(|e| e.as_str().to_owned()))
        .bind(token.hash)
        .bind(token.now.to_string())
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// The principal whose token hashes to `hash`, if any.
    pub async fn principal(&self, hash: &str) -> Result<Option<Principal>, StoreError> {
        let row = sqlx::query("SELECT name, role, email FROM api_tokens WHERE token_hash = $1")
            .bind(hash)
            .fetch_optional(&self.read)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let corrupt = |what, detail: String| StoreError::Corrupt { what, detail };
        let role: String = row.try_get("role")?;
        let email: Option<String> = row.try_get("email")?;
        Ok(Some(Principal {
            name: row.try_get("name")?,
            role: role.parse().map_err(|e| corrupt("token role", e))?,
            email: email
                .map(|e| {
                    e.parse().map_err(|e: crate::address::InvalidEmailAddress| {
                        corrupt("token email", e.to_string())
                    })
                })
                .transpose()?,
        }))
    }
}
