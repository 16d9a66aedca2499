//! The HTTP surface: thin handlers that parse, call one use case and map its error.

pub mod approve;
mod error;
mod extract;
mod metrics;
mod notes;

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

pub use error::ApiError;

use crate::render::TemplateSet;
use crate::service::Service;

/// Largest request body accepted (10 MB); above it the answer is 413.
pub const MAX_BODY: usize = 10_000_000;

#[derive(Clone)]
pub struct AppState {
    pub service: Service,
    counters: Arc<metrics::Counters>,
    pages: Arc<TemplateSet>,
}

/// The OpenAPI 3 description of the API, compiled in.
const OPENAPI: &str = include_str!("openapi.json");

/// The routes; `pages` are the approval pages' templates (see [`approve::templates`]).
pub fn router(service: Service, pages: TemplateSet) -> Router {
    let counters = Arc::new(metrics::Counters::default());
    Router::new()
        .route("/api/notes", get(notes::list).post(notes::register))
        .route("/api/notes/{id}", get(notes::get).put(notes::edit))
        .route("/api/notes/{id}/pdf", get(notes::pdf))
        .route("/api/notes/{id}/withdraw", post(notes::withdraw))
        .route("/api/notes/{id}/submit", post(notes::submit))
        .route("/api/notes/{id}/revise", post(notes::revise))
        .route("/api/notes/{id}/deliveries", get(notes::deliveries))
        .route(
            "/api/notes/{id}/deliveries/{recipient}/retry",
            post(notes::retry_delivery),
        )
        .route("/api/notes/{id}/audit", get(notes::audit))
        .route("/approve/{token}", get(approve::show).post(approve::decide))
        .route("/approve/{token}/pdf", get(approve::draft))
        .route("/download/{token}", get(approve::download))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/metrics", get(metrics::metrics))
        .route(
            "/api/openapi.json",
            get(|| async {
                (
                    [(axum::http::header::CONTENT_TYPE, "application/json")],
                    OPENAPI,
                )
            }),
        )
        .fallback(|| async {
            ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
        })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this endpoint does not take that method",
            )
        })
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(middleware::from_fn_with_state(
            counters.clone(),
            log_request,
        ))
        .with_state(AppState {
            service,
            counters,
            pages: Arc::new(pages),
        })
}

/// One log line per request (method, path, status, time taken), and the request counted.
async fn log_request(
    axum::extract::State(counters): axum::extract::State<Arc<metrics::Counters>>,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method().clone();
    let path = redacted(request.uri().path());
    let started = Instant::now();
    let response = next.run(request).await.into_response();
    let status = response.status().as_u16();
    counters.record(status);
    let ms = (started.elapsed().as_secs_f64() * 1e5).round() / 100.0;
    if response.status().is_server_error() {
        tracing::warn!(%method, %path, status, ms, "request");
    } else {
        tracing::info!(%method, %path, status, ms, "request");
    }
    response
}

/// The path as logged: link secrets are credentials and never reach a log file.
fn redacted(path: &str) -> String {
    for prefix in ["/approve/", "/download/"] {
        if let Some(rest) = path.strip_prefix(prefix) {
            let tail = rest.find('/').map(|i| &rest[i..]).unwrap_or("");
            return format!("{prefix}…{tail}");
        }
    }
    path.to_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn link_secrets_are_left_out_of_logged_paths() {
        assert_eq!(super::redacted("/approve/abcDEF123"), "/approve/…");
        assert_eq!(super::redacted("/approve/abcDEF123/pdf"), "/approve/…/pdf");
        assert_eq!(super::redacted("/download/xyz"), "/download/…");
        assert_eq!(super::redacted("/api/notes/3"), "/api/notes/3");
    }
}
