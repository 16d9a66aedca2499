//! `/api/notes`: register, list, read and edit notes.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;

use super::AppState;
use super::api::{Audit, AuditView, Deliveries, ErrorBody, NoteList, NoteView, SpecSchema};
use super::error::ApiError;
use super::extract::{Caller, JsonBody, OptionalJsonBody};
use crate::note::Note;
use crate::service::{ListQuery, ServiceError};

/// A note with its version as `ETag`, which `If-Match` on `PUT` names.
fn with_etag(note: &Note) -> impl IntoResponse + use<> {
    (
        [(header::ETAG, format!("\"{}\"", note.version))],
        Json(NoteView::from(note)),
    )
}

/// The versions an `If-Match` header names: `"3"`, `3` or `W/"3"`, several separated by
/// commas; `None` without the header or for `*`, which any version matches. A tag that
/// names no version matches none.
fn if_match(headers: &HeaderMap) -> Option<Vec<i64>> {
    let value = headers.get(header::IF_MATCH)?.to_str().unwrap_or_default();
    if value.trim() == "*" {
        return None;
    }
    Some(
        value
            .split(',')
            .filter_map(|tag| {
                let tag = tag.trim();
                let tag = tag.strip_prefix("W/").unwrap_or(tag);
                let tag = tag
                    .strip_prefix('"')
                    .and_then(|t| t.strip_suffix('"'))
                    .unwrap_or(tag);
                tag.parse().ok()
            })
            .collect(),
    )
}

/// 201 with the new note and its `Location`.
fn created(note: &Note) -> impl IntoResponse + use<> {
    (
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/notes/{}", note.id))],
        Json(NoteView::from(note)),
    )
}

/// The `{id}` of a note in a path.
const ID: &str = "the note's id";

#[utoipa::path(
    post, path = "/api/notes", tag = "notes",
    summary = "Register a note: allocates its number and code counters",
    request_body = SpecSchema,
    responses(
        (status = 201, description = "the note", body = NoteView,
         headers(("Location" = String, description = "the note's URL"))),
        (status = 400, response = ErrorBody), (status = 401, response = ErrorBody),
        (status = 403, response = ErrorBody), (status = 409, response = ErrorBody),
        (status = 413, response = ErrorBody), (status = 422, response = ErrorBody),
    )
)]
pub async fn register(
    State(state): State<AppState>,
    Caller(who): Caller,
    JsonBody(body): JsonBody,
) -> Result<impl IntoResponse, ApiError> {
    let note = state.service.register(&who, body).await?;
    Ok(created(&note))
}

#[utoipa::path(
    get, path = "/api/notes", tag = "notes",
    summary = "List the notes the caller may read (a drafter: of their units), newest first",
    params(
        ("state" = Option<String>, Query, description = "only notes in this state"),
        ("limit" = Option<i64>, Query, description = "notes per page: 1 to 1000, default 100"),
        ("cursor" = Option<String>, Query,
         description = "the `next` of the previous page (with the same state and limit)"),
    ),
    responses(
        (status = 200, description = "one page of summaries", body = NoteList),
        (status = 401, response = ErrorBody), (status = 422, response = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    Caller(who): Caller,
    Query(mut params): Query<HashMap<String, String>>,
) -> Result<Json<NoteList>, ApiError> {
    let query = ListQuery {
        state: params.remove("state"),
        limit: params.remove("limit"),
        cursor: params.remove("cursor"),
    };
    let page = state.service.list(&who, query).await?;
    Ok(Json(NoteList {
        notes: page.notes.iter().map(Into::into).collect(),
        next: page.next,
    }))
}

#[utoipa::path(
    get, path = "/api/notes/{id}", tag = "notes", summary = "One note",
    params(("id" = i64, Path, description = ID)),
    responses(
        (status = 200, description = "the note", body = NoteView,
         headers(("ETag" = String, description = "its version, quoted: `\"3\"`"))),
        (status = 401, response = ErrorBody), (status = 404, response = ErrorBody),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(with_etag(&state.service.readable_note(&who, &id).await?))
}

#[utoipa::path(
    get, path = "/api/notes/{id}/pdf", tag = "notes",
    summary = "The current version as PDF, DRAFT-marked until issued",
    params(("id" = i64, Path, description = ID)),
    responses(
        (status = 200, description = "the PDF", content_type = "application/pdf", body = Vec<u8>),
        (status = 401, response = ErrorBody), (status = 404, response = ErrorBody),
        (status = 422, response = ErrorBody),
    )
)]
pub async fn pdf(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(pdf_response(state.service.pdf(&who, &id).await?))
}

