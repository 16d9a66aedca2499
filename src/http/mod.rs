//! The HTTP surface: thin handlers that parse, call one use case and map its error.

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
use axum::routing::get;

pub use error::ApiError;

use crate::service::Service;

/// Largest request body accepted (10 MB); above it the answer is 413.
pub const MAX_BODY: usize = 10_000_000;

#[derive(Clone)]
pub struct AppState {
    pub service: Service,
    counters: Arc<metrics::Counters>,
}

/// The OpenAPI 3 description of the API, compiled in.
const OPENAPI: &str = include_str!("openapi.json");

pub fn router(service: Service) -> Router {
    let counters = Arc::new(metrics::Counters::default());
    Router::new()
        .route("/api/notes", get(notes::list).post(notes::register))
        .route("/api/notes/{id}", get(notes::get).put(notes::edit))
        .route("/api/notes/{id}/pdf", get(notes::pdf))
        .route(
            "/api/notes/{id}/withdraw",
            axum::routing::post(notes::withdraw),
        )
        .route("/api/notes/{id}/audit", get(notes::audit))
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
        .with_state(AppState { service, counters })
}

/// One log line per request (method, path, status, time taken), and the request counted.
async fn log_request(
    axum::extract::State(counters): axum::extract::State<Arc<metrics::Counters>>,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
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
