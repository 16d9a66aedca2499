//! The approver's pages: `GET /approve/{token}` shows the note and a form and changes
//! nothing (mail scanners open every link); `POST /approve/{token}` records the decision.
//! Server-rendered HTML that works on a phone, never cached, never leaking the link in a
//! Referer. Also `GET /download/{token}` for PDFs too large to attach.

use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::error::ApiError;
use super::extract::Client;
use crate::clock::brussels_time;
use crate::diff::Change;
use crate::render::{Escape, TemplateError, TemplateSet};
use crate::service::{ApprovalPage, ApproverView, DecisionForm, ForwardForm, ServiceError};
use crate::workflow::Decision;

const BUILT_IN: &[(&str, Escape, &str)] = &[
    (
        "pages/layout",
        Escape::Html,
        include_str!("../../templates/pages/layout.hbs"),
    ),
    (
        "pages/approve",
        Escape::Html,
        include_str!("../../templates/pages/approve.hbs"),
    ),
    (
        "pages/decided",
        Escape::Html,
        include_str!("../../templates/pages/decided.hbs"),
    ),
    (
        "pages/refused",
        Escape::Html,
        include_str!("../../templates/pages/refused.hbs"),
    ),
    (
        "pages/verify",
        Escape::Html,
        include_str!("../../templates/pages/verify.hbs"),
    ),
];

/// The page templates (the approver's and the desk's), built in or from
/// `templates.dir/pages/…` and `templates.dir/desk/…`; `check` loads them too.
pub fn templates(dir: Option<&std::path::Path>) -> Result<TemplateSet, TemplateError> {
    TemplateSet::load(&[BUILT_IN, super::desk::BUILT_IN].concat(), dir)
}

#[derive(Serialize)]
struct Decided {
    step: String,
    email: String,
    decision: &'static str,
    comment: Option<String>,
    at: String,
}

#[derive(Serialize)]
struct ApproveView<'a> {
    title: String,
    number: String,
    subject: String,
    step: &'a str,
    step_no: usize,
    steps_total: usize,
    approver: &'a str,
    version: i64,
    expires: String,
    pdf_url: String,
    forward_url: String,
    decided: Vec<Decided>,
    csrf: &'a str,
    error: Option<String>,
    comment: String,
    /// The draft's pages as SVG, the changes since the version this approver saw last,
    /// and the deputies the link may be handed on to.
    pages: String,
    changes: Option<Changes>,
    deputies: &'a [String],
    forward_error: Option<String>,
}

#[derive(Serialize)]
struct Changes {
    seen: i64,
    runs: Vec<Run>,
}

#[derive(Serialize)]
struct Run {
    added: bool,
    removed: bool,
    text: String,
}

fn approve_view<'a>(
    secret: &str,
    view: &'a ApproverView,
    error: Option<String>,
    comment: String,
) -> ApproveView<'a> {
    let page: &ApprovalPage = &view.page;
    let number = page.note.number.to_string();
    let decided = page
        .review
        .steps
        .iter()
        .flat_map(|step| {
            step.approvers.iter().filter_map(|a| {
                Some(Decided {
                    step: step.name.clone(),
                    email: a.email.clone(),
                    decision: match a.decision? {
                        Decision::Approve => "approved",
                        Decision::Reject => "requested changes",
                    },
                    comment: a.comment.clone(),
                    at: a.decided_at.map(brussels_time).unwrap_or_default(),
                })
            })
        })
        .collect();
    ApproveView {
        title: format!("Approval: {number}"),
        subject: page.note.subject().to_owned(),
        number,
        step: &page.review.steps[page.token.step].name,
        step_no: page.token.step + 1,
        steps_total: page.review.steps.len(),
        approver: &page.token.approver,
        version: page.token.version,
        expires: brussels_time(page.token.expires),
        pdf_url: format!("/approve/{secret}/pdf"),
        forward_url: format!("/approve/{secret}/forward"),
        decided,
        csrf: &page.csrf,
        error,
        comment,
        pages: view.pages.concat(),
        changes: view.changes.as_ref().map(|(seen, runs)| Changes {
            seen: *seen,
            runs: runs
                .iter()
                .map(|(change, text)| Run {
                    added: *change == Change::Added,
                    removed: *change == Change::Removed,
                    text: text.clone(),
                })
                .collect(),
        }),
        deputies: &view.deputies,
        forward_error: None,
    }
}

pub async fn show(State(state): State<AppState>, Path(secret): Path<String>) -> Response {
    match state.service.approver_view(&secret).await {
        Ok(page) => render(
            &state,
            StatusCode::OK,
            "pages/approve",
            &approve_view(&secret, &page, None, String::new()),
        ),
        Err(e) => refused(&state, e.into()),
    }
}

#[derive(Deserialize)]
pub struct Posted {
    decision: Option<String>,
    comment: Option<String>,
    csrf: Option<String>,
}