/// A PDF shown inline under its file name (`6762-22.pdf`).
pub fn pdf_response(pdf: crate::service::Pdf) -> axum::response::Response {
    let disposition = format!("inline; filename=\"{}\"", pdf.file_name);
    (
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        pdf.bytes,
    )
        .into_response()
}

#[utoipa::path(
    post, path = "/api/notes/{id}/withdraw", tag = "notes",
    summary = "Withdraw a note before it is issued; its number stays taken",
    params(("id" = i64, Path, description = ID)),
    responses(
        (status = 200, description = "the note, withdrawn", body = NoteView),
        (status = 401, response = ErrorBody), (status = 403, response = ErrorBody),
        (status = 404, response = ErrorBody), (status = 409, response = ErrorBody),
    )
)]
pub async fn withdraw(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> Result<Json<NoteView>, ApiError> {
    Ok(Json((&state.service.withdraw(&who, &id).await?).into()))
}

#[utoipa::path(
    post, path = "/api/notes/{id}/submit", tag = "notes",
    summary = "Start the approval chain; the first step's approvers are mailed their links",
    params(("id" = i64, Path, description = ID)),
    responses(
        (status = 200, description = "the note, in review", body = NoteView),
        (status = 401, response = ErrorBody), (status = 403, response = ErrorBody),
        (status = 404, response = ErrorBody), (status = 409, response = ErrorBody),
        (status = 422, response = ErrorBody),
    )
)]
pub async fn submit(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> Result<Json<NoteView>, ApiError> {
    Ok(Json((&state.service.submit(&who, &id).await?).into()))
}

/// `POST /api/notes/{id}/revise`, with an optional JSON body of fields to change.
#[utoipa::path(
    post, path = "/api/notes/{id}/revise", tag = "notes",
    summary = "Register NNNN/k/YY REV k revising an issued note",
    params(("id" = i64, Path, description = ID)),
    request_body(content = Option<SpecSchema>,
                 description = "the spec fields to change; none to keep them all"),
    responses(
        (status = 201, description = "the revision", body = NoteView,
         headers(("Location" = String, description = "the revision's URL"))),
        (status = 400, response = ErrorBody), (status = 401, response = ErrorBody),
        (status = 403, response = ErrorBody), (status = 404, response = ErrorBody),
        (status = 409, response = ErrorBody), (status = 413, response = ErrorBody),
        (status = 422, response = ErrorBody),
    )
)]
pub async fn revise(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
    OptionalJsonBody(changes): OptionalJsonBody,
) -> Result<impl IntoResponse, ApiError> {
    let note = state.service.revise(&who, &id, changes).await?;
    Ok(created(&note))
}

