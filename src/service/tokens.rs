//! API tokens: created, listed and revoked from the command line, checked on every `/api`
//! request. A revoked or expired token is refused with a message saying which.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use super::Service;
use crate::access::{ClientInfo, OutOfScope, Principal, Role, TokenStatus};
use crate::address::EmailAddress;
use crate::secret;
use crate::store::{NewToken, StoreError, StoredToken};

/// A token cannot be created or revoked as asked.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("--name must not be empty and at most 100 characters of text")]
    BadName,
    #[error("--unit: {0}")]
    BadUnit(String),
    #[error("--expires: {0} is not a life a token can have; give at least 1s and at most 3650d")]
    BadExpiry(String),
    #[error("--email: {0} belongs to a disabled person")]
    DisabledPerson(String),
    #[error("no token with id {0}; `notesd token list` shows them")]
    NoSuchToken(i64),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a bearer token is refused (401).
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("the API token is not known")]
    Unknown,
    #[error("token {id} was revoked at {at}; ask an admin for a new one")]
    Revoked { id: i64, at: Timestamp },
    #[error("token {id} expired at {at}; ask an admin for a new one")]
    Expired { id: i64, at: Timestamp },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What `notesd token create` asks for.
pub struct TokenRequest<'a> {
    pub name: &'a str,
    pub role: Role,
    /// Where notices about the notes this token registers are sent.
    pub email: Option<&'a EmailAddress>,
    pub units: &'a [String],
    /// From creation; `None` for a token that lives until it is revoked.
    pub expires_in: Option<Duration>,
}

/// Longest life a token may be given (ten years).
const MAX_LIFE: Duration = Duration::from_secs(3650 * 86_400);

/// How stale `last_used` may be: a token used all day is written once a minute, not on
/// every request.
const LAST_USED_GRAIN: SignedDuration = SignedDuration::from_secs(60);

/// A person's or token's name: trimmed, non-empty text of at most 100 characters.
pub(super) fn valid_name(name: &str) -> Option<&str> {
    let name = name.trim();
    let ok = !name.is_empty() && name.chars().count() <= 100 && !name.chars().any(char::is_control);
    ok.then_some(name)
}

/// Units as given on the command line, checked by the spec's `unit` rule, without repeats.
pub(super) fn valid_units(units: &[String]) -> Result<Vec<String>, String> {
    let mut valid = Vec::with_capacity(units.len());
    for unit in units {
        let unit = crate::note::unit(unit.clone()).map_err(|e| e.message)?;
        if !valid.contains(&unit) {
            valid.push(unit);
        }
    }
    Ok(valid)
}

impl Service {
    /// Creates a token and returns its id and the token: the only time it is ever seen.
    pub async fn create_token(
        &self,
        request: TokenRequest<'_>,
    ) -> Result<(i64, String), TokenError> {
        let name = valid_name(request.name).ok_or(TokenError::BadName)?;
        let units = valid_units(request.units).map_err(TokenError::BadUnit)?;
        let now = self.clock.now();
        let expires = request
            .expires_in
            .map(|life| {
                SignedDuration::try_from(life)
                    .ok()
                    .filter(|_| !life.is_zero() && life <= MAX_LIFE)
                    .and_then(|life| now.checked_add(life).ok())
                    .ok_or_else(|| TokenError::BadExpiry(format!("{}s", life.as_secs())))
            })
            .transpose()?;
        let (token, hash) = secret::generate("ntd_");
        let id = self
            .store
            .create_token(NewToken {
                name,
                role: request.role,
                email: request.email,
                units: &units,
                hash: &hash,
                now,
                expires,
            })
            .await?
            .ok_or_else(|| {
                TokenError::DisabledPerson(
                    request.email.map(ToString::to_string).unwrap_or_default(),
                )
            })?;
        tracing::info!(id, name, role = %request.role, units = ?units, "API token created");
        Ok((id, token))
    }

    /// Every token, oldest first (never their secrets: only hashes are kept).
    pub async fn tokens(&self) -> Result<Vec<StoredToken>, TokenError> {
        Ok(self.store.tokens().await?)
    }

    /// Ends a token: it answers 401 from then on.
    pub async fn revoke_token(&self, id: i64) -> Result<(), TokenError> {
        if !self.store.revoke_token(id, self.clock.now()).await? {
            return Err(TokenError::NoSuchToken(id));
        }
        tracing::info!(id, "API token revoked");
        Ok(())
    }

    /// The principal behind a bearer token, calling from `client`.
    pub async fn authenticate(
        &self,
        token: &str,
        client: ClientInfo,
    ) -> Result<Principal, AuthError> {
        let stored = self
            .store
            .token_by_hash(&secret::digest(token))
            .await?
            .ok_or(AuthError::Unknown)?;
        let now = self.clock.now();
        match stored.status(now) {
            TokenStatus::Active => {}
            TokenStatus::Revoked(at) => return Err(AuthError::Revoked { id: stored.id, at }),
            TokenStatus::Expired(at) => return Err(AuthError::Expired { id: stored.id, at }),
        }
        if stored
            .last_used
            .is_none_or(|at| now.duration_since(at) >= LAST_USED_GRAIN)
            && let Err(e) = self.store.touch_token(stored.id, now).await
        {
            // Bookkeeping: a call is not refused because its time of use was not noted.
            tracing::warn!(id = stored.id, error = %e, "cannot record the token's last use");
        }
        Ok(stored.principal(client))
    }

    /// One sentence for each drafter, token in use or enabled person, that has no unit
    /// and so can act on no note: what `notesd check` reports.
    pub async fn unscoped_drafters(&self) -> Result<Vec<String>, StoreError> {
        let now = self.clock.now();
        let tokens = self.store.tokens().await?.into_iter();
        let tokens = tokens
            .filter(|t| t.status(now) == TokenStatus::Active)
            .map(|t| t.principal(ClientInfo::default()));
        let people = self.store.users().await?.into_iter();
        let people = people
            .filter(|u| !u.disabled)
            .map(|u| u.principal(ClientInfo::default()));
        Ok(tokens
            .chain(people)
            .filter_map(|who| match who.may_act_on("") {
                Err(e @ OutOfScope::NoUnit { .. }) => Some(e.to_string()),
                _ => None,
            })
            .collect())
    }
}
