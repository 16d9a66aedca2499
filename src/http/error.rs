//! Every API error as `{"error": {"code", "message", "field"}}` with its status. A 500
//! never shows internals: the cause is logged once here and the client gets a generic line.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::api::{ErrorBody, ErrorDetail};
use crate::link::LinkRefusal;
use crate::service::ServiceError;
use crate::store::StoreError;

#[derive(Debug)]
pub struct ApiError {
    pub(super) status: StatusCode,
    code: &'static str,
    pub(super) message: String,
    field: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            field: None,
        }
    }

    pub fn malformed_json(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "malformed_json", message)
    }

    pub fn too_large() -> Self {
        Self::body_over(super::MAX_BODY)
    }

    /// 413 for a body over `limit` bytes.
    pub fn body_over(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the request body is over {limit} bytes"),
        )
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        let message = e.to_string();
        match e {
            ServiceError::Invalid(spec) => Self {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                code: "invalid_field",
                message: spec.message,
                field: Some(spec.field).filter(|f| !f.is_empty()),
            },
            ServiceError::NotFound(_) => Self::new(StatusCode::NOT_FOUND, "not_found", message),
            ServiceError::Workflow(_) => Self::new(StatusCode::CONFLICT, "invalid_state", message),
            ServiceError::Stale(_) => Self::new(StatusCode::CONFLICT, "stale_version", message),
            ServiceError::Render(_) => {
                Self::new(StatusCode::UNPROCESSABLE_ENTITY, "render_failed", message)
            }
            ServiceError::Forbidden(_) => Self::new(StatusCode::FORBIDDEN, "forbidden", message),
            ServiceError::Seal(_) => {
                tracing::error!(error = %message, "the seal cannot be applied");
                Self::new(StatusCode::SERVICE_UNAVAILABLE, "seal_unavailable", message)
            }
            ServiceError::Link(LinkRefusal::Unknown) => {
                Self::new(StatusCode::NOT_FOUND, "unknown_link", message)
            }
            ServiceError::Link(_) => Self::new(StatusCode::GONE, "link_not_usable", message),
            ServiceError::Internal(detail) => {
                tracing::error!(error = %detail, "request failed");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "an internal error occurred; it has been logged",
                )
            }
            ServiceError::Store(StoreError::Exhausted(_)) => {
                Self::new(StatusCode::CONFLICT, "series_exhausted", message)
            }
            ServiceError::Store(StoreError::Corrupt { what, .. }) => {
                tracing::error!(error = %message, "a stored record cannot be read");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "unreadable",
                    format!(
                        "this record is stored in a form this daemon cannot read ({what}); \
                         it has been logged for the operator"
                    ),
                )
            }
            ServiceError::Store(store) => {
                tracing::error!(error = %store, "request failed in the store");
                if store.is_unavailable() {
                    Self::new(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "unavailable",
                        "the database is unavailable; try again shortly",
                    )
                } else {
                    Self::new(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "internal",
                        "an internal error occurred; it has been logged",
                    )
                }
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: self.message,
                field: self.field,
            },
        };
        let mut response = (self.status, Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}
