//! `GET /metrics`: OpenMetrics text of what this process measured (see
//! [`crate::metrics`]) and of what the database holds, counted by the service at each
//! scrape, so every instance on a shared database reports the same registry.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use super::AppState;
use super::error::ApiError;
use crate::service::ServiceError;

pub async fn metrics(State(state): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    let tallies = state.service.tallies().await?;
    let text = state
        .service
        .metrics()
        .encode(&tallies)
        .map_err(|e| ServiceError::Internal(format!("the metrics cannot be encoded: {e}")))?;
    Ok(([(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)], text))
}
