//! The desk's note pages: the list, the form (new, from a template, or an edit) and its
//! live preview, the note page and its actions. Each handler calls the use case the API
//! calls, as the signed-in person, and decides only what HTTP answers.

use std::collections::BTreeMap;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::super::AppState;
use super::session::{SignedIn, Visitor};
use super::views::{self, FormView, Posted, field, form_field, spec_of_form};
use super::{Ctx, csrf_refused, error_page, page};
use crate::service::{DeskQuery, ServiceError};

/// `/`: the person's notes, or the sign-in page.
pub async fn home(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(query): Query<DeskQuery>,
) -> Response {
    match visitor.session {
        Some((session, secret)) => {
            let signed_in = SignedIn {
                ctx: visitor.ctx,
                session,
                secret,
            };
            list(State(state), signed_in, Query(query)).await
        }
        None => Redirect::to("/signin").into_response(),
    }
}

pub async fn list(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(query): Query<DeskQuery>,
) -> Response {
    let ctx = &signed_in.ctx;
    let title = ctx.t("notes");
    match state
        .service
        .desk_list(&signed_in.session.principal, &query)
        .await
    {
        Ok(found) => page(
            &state,
            ctx,
            StatusCode::OK,
            "desk/list",
            &title,
            views::list(ctx, &query, &found),
        ),
        Err(ServiceError::Invalid(problem)) => {
            let empty = crate::service::DeskPage {
                notes: Vec::new(),
                next: None,
            };
            let mut view = views::list(ctx, &query, &empty);
            view["error"] = format!("{}: {}", problem.field, problem.message).into();
            page(
                &state,
                ctx,
                StatusCode::UNPROCESSABLE_ENTITY,
                "desk/list",
                &title,
                view,
            )
        }
        Err(e) => error_page(&state, ctx, e),
    }
}

#[derive(Deserialize)]
pub struct NewQuery {
    template: Option<String>,
}

pub async fn new_form(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(query): Query<NewQuery>,
) -> Response {
    let principal = &signed_in.session.principal;
    let template = query
        .template
        .filter(|t| state.service.choices().templates.contains(t));
    let mut spec = json!({
        "kind": template.as_deref().filter(|t| *t == "i-a-item-note").unwrap_or("note"),
        "language": signed_in.ctx.lang.code(),
        "from": "Presidency",
        "to": "Delegations",
        "unit": principal.units.first().cloned().unwrap_or_default(),
        "distribution": ["delegations"],
    });
    if let Some(template) = template {
        spec["template"] = template.into();
    }
    let heading = signed_in.ctx.t("new_note");
    form(&state, &signed_in.ctx, Shown::new(&spec, None, &heading))
}

pub async fn edit_form(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Response {
    let ctx = &signed_in.ctx;
    match state
        .service
        .readable_note(&signed_in.session.principal, &id)
        .await
    {
        Ok(note) => {
            let heading = format!("{} {}", ctx.t("edit"), note.number);
            let editing = Some((note.id, note.version));
            let spec = note.spec.to_json();
            form(&state, ctx, Shown::new(&spec, editing, &heading))
        }
        Err(e) => error_page(&state, ctx, e),
    }
}

/// A note form to show: its values, the note it edits with the version, and what is wrong.
struct Shown<'a> {
    spec: &'a Value,
    editing: Option<(i64, i64)>,
    heading: &'a str,
    /// What is wrong by form field, and all of it said once above the form.
    errors: BTreeMap<String, String>,
    error: Option<String>,
}

impl<'a> Shown<'a> {
    fn new(spec: &'a Value, editing: Option<(i64, i64)>, heading: &'a str) -> Self {
        Self {
            spec,
            editing,
            heading,
            errors: BTreeMap::new(),
            error: None,
        }
    }
}

