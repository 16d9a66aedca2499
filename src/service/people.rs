//! People: added, listed and disabled from the command line. A person's units are the
//! scope of the notes they act on as a drafter, as a token's are.

use super::Service;
use super::tokens::{valid_name, valid_units};
use crate::access::Role;
use crate::address::EmailAddress;
use crate::store::{NewUser, StoreError, User};

/// A person cannot be added or disabled as asked.
#[derive(Debug, thiserror::Error)]
pub enum PeopleError {
    #[error("--name must not be empty and at most 100 characters of text")]
    BadName,
    #[error("--unit: {0}")]
    BadUnit(String),
    #[error("{0} is already someone's address; `notesd user list` shows who")]
    Exists(String),
    #[error("no person has the address {0}; `notesd user list` shows everyone")]
    Unknown(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Service {
    /// Whether `address` may still be sent news of notes: any address but a disabled
    /// person's.
    pub(super) async fn still_enabled(&self, address: &str) -> Result<bool, StoreError> {
        let Ok(email) = address.parse::<EmailAddress>() else {
            return Ok(true);
        };
        Ok(!self.store.user(&email).await?.is_some_and(|u| u.disabled))
    }

    /// Adds a person who may sign in to the web desk; returns their id.
    pub async fn add_user(
        &self,
        email: &EmailAddress,
        name: &str,
        role: Role,
        units: &[String],
    ) -> Result<i64, PeopleError> {
        let name = valid_name(name).ok_or(PeopleError::BadName)?;
        let units = valid_units(units).map_err(PeopleError::BadUnit)?;
        let id = self
            .store
            .add_user(NewUser {
                email,
                name,
                role,
                units: &units,
                now: self.clock.now(),
            })
            .await?
            .ok_or_else(|| PeopleError::Exists(email.to_string()))?;
        tracing::info!(id, name, role = %role, units = ?units, "person added");
        Ok(id)
    }

    /// Everyone, in the order they were added.
    pub async fn users(&self) -> Result<Vec<User>, PeopleError> {
        Ok(self.store.users().await?)
    }

    /// Disables a person and ends their tokens at once; returns how many tokens ended.
    pub async fn disable_user(&self, email: &EmailAddress) -> Result<u64, PeopleError> {
        let ended = self
            .store
            .disable_user(email, self.clock.now())
            .await?
            .ok_or_else(|| PeopleError::Unknown(email.to_string()))?;
        tracing::info!(%email, tokens = ended, "person disabled");
        Ok(ended)
    }
}
