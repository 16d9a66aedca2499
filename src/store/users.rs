//! People who may sign in, with their role and units. Disabling a person ends their
//! access at once: their tokens are revoked in the same transaction.

use jiff::Timestamp;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::tokens::{units_from_json, units_to_json};
use super::{Store, StoreError, parse_time};
use crate::access::{ActorId, ClientInfo, Principal, Role};
use crate::address::EmailAddress;

pub struct NewUser<'a> {
    pub email: &'a EmailAddress,
    pub name: &'a str,
    pub role: Role,
    pub units: &'a [String],
    pub now: Timestamp,
}

/// A person as stored; the address in lower case.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: i64,
    pub email: EmailAddress,
    pub name: String,
    pub role: Role,
    pub units: Vec<String>,
    pub disabled: bool,
    pub created: Timestamp,
}

impl User {
    /// The principal this person is when signed in, calling from `client`.
    pub fn principal(&self, client: ClientInfo) -> Principal {
        Principal {
            id: ActorId::User(self.id),
            name: self.name.clone(),
            role: self.role,
            email: Some(self.email.clone()),
            units: self.units.clone(),
            client,
        }
    }
}

/// `SELECT` of every user column followed by the rest of a query.
macro_rules! select_users {
    ($rest:literal) => {
        concat!(
            "SELECT id, email, name, role, units, disabled, created_at FROM users ",
            $rest
        )
    };
}
pub(super) use select_users;

/// One person is one address, whatever the case it is typed in.
pub(super) fn key(email: &EmailAddress) -> String {
    email.as_str().to_lowercase()
}

impl Store {
    /// Adds a person; `None` when the address is already someone's.
    pub async fn add_user(&self, user: NewUser<'_>) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query_scalar(
            "INSERT INTO users (email, name, role, units, created_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (email) DO NOTHING RETURNING id",
        )
        .bind(key(user.email))
        .bind(user.name)
        .bind(user.role.as_str())
        .bind(units_to_json(user.units))
        .bind(user.now.to_string())
        .fetch_optional(&self.write)
        .await?)
    }

    /// Everyone, in the order they were added.
    pub async fn users(&self) -> Result<Vec<User>, StoreError> {
        let rows = sqlx::query(select_users!("ORDER BY id"))
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(user_from_row).collect()
    }

    /// The person with this address, if any.
    pub async fn user(&self, email: &EmailAddress) -> Result<Option<User>, StoreError> {
        let row = sqlx::query(select_users!("WHERE email = $1"))
            .bind(key(email))
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    /// Disables a person, ends their web desk sessions and revokes every token mailed to
    /// their address, in one transaction; `None` when no one has that address, else how
    /// many tokens ended.
    pub async fn disable_user(
        &self,
        email: &EmailAddress,
        now: Timestamp,
    ) -> Result<Option<u64>, StoreError> {
        let mut tx = self.begin_write().await?;
        let found = sqlx::query("UPDATE users SET disabled = 1 WHERE email = $1")
            .bind(key(email))
            .execute(&mut *tx)
            .await?;
        if found.rows_affected() == 0 {
            return Ok(None);
        }
        sqlx::query("DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE email = $1)")
            .bind(key(email))
            .execute(&mut *tx)
            .await?;
        // Addresses are compared as `key` folds them, not with SQL's `lower()`: SQLite's
        // folds only A to Z, and would leave `Élodie@…`'s tokens working.
        let live = sqlx::query(
            "SELECT id, email FROM api_tokens WHERE email IS NOT NULL AND revoked_at IS NULL",
        )
        .fetch_all(&mut *tx)
        .await?;
        let mut revoked = 0;
        for row in live {
            let address: String = row.try_get("email")?;
            if address.to_lowercase() != key(email) {
                continue;
            }
            revoked += sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2")
                .bind(now.to_string())
                .bind(row.try_get::<i64, _>("id")?)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        }
        tx.commit().await?;
        Ok(Some(revoked))
    }
}

pub(super) fn user_from_row(row: &AnyRow) -> Result<User, StoreError> {
    let role: String = row.try_get("role")?;
    let email: String = row.try_get("email")?;
    Ok(User {
        id: row.try_get("id")?,
        email: email
            .parse()
            .map_err(
                |e: crate::address::InvalidEmailAddress| StoreError::Corrupt {
                    what: "user email",
                    detail: e.to_string(),
                },
            )?,
        name: row.try_get("name")?,
        role: role.parse().map_err(|detail| StoreError::Corrupt {
            what: "user role",
            detail,
        })?,
        units: units_from_json(&row.try_get::<String, _>("units")?)?,
        disabled: row.try_get::<i64, _>("disabled")? != 0,
        created: parse_time(&row.try_get::<String, _>("created_at")?)?,
    })
}
