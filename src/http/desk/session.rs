//! Who a desk request comes from: the language it asks for and, when its session cookie
//! opens a live session, the signed-in person acting as a `Principal` with their role
//! and units (the API's scope checks apply unchanged). Also the CSRF check of a posted
//! form against its session.

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};

use super::super::AppState;
use super::super::extract::Client;
use super::i18n::{Lang, cookie};
use super::{Ctx, error_page};
use crate::service::{ServiceError, Session};

/// The session cookie: its value is the session's secret, of which only a hash is kept.
pub const SESSION_COOKIE: &str = "notesd_session";

/// Any desk request: signed in or not.
pub struct Visitor {
    pub ctx: Ctx,
    pub session: Option<(Session, String)>,
}

impl<S> FromRequestParts<S> for Visitor
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let service = AppState::from_ref(state).service;
        let (lang, lang_chosen) = Lang::of_request(parts.uri.query(), &parts.headers);
        let mut ctx = Ctx {
            lang,
            lang_chosen,
            who: None,
            csrf: None,
        };
        let Some(secret) = cookie(&parts.headers, SESSION_COOKIE).filter(|s| !s.is_empty()) else {
            return Ok(Self { ctx, session: None });
        };
        let Ok(Client(client)) = Client::from_request_parts(parts, state).await;
        match service.session(&secret, client).await {
            Ok(Some(session)) => {
                ctx.who = Some(session.user.name.clone());
                ctx.csrf = Some(session.csrf.clone());
                Ok(Self {
                    ctx,
                    session: Some((session, secret)),
                })
            }
            Ok(None) => Ok(Self { ctx, session: None }),
            Err(e) => Err(error_page(
                &AppState::from_ref(state),
                &ctx,
                ServiceError::from(e),
            )),
        }
    }
}

/// A request from a signed-in person; anyone else is sent to the sign-in page.
pub struct SignedIn {
    pub ctx: Ctx,
    pub session: Session,
    pub secret: String,
}

impl<S> FromRequestParts<S> for SignedIn
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let visitor = Visitor::from_request_parts(parts, state).await?;
        match visitor.session {
            Some((session, secret)) => Ok(Self {
                ctx: visitor.ctx,
                session,
                secret,
            }),
            None => Err(Redirect::to("/signin").into_response()),
        }
    }
}

impl SignedIn {
    /// Whether a posted form carries this session's CSRF value.
    pub fn sent_csrf(&self, posted: Option<&str>) -> bool {
        posted.is_some_and(|p| same(p.as_bytes(), self.session.csrf.as_bytes()))
    }
}

/// Compares in time that does not depend on where the values differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
