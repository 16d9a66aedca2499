//! The drafters' desk: server-rendered pages over the same use cases as the API, signed
//! in by an emailed link (`signin.rs`), with a session cookie (`session.rs`), in English
//! or French (`i18n.rs`). Pages work without JavaScript; `static/desk.js` adds the live
//! preview and refreshes deliveries. Every page is `no-store`, never framed, under a CSP
//! with no inline script or style; every form carries the session's CSRF value.

mod assets;
mod i18n;
mod notes;
mod session;
mod signin;
mod views;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use serde_json::{Value, json};

use super::AppState;
use super::error::ApiError;
use crate::render::Escape;
use crate::service::ServiceError;
use i18n::{LANG_COOKIE, Lang};

/// The desk's page templates, loaded with the approval pages' (`templates/desk/…`).
pub const BUILT_IN: &[(&str, Escape, &str)] = &[
    (
        "desk/layout",
        Escape::Html,
        include_str!("../../../templates/desk/layout.hbs"),
    ),
    (
        "desk/signin",
        Escape::Html,
        include_str!("../../../templates/desk/signin.hbs"),
    ),
    (
        "desk/signin_link",
        Escape::Html,
        include_str!("../../../templates/desk/signin_link.hbs"),
    ),
    (
        "desk/message",
        Escape::Html,
        include_str!("../../../templates/desk/message.hbs"),
    ),
    (
        "desk/list",
        Escape::Html,
        include_str!("../../../templates/desk/list.hbs"),
    ),
    (
        "desk/form",
        Escape::Html,
        include_str!("../../../templates/desk/form.hbs"),
    ),
    (
        "desk/note",
        Escape::Html,
        include_str!("../../../templates/desk/note.hbs"),
    ),
];

/// Desk routes anyone may open: the sign-in pages and the desk's own files. They take
/// small bodies only, as every route without sign-in.
pub fn public_routes() -> Vec<(&'static str, MethodRouter<AppState>)> {
    vec![
        ("/", get(notes::home)),
        ("/signin", get(signin::form).post(signin::request)),
        ("/signin/{token}", get(signin::show).post(signin::sign_in)),
        ("/static/desk.css", get(assets::css)),
        ("/static/desk.js", get(assets::js)),
        ("/static/fonts/{file}", get(assets::font)),
    ]
}

/// Desk routes for signed-in people.
pub fn routes() -> Vec<(&'static str, MethodRouter<AppState>)> {
    vec![
        ("/signout", post(signin::sign_out)),
        ("/notes", get(notes::list).post(notes::register)),
        ("/notes/new", get(notes::new_form)),
        ("/notes/{id}", get(notes::note).post(notes::save)),
        ("/notes/{id}/edit", get(notes::edit_form)),
        ("/notes/{id}/pdf", get(notes::pdf)),
        // submit, withdraw, revise
        ("/notes/{id}/{action}", post(notes::act_on)),
        (
            "/notes/{id}/deliveries/{recipient}/retry",
            post(notes::retry),
        ),
        ("/preview", post(notes::preview)),
    ]
}

/// What every page's layout needs: the language, and who is signed in with their form
/// value.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub lang: Lang,
    /// Chosen with `?lang=` on this request: the answer keeps it in a cookie.
    pub lang_chosen: bool,
    pub who: Option<String>,
    pub csrf: Option<String>,
}

impl Ctx {
    /// A string of this request's language.
    pub fn t(&self, key: &str) -> String {
        self.lang.strings()[key].as_str().unwrap_or(key).to_owned()
    }
}

/// The CSP of desk pages: their own script, style and fonts only.
const PAGE_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     font-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; \
     frame-ancestors 'none'; base-uri 'none'";

/// Renders desk page `name` with `view` and what the layout needs.
fn page(
    state: &AppState,
    ctx: &Ctx,
    status: StatusCode,
    name: &str,
    title: &str,
    view: Value,
) -> Response {
    let mut view = view;
    if let Some(fields) = view.as_object_mut() {
        fields.insert("lang".to_owned(), ctx.lang.code().into());
        fields.insert("other_lang".to_owned(), ctx.lang.other().code().into());
        fields.insert("t".to_owned(), ctx.lang.strings().clone());
        fields.insert("title".to_owned(), title.into());
        fields.insert("who".to_owned(), ctx.who.clone().into());
        fields.insert("csrf".to_owned(), ctx.csrf.clone().into());
    }
    let response = match state.pages.render(name, &view) {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, page = name, "a desk template failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the page cannot be shown; the error has been logged",
            )
                .into_response()
        }
    };
    let mut response = super::approve::private(response);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(PAGE_POLICY),
    );
    if ctx.lang_chosen
        && let Ok(value) = HeaderValue::from_str(&format!(
            "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
            ctx.lang.code()
        ))
    {
        headers.append(header::SET_COOKIE, value);
    }
    response
}

/// A page saying why a request failed, with the status the API would give.
fn error_page(state: &AppState, ctx: &Ctx, error: ServiceError) -> Response {
    let error = ApiError::from(error);
    let heading = match error.status {
        StatusCode::NOT_FOUND => ctx.t("not_found"),
        StatusCode::FORBIDDEN => ctx.t("forbidden"),
        s if s.is_server_error() => ctx.t("server_error"),
        _ => ctx.t("not_accepted"),
    };
    page(
        state,
        ctx,
        error.status,
        "desk/message",
        &heading,
        json!({ "heading": heading, "message": error.message }),
    )
}

/// 403 for a form without its session's CSRF value: another site's page cannot post
/// as the person signed in here.
fn csrf_refused(state: &AppState, ctx: &Ctx) -> Response {
    let heading = ctx.t("forbidden");
    page(
        state,
        ctx,
        StatusCode::FORBIDDEN,
        "desk/message",
        &heading,
        json!({ "heading": heading, "message": ctx.t("csrf_refused") }),
    )
}
