//! Signing in: `GET /signin` asks for an address, `POST /signin` mails a link (the same
//! answer for any address), `GET /signin/{token}` shows a button and changes nothing (mail
//! scanners open links), `POST /signin/{token}` signs in once and sets the session
//! cookie; `POST /signout` ends the session.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;

use super::super::AppState;
use super::super::extract::Client;
use super::session::{SESSION_COOKIE, SignedIn, Visitor};
use super::{csrf_refused, error_page, page};
use crate::service::{ServiceError, SignInError};

pub async fn form(State(state): State<AppState>, visitor: Visitor) -> Response {
    if visitor.session.is_some() {
        return Redirect::to("/notes").into_response();
    }
    signin_page(&state, &visitor, false)
}

fn signin_page(state: &AppState, visitor: &Visitor, sent: bool) -> Response {
    let title = visitor.ctx.t("sign_in");
    page(
        state,
        &visitor.ctx,
        StatusCode::OK,
        "desk/signin",
        &title,
        json!({ "sent": sent, "email": "" }),
    )
}

#[derive(Deserialize)]
pub struct Address {
    email: Option<String>,
}

/// Mails a link to a known, enabled person, and answers the same page whoever asked.
pub async fn request(
    State(state): State<AppState>,
    visitor: Visitor,
    Client(client): Client,
    Form(address): Form<Address>,
) -> Response {
    let email = address.email.unwrap_or_default();
    match state.service.request_signin(&email, &client).await {
        Ok(()) => {
            state.service.mail_queued().notify_one();
            signin_page(&state, &visitor, true)
        }
        Err(e) => error_page(&state, &visitor.ctx, ServiceError::from(e)),
    }
}

/// The link's page: a button to sign in; nothing is spent or recorded.
pub async fn show(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(secret): Path<String>,
) -> Response {
    match state.service.signin_pending(&secret).await {
        Ok(pending) => link_page(&state, &visitor, pending),
        Err(e) => error_page(&state, &visitor.ctx, ServiceError::from(e)),
    }
}

fn link_page(state: &AppState, visitor: &Visitor, pending: bool) -> Response {
    let title = visitor.ctx.t("sign_in");
    let status = if pending {
        StatusCode::OK
    } else {
        StatusCode::GONE
    };
    page(
        state,
        &visitor.ctx,
        status,
        "desk/signin_link",
        &title,
        json!({ "pending": pending }),
    )
}

/// Spends the link and starts a session.
pub async fn sign_in(
    State(state): State<AppState>,
    visitor: Visitor,
    Client(client): Client,
    Path(secret): Path<String>,
) -> Response {
    match state.service.sign_in(&secret, &client).await {
        Ok(session) => {
            let max_age = state.service.session_ttl().as_secs();
            let secure = if state.service.secure_cookies() {
                "; Secure"
            } else {
                ""
            };
            let cookie = format!(
                "{SESSION_COOKIE}={session}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
            );
            with_cookie(Redirect::to("/notes").into_response(), &cookie)
        }
        Err(SignInError::Refused) => link_page(&state, &visitor, false),
        Err(SignInError::Store(e)) => error_page(&state, &visitor.ctx, e.into()),
        Err(other) => error_page(
            &state,
            &visitor.ctx,
            ServiceError::Internal(other.to_string()),
        ),
    }
}

#[derive(Deserialize)]
pub struct Posted {
    csrf: Option<String>,
}

/// Ends the session and forgets its cookie.
pub async fn sign_out(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Form(posted): Form<Posted>,
) -> Response {
    if !signed_in.sent_csrf(posted.csrf.as_deref()) {
        return csrf_refused(&state, &signed_in.ctx);
    }
    if let Err(e) = state.service.sign_out(&signed_in.secret).await {
        return error_page(&state, &signed_in.ctx, e.into());
    }
    let secure = if state.service.secure_cookies() {
        "; Secure"
    } else {
        ""
    };
    with_cookie(
        Redirect::to("/signin").into_response(),
        &format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}"),
    )
}

fn with_cookie(mut response: Response, cookie: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}
