//! Request extractors that answer in the API's error format: a JSON body (400 when it is
//! not JSON, 413 when too large) and the bearer token's principal (401, saying whether
//! the token is unknown, revoked or expired); and where a request came from, for the
//! audit trail.

use std::convert::Infallible;
use std::net::SocketAddr;

use axum::extract::ConnectInfo;
use axum::http::header::{HeaderName, USER_AGENT};

use axum::body::Bytes;
use axum::extract::{FromRef, FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use serde_json::Value;

use super::AppState;
use super::error::ApiError;
use crate::access::{ClientInfo, Principal};
use crate::service::{AuthError, Service};

/// A request body that is syntactically JSON; its meaning is checked by the use case.
pub struct JsonBody(pub Value);

/// The same, for endpoints where the body is optional: `None` when it is empty.
pub struct OptionalJsonBody(pub Option<Value>);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = body_bytes(req, state).await?;
        parse_json(&bytes).map(JsonBody)
    }
}

impl<S: Send + Sync> FromRequest<S> for OptionalJsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = body_bytes(req, state).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptionalJsonBody(None));
        }
        parse_json(&bytes).map(|v| OptionalJsonBody(Some(v)))
    }
}

async fn body_bytes<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(req, state).await.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::too_large()
        } else {
            ApiError::malformed_json(rejection.body_text())
        }
    })
}

fn parse_json(bytes: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(bytes)
        .map_err(|e| ApiError::malformed_json(format!("the body is not valid JSON: {e}")))
}

/// The caller, from `Authorization: Bearer TOKEN` (the scheme in any case, as RFC 9110
/// says), with where the request came from.
pub struct Caller(pub Principal);

impl<S> FromRequestParts<S> for Caller
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let service: Service = AppState::from_ref(state).service;
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(bearer_token)
            .map(str::to_owned)
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "unauthorized",
                    "send `Authorization: Bearer TOKEN`; create one with `notesd token create`",
                )
            })?;
        let Ok(Client(client)) = Client::from_request_parts(parts, state).await;
        match service.authenticate(&token, client).await {
            Ok(principal) => Ok(Caller(principal)),
            Err(AuthError::Store(e)) => Err(crate::service::ServiceError::from(e).into()),
            Err(refused) => Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                refused.to_string(),
            )),
        }
    }
}

/// The token of an `Authorization` header value whose scheme is `Bearer` in any case.
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim_start().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The peer address (with `X-Forwarded-For` when a proxy sent one) and the user agent.
pub struct Client(pub ClientInfo);

impl<S: Send + Sync> FromRequestParts<S> for Client {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let header = |name: HeaderName| {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.chars().take(300).collect::<String>())
        };
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip().to_string());
        let address = match (header(HeaderName::from_static("x-forwarded-for")), peer) {
            (Some(forwarded), Some(peer)) => Some(format!("{forwarded} (via {peer})")),
            (forwarded, peer) => forwarded.or(peer),
        };
        Ok(Client(ClientInfo {
            address,
            user_agent: header(USER_AGENT),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::bearer_token;

    #[test]
    fn the_bearer_scheme_is_matched_in_any_case() {
        for value in ["Bearer abc", "bearer abc", "BEARER  abc ", "bEaReR abc"] {
            assert_eq!(bearer_token(value), Some("abc"), "{value}");
        }
        for value in ["Basic abc", "Bearer", "Bearer ", "Bearerabc", "abc"] {
            assert_eq!(bearer_token(value), None, "{value}");
        }
    }
}
