//! The web desk's sign-in links and sessions. Of each only the SHA-256 of its secret is
//! kept, so a copy of the database signs nobody in. A link is spent by the one POST that
//! signs in with it; a session ends when it expires, on sign-out, and when its person is
//! disabled (`Store::disable_user` deletes their rows in its transaction).

use jiff::Timestamp;
use serde_json::Value;

use super::users::{User, select_users};
use super::{Store, StoreError};
use crate::outbox::{MailKind, QueuedMail};

/// A sign-in link to store and mail in one transaction.
pub struct NewSignIn<'a> {
    pub user: &'a User,
    pub hash: &'a str,
    /// The link's secret, kept in the outbox row until the mail is sent or given up.
    pub secret: &'a str,
    pub expires: Timestamp,
    /// What the mail's templates are filled with.
    pub context: Value,
    pub now: Timestamp,
}

/// How presenting a sign-in link ended.
#[derive(Debug, Clone, PartialEq)]
pub enum LinkUse {
    /// Spent now by this person.
    Spent(User),
    /// No such link, or it was used, or it expired, or its person is disabled.
    Refused,
}

impl Store {
    /// Stores a sign-in link and, when `mail` is set, queues its mail, in one transaction;
    /// the sign-in links and sessions expired by then are deleted with it, so neither table
    /// grows past what is still usable.
    pub async fn create_signin(&self, link: NewSignIn<'_>, mail: bool) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        for expired in [
            "DELETE FROM signin_links WHERE expires_ms <= $1",
            "DELETE FROM sessions WHERE expires_ms <= $1",
        ] {
            sqlx::query(expired)
                .bind(link.now.as_millisecond())
                .execute(&mut *tx.tx)
                .await?;
        }
        sqlx::query(
            "INSERT INTO signin_links (token_hash, user_id, expires_ms) VALUES ($1, $2, $3)",
        )
        .bind(link.hash)
        .bind(link.user.id)
        .bind(link.expires.as_millisecond())
        .execute(&mut *tx.tx)
        .await?;
        if mail {
            // Every email is an outbox row, written with the change that causes it.
            tx.enqueue(&QueuedMail {
                note_id: None,
                kind: MailKind::SignIn,
                recipient: link.user.email.as_str().to_owned(),
                recipient_name: Some(link.user.name.clone()),
                list: None,
                context: link.context,
                secret: Some(link.secret.to_owned()),
                now: link.now,
            })
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The person a sign-in link signs in, if it is pending and unexpired and its person
    /// enabled; spends it in the same statement, so two POSTs of one link sign in once.
    pub async fn spend_signin(&self, hash: &str, now: Timestamp) -> Result<LinkUse, StoreError> {
        let mut tx = self.begin_write().await?;
        let user_id: Option<i64> = sqlx::query_scalar(
            "UPDATE signin_links SET used = 1 \
             WHERE token_hash = $1 AND used = 0 AND expires_ms > $2 RETURNING user_id",
        )
        .bind(hash)
        .bind(now.as_millisecond())
        .fetch_optional(&mut *tx)
        .await?;
        let user = match user_id {
            Some(id) => sqlx::query(select_users!("WHERE id = $1"))
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
                .as_ref()
                .map(super::users::user_from_row)
                .transpose()?,
            None => None,
        };
        tx.commit().await?;
        Ok(match user {
            Some(user) if !user.disabled => LinkUse::Spent(user),
            _ => LinkUse::Refused,
        })
    }

    /// How many of `user`'s sign-in links are neither used nor expired: what bounds the
    /// sign-in mail one address can be sent.
    pub async fn pending_signins(&self, user: i64, now: Timestamp) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM signin_links WHERE user_id = $1 AND used = 0 AND expires_ms > $2",
        )
        .bind(user)
        .bind(now.as_millisecond())
        .fetch_one(&self.read)
        .await?)
    }

    /// Whether a sign-in link is there to be used (for the inert GET page).
    pub async fn signin_pending(&self, hash: &str, now: Timestamp) -> Result<bool, StoreError> {
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT user_id FROM signin_links WHERE token_hash = $1 AND used = 0 AND expires_ms > $2",
        )
        .bind(hash)
        .bind(now.as_millisecond())
        .fetch_optional(&self.read)
        .await?;
        Ok(found.is_some())
    }

    pub async fn create_session(
        &self,
        user: i64,
        hash: &str,
        now: Timestamp,
        expires: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, created_ms, expires_ms) VALUES ($1, $2, $3, $4)",
        )
        .bind(hash)
        .bind(user)
        .bind(now.as_millisecond())
        .bind(expires.as_millisecond())
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// The enabled person whose unexpired session this is.
    pub async fn session_user(
        &self,
        hash: &str,
        now: Timestamp,
    ) -> Result<Option<User>, StoreError> {
        let row = sqlx::query(select_users!(
            "WHERE disabled = 0 AND id = (SELECT user_id FROM sessions \
             WHERE token_hash = $1 AND expires_ms > $2)"
        ))
        .bind(hash)
        .bind(now.as_millisecond())
        .fetch_optional(&self.read)
        .await?;
        row.as_ref().map(super::users::user_from_row).transpose()
    }

    /// Ends a session (sign-out); ending one that is gone is no error.
    pub async fn end_session(&self, hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(hash)
            .execute(&self.write)
            .await?;
        Ok(())
    }
}
