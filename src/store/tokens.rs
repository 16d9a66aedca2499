//! API tokens and who is calling: a token has a name, a role, the units whose notes it
//! acts on, an optional address for notices, an optional expiry, and only its hash is kept.

use jiff::Timestamp;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{ClientInfo, Store, StoreError, parse_time};
use crate::address::EmailAddress;
use crate::named_enum::named_enum;

named_enum! {
    /// What an API token may do: drafters register and edit the notes of their units;
    /// admins act on every note and also re-queue deliveries.
    Role, "role" {
        Drafter = "drafter",
        Admin = "admin",
    }
}

/// Who acts, by id: an API token, or (with the web desk) a signed-in person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActorId {
    Token(i64),
    User(i64),
}

impl ActorId {
    /// As kept in `audit_log.actor_id` and `notes.created_by_id`: `token:3`, `user:5`.
    pub fn stored(self) -> String {
        match self {
            Self::Token(id) => format!("token:{id}"),
            Self::User(id) => format!("user:{id}"),
        }
    }
}

impl std::fmt::Display for ActorId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Token(id) => write!(f, "token {id}"),
            Self::User(id) => write!(f, "person {id}"),
        }
    }
}

/// Who is calling, and from where (recorded with every audit entry the call causes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub id: ActorId,
    pub name: String,
    pub role: Role,
    pub email: Option<EmailAddress>,
    /// The units whose notes a drafter acts on; an admin acts on all.
    pub units: Vec<String>,
    pub client: ClientInfo,
}

/// Why a principal may not act on a note of some unit. Said in one sentence, as the 403
/// message and `notesd check` give it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutOfScope {
    #[error("{who} is a drafter with no unit: it can act on no note until it has one")]
    NoUnit { who: String },
    #[error("{who} acts on the notes of {units}, and this one is of {unit}")]
    OtherUnit {
        who: String,
        units: String,
        unit: String,
    },
    /// [`OutOfScope::OtherUnit`] about a stored note: its unit is not named to someone
    /// who may not read it.
    #[error("{who} acts on the notes of {units}, and this one is of none of them")]
    NotOfUnits { who: String, units: String },
}

impl OutOfScope {
    /// The refusal as said of a stored note, whose unit must not leak to a drafter who
    /// may not read it (reading it is 404).
    pub fn of_stored_note(self) -> Self {
        match self {
            Self::OtherUnit { who, units, .. } => Self::NotOfUnits { who, units },
            other => other,
        }
    }
}

impl Principal {
    /// "token 3 (Anna)": how messages name the caller.
    pub fn label(&self) -> String {
        format!("{} ({})", self.id, self.name)
    }

    /// The units whose notes this principal acts on and reads: `None` for every unit
    /// (an admin), else the drafter's own, which may be none.
    pub fn scope(&self) -> Option<&[String]> {
        match self.role {
            Role::Admin => None,
            Role::Drafter => Some(&self.units),
        }
    }

    /// The scope rule, in one place: an admin acts on every note, a drafter on the notes
    /// whose unit is one of theirs, and a drafter without a unit on none.
    pub fn may_act_on(&self, unit: &str) -> Result<(), OutOfScope> {
        match self.scope() {
            None => Ok(()),
            Some([]) => Err(OutOfScope::NoUnit { who: self.label() }),
            Some(units) if units.iter().any(|u| u == unit) => Ok(()),
            Some(units) => Err(OutOfScope::OtherUnit {
                who: self.label(),
                units: units.join(", "),
                unit: unit.to_owned(),
            }),
        }
    }
}

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
    /// Stores a token; returns its id.
    pub async fn create_token(&self, token: NewToken<'_>) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
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
        .fetch_one(&self.write)
        .await?)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn drafter(units: &[&str]) -> Principal {
        Principal {
            id: ActorId::Token(3),
            name: "Anna".to_owned(),
            role: Role::Drafter,
            email: None,
            units: units.iter().map(|u| (*u).to_owned()).collect(),
            client: ClientInfo::default(),
        }
    }

    #[test]
    fn drafters_act_on_their_units_and_admins_on_all() {
        assert_eq!(drafter(&["JAI.1", "COSI.2"]).may_act_on("COSI.2"), Ok(()));
        let other = drafter(&["JAI.1"]).may_act_on("COSI.2").unwrap_err();
        assert_eq!(
            other.to_string(),
            "token 3 (Anna) acts on the notes of JAI.1, and this one is of COSI.2"
        );
        // Units are compared whole: JAI.1 is not JAI.10 nor JAI.
        assert!(drafter(&["JAI.1"]).may_act_on("JAI.10").is_err());
        assert!(drafter(&["JAI.1"]).may_act_on("JAI").is_err());
        let none = drafter(&[]).may_act_on("JAI.1").unwrap_err();
        assert_eq!(
            none.to_string(),
            "token 3 (Anna) is a drafter with no unit: it can act on no note until it has one"
        );
        let admin = Principal {
            role: Role::Admin,
            ..drafter(&[])
        };
        assert_eq!(admin.may_act_on("COSI.2"), Ok(()));
    }

    #[test]
    fn actors_are_named_by_id() {
        assert_eq!(ActorId::Token(3).stored(), "token:3");
        assert_eq!(ActorId::User(5).stored(), "user:5");
        assert_eq!(drafter(&[]).label(), "token 3 (Anna)");
    }
}
