//! `/api/notes`: register, list, read and edit notes.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use serde_json::{Value, json};

use super::AppState;
use super::error::ApiError;
use super::extract::{Caller, JsonBody, OptionalJsonBody};
use crate::note::Note;
use crate::service::{ListQuery, ServiceError};
use crate::store::{Delivery, DeliveryStatus};

/// A note as the API shows it (INTERFACE.md).
fn view(note: &Note) -> Value {
    json!({
        "id": note.id,
        "number": note.number.to_string(),
        "register_id": note.number.register_id(),
        "codes": note.codes.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "state": note.state.as_str(),
        "version": note.version,
        "spec": note.spec,
        "steps": note.review.as_ref().map(|r| json!(r.steps)).unwrap_or_else(|| json!([])),
        "review_round": note.review.as_ref().map(|r| r.round),
        "previous": note.previous,
        "created_by": note.created_by,
        "created_at": note.created_at.to_string(),
        "updated_at": note.updated_at.to_string(),
    })
}

/// A note as the list shows it: what tells notes apart, without the spec (the note's
/// own GET gives it).
fn summary(note: &Note) -> Value {
    json!({
        "id": note.id,
        "number": note.number.to_string(),
        "codes": note.codes.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "state": note.state.as_str(),
        "version": note.version,
        "subject": note.subject(),
        "unit": note.spec.get("unit"),
        "created_at": note.created_at.to_string(),
        "updated_at": note.updated_at.to_string(),
    })
}

/// A note with its version as `ETag`, which `If-Match` on `PUT` names.
fn with_etag(note: &Note) -> impl IntoResponse + use<> {
    (
        [(header::ETAG, format!("\"{}\"", note.version))],
        Json(view(note)),
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
        Json(view(note)),
    )
}

pub async fn register(
    State(state): State<AppState>,
    Caller(who): Caller,
    JsonBody(body): JsonBody,
) -> Result<impl IntoResponse, ApiError> {
    let note = state.service.register(&who, body).await?;
    Ok(created(&note))
}

pub async fn list(
    State(state): State<AppState>,
    Caller(who): Caller,
    Query(mut params): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let query = ListQuery {
        state: params.remove("state"),
        limit: params.remove("limit"),
        cursor: params.remove("cursor"),
    };
    let page = state.service.list(&who, query).await?;
    Ok(Json(json!({
        "notes": page.notes.iter().map(summary).collect::<Vec<_>>(),
        "next": page.next,
    })))
}

pub async fn get(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(with_etag(&state.service.readable_note(&who, &id).await?))
}

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

pub async fn withdraw(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(view(&state.service.withdraw(&who, &id).await?)))
}

pub async fn submit(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(view(&state.service.submit(&who, &id).await?)))
}

/// `POST /api/notes/{id}/revise`, with an optional JSON body of fields to change.
pub async fn revise(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
    OptionalJsonBody(changes): OptionalJsonBody,
) -> Result<impl IntoResponse, ApiError> {
    let note = state.service.revise(&who, &id, changes).await?;
    Ok(created(&note))
}

pub async fn deliveries(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(deliveries_view(
        &state.service.deliveries(&who, &id).await?,
    )))
}

pub async fn retry_delivery(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path((id, recipient)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let deliveries = state.service.retry_delivery(&who, &id, &recipient).await?;
    Ok(Json(deliveries_view(&deliveries)))
}

/// `{"deliveries": [...], "summary": {...}}`: per recipient, and counted per status.
fn deliveries_view(deliveries: &[Delivery]) -> Value {
    let mut summary = serde_json::Map::new();
    for status in DeliveryStatus::ALL {
        let n = deliveries.iter().filter(|d| d.status == *status).count();
        summary.insert(status.as_str().to_owned(), n.into());
    }
    summary.insert("total".to_owned(), deliveries.len().into());
    json!({
        "deliveries": deliveries.iter().map(|d| json!({
            "recipient": d.recipient,
            "list": d.list,
            "status": d.status.as_str(),
            "attempts": d.attempts,
            "last_error": d.last_error,
            "sent_at": d.sent_at.map(|t| t.to_string()),
        })).collect::<Vec<_>>(),
        "summary": summary,
    })
}

pub async fn audit(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let entries = state.service.audit(&who, &id).await?;
    let entries: Vec<Value> = entries
        .iter()
        .map(|e| {
            json!({
                "at": e.at.to_string(),
                "actor": e.actor,
                "actor_id": e.actor_id,
                "action": e.action,
                "version": e.version,
                "detail": e.detail,
                "client": e.client,
                "user_agent": e.user_agent,
            })
        })
        .collect();
    Ok(Json(json!({ "audit": entries })))
}

/// `PUT /api/notes/{id}`; with `If-Match`, 412 unless it names the current version.
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