/// The form filled with its values, errors beside their fields (then answered 422).
fn form(state: &AppState, ctx: &Ctx, shown: Shown<'_>) -> Response {
    let Shown {
        spec,
        editing,
        heading,
        errors,
        error,
    } = shown;
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let template_fields = spec
        .get("template")
        .and_then(Value::as_str)
        .map(|t| state.service.template_fields(t))
        .unwrap_or_default();
    let choices = state.service.choices();
    let view = FormView {
        ctx,
        spec,
        choices: &choices,
        template_fields: &template_fields,
        errors: &errors,
        editing,
    };
    page(
        state,
        ctx,
        status,
        "desk/form",
        heading,
        view.to_json(heading, error),
    )
}

/// `POST /notes`: registers the note, or shows the form again with what is wrong.
pub async fn register(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Form(posted): Form<Posted>,
) -> Response {
    if !signed_in.sent_csrf(field(&posted, "csrf")) {
        return csrf_refused(&state, &signed_in.ctx);
    }
    let spec = spec_of_form(&posted);
    match state
        .service
        .register(&signed_in.session.principal, spec.clone())
        .await
    {
        Ok(note) => Redirect::to(&format!("/notes/{}", note.id)).into_response(),
        Err(e) => {
            let heading = signed_in.ctx.t("new_note");
            refused_form(&state, &signed_in.ctx, &spec, None, &heading, e)
        }
    }
}

/// `POST /notes/{id}`: saves a new version from the form.
pub async fn save(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    Form(posted): Form<Posted>,
) -> Response {
    if !signed_in.sent_csrf(field(&posted, "csrf")) {
        return csrf_refused(&state, &signed_in.ctx);
    }
    let spec = spec_of_form(&posted);
    let version: Option<i64> = field(&posted, "version").and_then(|v| v.parse().ok());
    let accepted: Option<Vec<i64>> = version.map(|v| vec![v]);
    match state
        .service
        .edit(
            &signed_in.session.principal,
            &id,
            spec.clone(),
            accepted.as_deref(),
        )
        .await
    {
        Ok(note) => Redirect::to(&format!("/notes/{}", note.id)).into_response(),
        Err(
            e @ (ServiceError::Invalid(_)
            | ServiceError::Forbidden(_)
            | ServiceError::Stale(_)
            | ServiceError::Render(_)),
        ) => {
            let editing = id.parse().ok().map(|id| (id, version.unwrap_or_default()));
            let heading = signed_in.ctx.t("edit");
            refused_form(&state, &signed_in.ctx, &spec, editing, &heading, e)
        }
        Err(e) => error_page(&state, &signed_in.ctx, e),
    }
}

/// The form again, the input kept: a registry error beside the field it names, any
/// other refusal above the form.
fn refused_form(
    state: &AppState,
    ctx: &Ctx,
    spec: &Value,
    editing: Option<(i64, i64)>,
    heading: &str,
    error: ServiceError,
) -> Response {
    let mut shown = Shown::new(spec, editing, heading);
    let errors = &mut shown.errors;
    let summary = match &error {
        ServiceError::Invalid(problem) => {
            errors.insert(form_field(&problem.field), problem.message.clone());
            format!("{}: {}", problem.field, problem.message)
        }
        ServiceError::Forbidden(message) => {
            errors.insert("unit".to_owned(), message.clone());
            message.clone()
        }
        ServiceError::Stale(_) | ServiceError::Render(_) => error.to_string(),
        _ => return error_page(state, ctx, error),
    };
    shown.error = Some(summary);
    form(state, ctx, shown)
}

#[derive(Deserialize)]
pub struct Compare {
    from: Option<i64>,
    to: Option<i64>,
}

/// The note page; `?from=&to=` chooses the versions compared (the last two by default).
pub async fn note(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    Query(compare): Query<Compare>,
) -> Response {
    let ctx = &signed_in.ctx;
    match state.service.sheet(&signed_in.session.principal, &id).await {
        Ok(sheet) => {
            let last = sheet.note.version;
            let pair = (
                compare.from.unwrap_or((last - 1).max(1)),
                compare.to.unwrap_or(last),
            );
            let title = sheet.note.number.to_string();
            page(
                &state,
                ctx,
                StatusCode::OK,
                "desk/note",
                &title,
                views::sheet(ctx, &sheet, Some(pair)),
            )
        }
        Err(e) => error_page(&state, ctx, e),
    }
}

