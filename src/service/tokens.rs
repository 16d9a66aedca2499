//! API tokens: created from the command line, checked on every `/api` request.

use super::{Service, ServiceError};
use crate::address::EmailAddress;
use crate::secret;
use crate::store::{NewToken, Principal, Role};

/// A token cannot be created as asked.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("--name must not be empty and at most 100 characters of text")]
    BadName,
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

impl Service {
    /// Creates a token and returns it: the only time it is ever seen.
    pub async fn create_token(
        &self,
        name: &str,
        role: Role,
        email: Option<&EmailAddress>,
    ) -> Result<String, TokenError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
            return Err(TokenError::BadName);
        }
        let (token, hash) = secret::generate("ntd_");
        self.store
            .create_token(NewToken {
                name,
                role,
                email,
                hash: &hash,
                now: self.clock.now(),
            })
            .await?;
        tracing::info!(name, role = %role, "API token created");
        Ok(token)
    }

    /// The principal behind a bearer token.
    pub async fn authenticate(&self, token: &str) -> Result<Principal, ServiceError> {
        self.store
            .principal(&secret::digest(token))
            .await?
            .ok_or(ServiceError::Unauthorized)
    }
}
