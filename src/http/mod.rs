//! The HTTP surface: thin handlers that parse, call one use case and map its error.

mod api;
pub mod approve;
mod desk;
mod error;
mod extract;
mod metrics;
mod notes;
pub mod server;
mod verify;

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use hyper::body::Frame;

pub use error::ApiError;

use crate::render::TemplateSet;
use crate::service::Service;

/// Largest request body accepted (10 MB); above it the answer is 413.
pub const MAX_BODY: usize = 10_000_000;

/// Largest body on the routes anyone may call without signing in: the approval form (a
/// comment is at most 10,000 characters, up to 4 bytes each and percent-encoded) fits.
pub const PUBLIC_BODY: usize = 64 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub service: Service,
    pages: Arc<TemplateSet>,
}

/// The routes that need a bearer token, each path with what answers its methods.
fn api_routes() -> Vec<(&'static str, MethodRouter<AppState>)> {
    vec![
        ("/api/notes", get(notes::list).post(notes::register)),
        ("/api/notes/{id}", get(notes::get).put(notes::edit)),
        ("/api/notes/{id}/pdf", get(notes::pdf)),
        ("/api/notes/{id}/withdraw", post(notes::withdraw)),
        ("/api/notes/{id}/submit", post(notes::submit)),
        ("/api/notes/{id}/revise", post(notes::revise)),
        ("/api/notes/{id}/deliveries", get(notes::deliveries)),
        (
            "/api/notes/{id}/deliveries/{recipient}/retry",
            post(notes::retry_delivery),
        ),
        ("/api/notes/{id}/audit", get(notes::audit)),
    ]
}

/// The routes anyone may call without signing in.
fn public_routes() -> Vec<(&'static str, MethodRouter<AppState>)> {
    let document = api::document();
    vec![
        ("/approve/{token}", get(approve::show).post(approve::decide)),
        ("/approve/{token}/pdf", get(approve::draft)),
        ("/approve/{token}/forward", post(approve::forward)),
        ("/download/{token}", get(approve::download)),
        ("/healthz", get(|| async { "ok\n" })),
        ("/metrics", get(metrics::metrics)),
        (
            "/api/openapi.json",
            get(move || async move { axum::Json(document.clone()) }),
        ),
    ]
}

/// The routes anyone may call without signing in that take a whole PDF: up to
/// [`MAX_BODY`], like the API.
fn verify_routes() -> Vec<(&'static str, MethodRouter<AppState>)> {
    vec![
        ("/verify", get(verify::page).post(verify::upload)),
        ("/api/verify", post(verify::api)),
    ]
}

/// Every path of the API and the public routes: the contract test walks them and checks
/// that the OpenAPI document describes each method they take. The desk's HTML pages
/// (`desk::routes`, `desk::public_routes`) are not API and are left out.
pub fn route_paths() -> Vec<&'static str> {
    api_routes()
        .into_iter()
        .chain(public_routes())
        .chain(verify_routes())
        .map(|(path, _)| path)
        .collect()
}

/// The routes; `pages` are the approval pages' templates (see [`approve::templates`]);
/// a request body must have arrived within `body_timeout` (else 408).
pub fn router(service: Service, pages: TemplateSet, body_timeout: Duration) -> Router {
    let measured = service.metrics().clone();
    // Without sign-in: small bodies only, refused by their declared length before any read.
    let public = public_routes()
        .into_iter()
        .chain(desk::public_routes())
        .fold(Router::new(), |router, (path, route)| {
            router.route(path, route)
        })
        .route_layer(DefaultBodyLimit::max(PUBLIC_BODY))
        .route_layer(middleware::from_fn(refuse_declared_over_public_limit));
    api_routes()
        .into_iter()
        .chain(verify_routes())
        .chain(desk::routes())
        .fold(Router::new(), |router, (path, route)| {
            router.route(path, route)
        })
        .merge(public)
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
        .layer(middleware::from_fn_with_state(body_timeout, bound_body))
        .layer(middleware::map_response(no_store))
        .layer(middleware::from_fn_with_state(measured, log_request))
        .with_state(AppState {
            service,
            pages: Arc::new(pages),
        })
}