/// The PDF: the issued bytes once issued, else the current draft.
pub async fn pdf(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Response {
    match state.service.pdf(&signed_in.session.principal, &id).await {
        Ok(pdf) => super::super::approve::private(super::super::notes::pdf_response(pdf)),
        Err(e) => error_page(&state, &signed_in.ctx, e),
    }
}

#[derive(Deserialize)]
pub struct Action {
    csrf: Option<String>,
}

/// What the note page's buttons do.
enum Act {
    Submit,
    Withdraw,
    /// Registers the revision, whose page opens.
    Revise,
    Retry(String),
}

/// Does `act` on note `id` if the form carries the session's CSRF value; then the page
/// of the note acted on, or why the action was refused.
async fn act(
    state: &AppState,
    signed_in: &SignedIn,
    id: &str,
    csrf: Option<&str>,
    act: Act,
) -> Response {
    if !signed_in.sent_csrf(csrf) {
        return csrf_refused(state, &signed_in.ctx);
    }
    let (service, who) = (&state.service, &signed_in.session.principal);
    let done = match act {
        Act::Submit => service.submit(who, id).await.map(|n| n.id),
        Act::Withdraw => service.withdraw(who, id).await.map(|n| n.id),
        Act::Revise => service.revise(who, id, None).await.map(|n| n.id),
        Act::Retry(recipient) => service
            .retry_delivery(who, id, &recipient)
            .await
            .map(|_| id.parse().unwrap_or_default()),
    };
    match done {
        Ok(id) => Redirect::to(&format!("/notes/{id}")).into_response(),
        Err(e) => error_page(state, &signed_in.ctx, e),
    }
}

/// `POST /notes/{id}/submit`, `/withdraw` and `/revise`.
pub async fn act_on(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path((id, action)): Path<(String, String)>,
    Form(posted): Form<Action>,
) -> Response {
    let chosen = match action.as_str() {
        "submit" => Act::Submit,
        "withdraw" => Act::Withdraw,
        "revise" => Act::Revise,
        _ => {
            let heading = signed_in.ctx.t("not_found");
            return page(
                &state,
                &signed_in.ctx,
                StatusCode::NOT_FOUND,
                "desk/message",
                &heading,
                json!({ "heading": heading, "message": format!("no action `{action}`") }),
            );
        }
    };
    act(&state, &signed_in, &id, posted.csrf.as_deref(), chosen).await
}

pub async fn retry(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path((id, recipient)): Path<(String, String)>,
    Form(action): Form<Action>,
) -> Response {
    act(
        &state,
        &signed_in,
        &id,
        action.csrf.as_deref(),
        Act::Retry(recipient),
    )
    .await
}

/// `POST /preview`: the form's note as SVG pages, or 422 and why it cannot be laid out.
pub async fn preview(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Form(posted): Form<Posted>,
) -> Response {
    if !signed_in.sent_csrf(field(&posted, "csrf")) {
        return csrf_refused(&state, &signed_in.ctx);
    }
    let editing = field(&posted, "editing").filter(|e| !e.is_empty());
    let spec = spec_of_form(&posted);
    let pages = state
        .service
        .preview(&signed_in.session.principal, editing, spec)
        .await;
    let mut response = match pages {
        Ok(pages) => (StatusCode::OK, Html(pages.concat())).into_response(),
        Err(ServiceError::Invalid(problem)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("{}: {}", problem.field, problem.message),
        )
            .into_response(),
        Err(e @ ServiceError::Render(_)) => {
            (StatusCode::UNPROCESSABLE_ENTITY, e.to_string()).into_response()
        }
        Err(e) => return error_page(&state, &signed_in.ctx, e),
    };
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
    );
    super::super::approve::private(response)
}
