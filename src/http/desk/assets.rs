//! The desk's own files, compiled in: its style sheet, its one script, and the note's
//! fonts (the very files the PDF embeds) for the preview.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::render::font_file;

const CSS: &str = include_str!("../../../static/desk.css");
const JS: &str = include_str!("../../../static/desk.js");

pub async fn css() -> Response {
    file("text/css; charset=utf-8", CSS.as_bytes())
}

pub async fn js() -> Response {
    file("text/javascript; charset=utf-8", JS.as_bytes())
}

pub async fn font(Path(name): Path<String>) -> Response {
    match font_file(&name) {
        Some(bytes) => file("font/ttf", bytes),
        None => (StatusCode::NOT_FOUND, "no such font").into_response(),
    }
}

/// A file that holds no note content: browsers may keep it for an hour.
fn file(content_type: &'static str, bytes: &'static [u8]) -> Response {
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}