/// 413 at once for a public route's request that announces a body over [`PUBLIC_BODY`],
/// before anything is read or looked up; a body sent without a length is cut off at the
/// same size by `DefaultBodyLimit` when a handler reads it.
async fn refuse_declared_over_public_limit(request: Request, next: Next) -> Response {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > PUBLIC_BODY as u64) {
        return ApiError::body_over(PUBLIC_BODY).into_response();
    }
    next.run(request).await
}

/// No answer of this service may be kept by a cache: notes are LIMITE documents, and a
/// refusal page names the note its link is about.
async fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

/// The request body must arrive within `body_timeout` in total, however slowly it trickles
/// (hyper only bounds the header); a body that does not is answered 408 and the connection
/// closed.
async fn bound_body(
    axum::extract::State(body_timeout): axum::extract::State<Duration>,
    request: Request,
    next: Next,
) -> Response {
    let expired = Arc::new(AtomicBool::new(false));
    let request = request.map(|body| {
        Body::new(Deadline {
            body,
            timer: Box::pin(tokio::time::sleep(body_timeout)),
            expired: expired.clone(),
        })
    });
    let response = next.run(request).await;
    if !expired.load(Ordering::Relaxed) {
        return response;
    }
    let mut response = ApiError::new(
        StatusCode::REQUEST_TIMEOUT,
        "request_timeout",
        format!(
            "the request body did not arrive within {} s (http.body_timeout)",
            body_timeout.as_secs()
        ),
    )
    .into_response();
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// A request body that fails once its deadline has passed.
struct Deadline {
    body: Body,
    timer: Pin<Box<tokio::time::Sleep>>,
    expired: Arc<AtomicBool>,
}

#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive in time")]
struct BodyTimedOut;

impl HttpBody for Deadline {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        if let Poll::Ready(frame) = Pin::new(&mut self.body).poll_frame(cx) {
            return Poll::Ready(frame);
        }
        if self.timer.as_mut().poll(cx).is_ready() {
            self.expired.store(true, Ordering::Relaxed);
            return Poll::Ready(Some(Err(axum::Error::new(BodyTimedOut))));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.body.size_hint()
    }
}

/// One log line per request (method, path, status, time taken), and the request measured
/// by its route's pattern, never its path.
async fn log_request(
    axum::extract::State(measured): axum::extract::State<Arc<crate::metrics::Metrics>>,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method().clone();
    let route = request.extensions().get::<MatchedPath>().cloned();
    let route = route.as_ref().map(MatchedPath::as_str);
    let path = logged_path(route, request.uri().path());
    let started = Instant::now();
    let response = next.run(request).await.into_response();
    let status = response.status().as_u16();
    let took = started.elapsed();
    measured.request(route, method.as_str(), status, took);
    let ms = (took.as_secs_f64() * 1e5).round() / 100.0;
    if response.status().is_server_error() {
        tracing::warn!(%method, %path, status, ms, "request");
    } else {
        tracing::info!(%method, %path, status, ms, "request");
    }
    response
}

/// The path as logged. Link secrets are credentials and never reach a log file, so the
/// route decides, not the text: a route with a `{token}` is logged as its pattern, and a
/// path no route matched (which may hold anything, `/approve//SECRET`) only by its first
/// segment.
fn logged_path(route: Option<&str>, path: &str) -> String {
    match route {
        Some(route) if route.contains("{token}") => route.to_owned(),
        Some(_) => path.to_owned(),
        None => {
            let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
            if path.len() > first.len() + 1 {
                format!("/{first}/…")
            } else {
                format!("/{first}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::logged_path;

    #[test]
    fn link_secrets_are_left_out_of_logged_paths() {
        let route = Some("/approve/{token}/pdf");
        assert_eq!(
            logged_path(route, "/approve/abc/pdf"),
            "/approve/{token}/pdf"
        );
        assert_eq!(logged_path(None, "/approve//abcDEF123"), "/approve/…");
        assert_eq!(logged_path(None, "/nowhere"), "/nowhere");
        assert_eq!(
            logged_path(Some("/api/notes/{id}"), "/api/notes/3"),
            "/api/notes/3"
        );
    }
}
