//! Verification for anyone, without signing in: `GET /verify` shows an upload form,
//! `POST /verify` takes the form's file (multipart, so that it works without JavaScript)
//! and shows the finding on the same page, and `POST /api/verify` takes the PDF as the body
//! and answers JSON. Both take bodies up to [`MAX_BODY`](super::MAX_BODY), as the API does.
//!
//! No CSRF field: verifying changes nothing, so a form posted from elsewhere can learn only
//! what its sender could learn by posting the file themselves.

use axum::Json;
use axum::body::Bytes;
use axum::extract::multipart::MultipartRejection;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Serialize;

use super::AppState;
use super::api::{ErrorBody, VerifyView};
use super::approve::render;
use super::error::ApiError;
use crate::clock::brussels_time;
use crate::service::{Verification, VerifyError};

/// The form's file field.
const FIELD: &str = "pdf";

#[utoipa::path(
    post, path = "/api/verify", tag = "verify",
    summary = "Whether a PDF is an issued note of this registry: which one, issued when",
    description = "Anyone may call it; the file is looked up by its SHA-256 and not kept.",
    request_body(description = "the PDF's bytes, up to 10 MB, under either type",
                 content((Vec<u8> = "application/pdf"), (Vec<u8> = "application/octet-stream"))),
    responses(
        (status = 200, description = "what the file is", body = VerifyView),
        (status = 400, response = ErrorBody), (status = 413, response = ErrorBody),
        (status = 422, response = ErrorBody),
    ),
    security(),
)]
pub async fn api(
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<VerifyView>, ApiError> {
    let bytes = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::too_large()
        } else {
            ApiError::new(rejection.status(), "malformed_body", rejection.body_text())
        }
    })?;
    let found = state
        .service
        .verify(bytes.to_vec())
        .await
        .map_err(api_error)?;
    Ok(Json(VerifyView::from(&found)))
}

fn api_error(e: VerifyError) -> ApiError {
    match e {
        VerifyError::NotPdf => {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "not_a_pdf", e.to_string())
        }
        VerifyError::Store(store) => crate::service::ServiceError::from(store).into(),
        VerifyError::Service(service) => service.into(),
    }
}

/// The page's view: the form, with a finding or an error once a file was posted.
#[derive(Serialize, Default)]
struct Page {
    title: &'static str,
    result: Option<Found>,
    error: Option<String>,
}

/// A finding as the page shows it: the issue time on Brussels' clock.
#[derive(Serialize)]
struct Found {
    issued: bool,
    number: Option<String>,
    version: Option<i64>,
    issued_at: Option<String>,
    sha256: String,
    sealed: bool,
    reason: Option<String>,
}

impl From<Verification> for Found {
    fn from(v: Verification) -> Self {
        Self {
            issued: v.issued,
            number: v.number,
            version: v.version,
            issued_at: v.issued_at.map(brussels_time),
            sha256: v.sha256,
            sealed: v.sealed,
            reason: v.reason,
        }
    }
}

const TITLE: &str = "Verify a note";

pub async fn page(State(state): State<AppState>) -> Response {
    let view = Page {
        title: TITLE,
        ..Page::default()
    };
    render(&state, StatusCode::OK, "pages/verify", &view)
}

/// The uploaded file, verified; any problem is shown above the form again, with its status.
pub async fn upload(
    State(state): State<AppState>,
    form: Result<Multipart, MultipartRejection>,
) -> Response {
    let (status, result, error) = match uploaded(form).await {
        Ok(bytes) => match state.service.verify(bytes).await {
            Ok(found) => (StatusCode::OK, Some(Found::from(found)), None),
            Err(e) => {
                let e = api_error(e);
                (e.status, None, Some(e.message))
            }
        },
        Err(e) => (e.status, None, Some(e.message)),
    };
    let view = Page {
        title: TITLE,
        result,
        error,
    };
    render(&state, status, "pages/verify", &view)
}

/// The bytes of the form's `pdf` field: 415 for a body that is not a multipart form, 413
/// over the limit, 422 when no file was chosen.
async fn uploaded(form: Result<Multipart, MultipartRejection>) -> Result<Vec<u8>, ApiError> {
    let mut form = form.map_err(|rejection| {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "not_a_form",
            rejection.body_text(),
        )
    })?;
    let unreadable = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::body_over(super::MAX_BODY)
        } else {
            ApiError::new(StatusCode::BAD_REQUEST, "malformed_form", e.body_text())
        }
    };
    while let Some(field) = form.next_field().await.map_err(unreadable)? {
        if field.name() == Some(FIELD) {
            let bytes = field.bytes().await.map_err(unreadable)?;
            if !bytes.is_empty() {
                return Ok(bytes.to_vec());
            }
        }
    }
    Err(ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "no_file",
        "choose a PDF file to verify",
    ))
}
