//! Signing in to the web desk with a one-time link, no password. Asking for a link answers
//! the same whether the address is known or not; the link's page changes nothing on GET
//! (mail scanners open links), and its POST signs in once, starting a session whose
//! cookie secret is shown once and kept only as a hash.

use serde_json::json;

use super::Service;
use super::approval_links::csrf_for;
use crate::access::{ClientInfo, Principal};
use crate::address::EmailAddress;
use crate::clock::{brussels_time, later};
use crate::secret;
use crate::store::{LinkUse, NewSignIn, StoreError, User};

/// Unused, unexpired sign-in links a person may have before asking for another mails
/// nothing: anyone may ask for a link to any address, and this bounds the mail such asking
/// can send one person to this many per `web.signin_link_ttl`.
const MAX_PENDING_SIGNINS: i64 = 3;

/// Why a sign-in link cannot be made or used.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("this sign-in link is unknown, already used or expired; ask for a new one")]
    Refused,
    #[error("no person has the address {0}; `notesd user list` shows everyone")]
    Unknown(String),
    #[error("{0} is disabled and cannot sign in")]
    Disabled(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A signed-in person, as each request finds them from the cookie.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: User,
    pub principal: Principal,
    /// What every form of this session carries; derived from the cookie's secret, so a
    /// page of another site cannot know it.
    pub csrf: String,
}

impl Service {
    /// Mails a sign-in link to `email` if it is a known, enabled person's who has fewer
    /// than `MAX_PENDING_SIGNINS` links unused; otherwise does nothing. The caller answers
    /// the same either way, so the page tells no one who has an account.
    pub async fn request_signin(&self, email: &str, client: &ClientInfo) -> Result<(), StoreError> {
        let Ok(address) = email.trim().parse::<EmailAddress>() else {
            return Ok(());
        };
        match self.store.user(&address).await? {
            Some(user) if !user.disabled => {
                let pending = self
                    .store
                    .pending_signins(user.id, self.clock.now())
                    .await?;
                if pending >= MAX_PENDING_SIGNINS {
                    tracing::warn!(
                        user = user.id,
                        pending,
                        from = ?client.address,
                        "sign-in link not mailed: the person's earlier links are still unused"
                    );
                    return Ok(());
                }
                self.new_signin(&user, true).await?;
                tracing::info!(user = user.id, from = ?client.address, "sign-in link mailed");
            }
            _ => {
                tracing::info!(from = ?client.address, "sign-in asked for an unknown or disabled address")
            }
        }
        Ok(())
    }

    /// A sign-in URL for `email`, printed by `notesd signin-link` instead of mailed.
    pub async fn signin_link(&self, email: &EmailAddress) -> Result<String, SignInError> {
        let user = self
            .store
            .user(email)
            .await?
            .ok_or_else(|| SignInError::Unknown(email.to_string()))?;
        if user.disabled {
            return Err(SignInError::Disabled(email.to_string()));
        }
        let secret = self.new_signin(&user, false).await?;
        Ok(self.signin_url(&secret))
    }

    /// Where a sign-in link's secret is used.
    fn signin_url(&self, secret: &str) -> String {
        format!(
            "{}/signin/{secret}",
            self.workflow.public_url.trim_end_matches('/')
        )
    }

    async fn new_signin(&self, user: &User, mail: bool) -> Result<String, StoreError> {
        let now = self.clock.now();
        let expires = later(now, self.desk.signin_link_ttl);
        let (secret, hash) = secret::generate("");
        self.store
            .create_signin(
                NewSignIn {
                    user,
                    hash: &hash,
                    secret: &secret,
                    expires,
                    context: json!({ "name": user.name, "expires": brussels_time(expires) }),
                    now,
                },
                mail,
            )
            .await?;
        Ok(secret)
    }

    /// Whether a sign-in link can still be used; changes nothing.
    pub async fn signin_pending(&self, secret: &str) -> Result<bool, StoreError> {
        self.store
            .signin_pending(&secret::digest(secret), self.clock.now())
            .await
    }

    /// Spends a sign-in link and starts a session; returns the session cookie's secret.
    pub async fn sign_in(&self, secret: &str, client: &ClientInfo) -> Result<String, SignInError> {
        let now = self.clock.now();
        let user = match self
            .store
            .spend_signin(&secret::digest(secret), now)
            .await?
        {
            LinkUse::Spent(user) => user,
            LinkUse::Refused => return Err(SignInError::Refused),
        };
        let (session, hash) = secret::generate("");
        self.store
            .create_session(user.id, &hash, now, later(now, self.desk.session_ttl))
            .await?;
        tracing::info!(user = user.id, from = ?client.address, "signed in");
        Ok(session)
    }

    /// The session a cookie's secret opens, if it is live and its person enabled.
    pub async fn session(
        &self,
        secret: &str,
        client: ClientInfo,
    ) -> Result<Option<Session>, StoreError> {
        let user = self
            .store
            .session_user(&secret::digest(secret), self.clock.now())
            .await?;
        Ok(user.map(|user| Session {
            principal: user.principal(client),
            csrf: csrf_for(secret),
            user,
        }))
    }

    /// Ends a session.
    pub async fn sign_out(&self, secret: &str) -> Result<(), StoreError> {
        self.store.end_session(&secret::digest(secret)).await
    }

    /// Whether cookies must be `Secure`: the desk is reached over https.
    pub fn secure_cookies(&self) -> bool {
        self.workflow.public_url.starts_with("https://")
    }

    /// How long a session lives, for the cookie's `Max-Age`.
    pub fn session_ttl(&self) -> std::time::Duration {
        self.desk.session_ttl
    }
}