#[utoipa::path(
    get, path = "/api/notes/{id}/deliveries", tag = "notes",
    summary = "The distribution, per recipient (not approval mail)",
    params(("id" = i64, Path, description = ID)),
    responses(
        (status = 200, description = "per recipient, and counted per status", body = Deliveries),
        (status = 401, response = ErrorBody), (status = 404, response = ErrorBody),
    )
)]
pub async fn deliveries(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> Result<Json<Deliveries>, ApiError> {
    let deliveries = state.service.deliveries(&who, &id).await?;
    Ok(Json(deliveries.as_slice().into()))
}

#[utoipa::path(
    post, path = "/api/notes/{id}/deliveries/{recipient}/retry", tag = "notes",
    summary = "Re-queue a failed delivery (admin)",
    params(
        ("id" = i64, Path, description = ID),
        ("recipient" = String, Path, description = "the recipient's email address"),
    ),
    responses(
        (status = 200, description = "the distribution after the retry", body = Deliveries),
        (status = 401, response = ErrorBody), (status = 403, response = ErrorBody),
        (status = 404, response = ErrorBody), (status = 409, response = ErrorBody),
    )
)]
pub async fn retry_delivery(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path((id, recipient)): Path<(String, String)>,
) -> Result<Json<Deliveries>, ApiError> {
    let deliveries = state.service.retry_delivery(&who, &id, &recipient).await?;
    Ok(Json(deliveries.as_slice().into()))
}

#[utoipa::path(
    get, path = "/api/notes/{id}/audit", tag = "notes",
    summary = "The append-only trail, oldest first",
    params(("id" = i64, Path, description = ID)),
    responses(
        (status = 200, description = "the entries", body = Audit),
        (status = 401, response = ErrorBody), (status = 404, response = ErrorBody),
    )
)]
pub async fn audit(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> Result<Json<Audit>, ApiError> {
    let entries = state.service.audit(&who, &id).await?;
    Ok(Json(Audit {
        audit: entries.iter().map(AuditView::from).collect(),
    }))
}

/// `PUT /api/notes/{id}`; with `If-Match`, 412 unless it names the current version.
#[utoipa::path(
    put, path = "/api/notes/{id}", tag = "notes",
    summary = "Save a new version of the spec (draft or changes_requested only)",
    params(
        ("id" = i64, Path, description = ID),
        ("If-Match" = Option<String>, Header,
         description = "the version the edit starts from (`\"3\"`, `3` or `W/\"3\"`); 412 when the note is at another"),
    ),
    request_body = SpecSchema,
    responses(
        (status = 200, description = "the note", body = NoteView,
         headers(("ETag" = String, description = "its new version, quoted"))),
        (status = 400, response = ErrorBody), (status = 401, response = ErrorBody),
        (status = 403, response = ErrorBody), (status = 404, response = ErrorBody),
        (status = 409, response = ErrorBody), (status = 412, response = ErrorBody),
        (status = 413, response = ErrorBody), (status = 422, response = ErrorBody),
    )
)]
pub async fn edit(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody,
) -> Result<impl IntoResponse, ApiError> {
    let accepted = if_match(&headers);
    match state
        .service
        .edit(&who, &id, body, accepted.as_deref())
        .await
    {
        Ok(note) => Ok(with_etag(&note)),
        Err(ServiceError::Stale(_)) if accepted.is_some() => Err(ApiError::new(
            StatusCode::PRECONDITION_FAILED,
            "stale_version",
            format!(
                "If-Match names a version of note {id} other than its current one: it was \
                 changed meanwhile; reload it (GET gives its version as ETag) and apply \
                 your edit again"
            ),
        )),
        Err(other) => Err(other.into()),
    }
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderMap, HeaderValue, header};

    use super::if_match;

    fn tags(value: &str) -> Option<Vec<i64>> {
        let mut headers = HeaderMap::new();
        headers.insert(header::IF_MATCH, HeaderValue::from_str(value).unwrap());
        if_match(&headers)
    }

    #[test]
    fn if_match_names_versions_quoted_bare_or_weak() {
        assert_eq!(if_match(&HeaderMap::new()), None);
        assert_eq!(tags("*"), None);
        assert_eq!(tags("\"3\""), Some(vec![3]));
        assert_eq!(tags("3"), Some(vec![3]));
        assert_eq!(tags("W/\"3\", \"4\""), Some(vec![3, 4]));
        assert_eq!(
            tags("\"abc\""),
            Some(vec![]),
            "a tag naming no version matches none"
        );
    }
}