/// Records a decision.
pub async fn decide(
    State(state): State<AppState>,
    Path(secret): Path<String>,
    Client(client): Client,
    request: Request,
) -> Response {
    let posted: Posted = match linked_form(&state, &secret, request).await {
        Ok(posted) => posted,
        Err(refusal) => return refusal,
    };
    let comment = posted.comment.clone().unwrap_or_default();
    let form = DecisionForm {
        decision: posted.decision,
        comment: posted.comment,
        csrf: posted.csrf,
    };
    match state.service.decide(&secret, form, &client).await {
        Ok((note, decision)) => {
            let number = note.number.to_string();
            let message = match decision {
                Decision::Approve => format!("Your approval of {number} is recorded."),
                Decision::Reject => format!(
                    "Your request for changes to {number} is recorded; the drafter has been told."
                ),
            };
            #[derive(Serialize)]
            struct View {
                title: String,
                number: String,
                subject: String,
                message: String,
            }
            let view = View {
                title: format!("Recorded: {number}"),
                subject: note.subject().to_owned(),
                number,
                message,
            };
            render(&state, StatusCode::OK, "pages/decided", &view)
        }
        // A form problem: show the form again, with what was typed and what is wrong.
        Err(ServiceError::Invalid(problem)) => match state.service.approver_view(&secret).await {
            Ok(page) => render(
                &state,
                StatusCode::UNPROCESSABLE_ENTITY,
                "pages/approve",
                &approve_view(&secret, &page, Some(problem.message), comment),
            ),
            Err(e) => refused(&state, e.into()),
        },
        Err(e) => refused(&state, e.into()),
    }
}

#[derive(Deserialize)]
pub struct Forwarded {
    deputy: Option<String>,
    csrf: Option<String>,
}

/// Hands the link on to a deputy, who is mailed a link of their own.
pub async fn forward(
    State(state): State<AppState>,
    Path(secret): Path<String>,
    Client(client): Client,
    request: Request,
) -> Response {
    let posted: Forwarded = match linked_form(&state, &secret, request).await {
        Ok(posted) => posted,
        Err(refusal) => return refusal,
    };
    let form = ForwardForm {
        deputy: posted.deputy,
        csrf: posted.csrf,
    };
    match state.service.forward(&secret, form, &client).await {
        Ok(deputy) => {
            #[derive(Serialize)]
            struct View {
                title: &'static str,
                number: &'static str,
                subject: String,
                message: String,
            }
            let view = View {
                title: "Handed on",
                number: "",
                subject: String::new(),
                message: format!(
                    "{deputy} has been sent a link of their own; this link can no longer be used."
                ),
            };
            render(&state, StatusCode::OK, "pages/decided", &view)
        }
        Err(ServiceError::Invalid(problem)) => match state.service.approver_view(&secret).await {
            Ok(page) => {
                let mut view = approve_view(&secret, &page, None, String::new());
                view.forward_error = Some(problem.message);
                render(
                    &state,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "pages/approve",
                    &view,
                )
            }
            Err(e) => refused(&state, e.into()),
        },
        Err(e) => refused(&state, e.into()),
    }
}

/// The form posted to a link's page. The link is looked up before the body is read: a
/// POST to an unknown or spent link costs no more than its header.
async fn linked_form<T: serde::de::DeserializeOwned>(
    state: &AppState,
    secret: &str,
    request: Request,
) -> Result<T, Response> {
    if let Err(e) = state.service.approval_page(secret).await {
        return Err(refused(state, e.into()));
    }
    match Form::<T>::from_request(request, state).await {
        Ok(Form(posted)) => Ok(posted),
        Err(rejection) => Err(refused(state, form_refusal(&rejection))),
    }
}

/// Why a posted form could not be read, in the API's terms (413 over [`PUBLIC_BODY`]).
///
/// [`PUBLIC_BODY`]: super::PUBLIC_BODY
fn form_refusal(rejection: &FormRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::body_over(super::PUBLIC_BODY)
    } else {
        ApiError::new(rejection.status(), "malformed_form", rejection.body_text())
    }
}

/// The draft PDF a link is about.
pub async fn draft(State(state): State<AppState>, Path(secret): Path<String>) -> Response {
    match state.service.approval_draft(&secret).await {
        Ok(pdf) => pdf_response(pdf),
        Err(e) => refused(&state, e.into()),
    }
}

/// An issued PDF through a download link.
pub async fn download(State(state): State<AppState>, Path(secret): Path<String>) -> Response {
    match state.service.download(&secret).await {
        Ok(pdf) => pdf_response(pdf),
        Err(e) => refused(&state, e.into()),
    }
}

/// No content security policy on PDFs: browsers' viewers break under `default-src 'none'`.
fn pdf_response(pdf: crate::service::Pdf) -> Response {
    private(super::notes::pdf_response(pdf))
}

/// A plain page saying why the link does not work, with its status (404 unknown, 410
/// used, expired or superseded, 403 a form from elsewhere, 413 a body too large).
fn refused(state: &AppState, error: ApiError) -> Response {
    #[derive(Serialize)]
    struct View {
        title: &'static str,
        message: String,
    }
    let title = match error.status {
        StatusCode::NOT_FOUND => "Unknown link",
        StatusCode::GONE => "This link can no longer be used",
        StatusCode::FORBIDDEN => "Not accepted",
        s if s.is_server_error() => "Something went wrong",
        _ => "Not accepted",
    };
    let view = View {
        title,
        message: error.message,
    };
    render(state, error.status, "pages/refused", &view)
}

pub(super) fn render(
    state: &AppState,
    status: StatusCode,
    page: &str,
    view: &impl Serialize,
) -> Response {
    match state.pages.render(page, view) {
        Ok(html) => {
            let mut response = private((status, Html(html)).into_response());
            response.headers_mut().insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(
                    "default-src 'none'; style-src 'unsafe-inline'; font-src 'self'; form-action 'self'; frame-ancestors 'none'",
                ),
            );
            response
        }
        Err(e) => {
            tracing::error!(error = %e, page, "a page template failed");
            private(
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the page cannot be shown; the error has been logged",
                )
                    .into_response(),
            )
        }
    }
}

/// Headers for every page and file behind a link: never sent as a Referer, never framed
/// (and, as every answer, never stored by a cache: see `super::no_store`).
pub(super) fn private(mut response: Response) -> Response {
    let headers = response.headers_mut();
    let set = [
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ];
    for (name, value) in set {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}
