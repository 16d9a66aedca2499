//! `GET /metrics`: Prometheus text. Requests are counted by status class as they are
//! answered; notes by state are read from the database at each scrape, so every instance
//! on a shared database reports the same registry.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use super::AppState;
use super::error::ApiError;

/// Requests answered, by status class (1xx … 5xx).
#[derive(Default)]
pub struct Counters {
    by_class: [AtomicU64; 5],
}

impl Counters {
    pub fn record(&self, status: u16) {
        if let Some(counter) = self.by_class.get((status / 100).saturating_sub(1) as usize) {
            counter.fetch_add(1, Ordering::Relaxed);
        }
    }
}

pub async fn metrics(State(state): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    let by_state = state
        .service
        .store()
        .count_by_state()
        .await
        .map_err(crate::service::ServiceError::from)?;
    let mut out = String::from(
        "# HELP notesd_http_requests_total HTTP requests answered by this instance, by status class.\n\
         # TYPE notesd_http_requests_total counter\n",
    );
    for (i, counter) in state.counters.by_class.iter().enumerate() {
        let _ = writeln!(
            out,
            "notesd_http_requests_total{{status=\"{}xx\"}} {}",
            i + 1,
            counter.load(Ordering::Relaxed)
        );
    }
    out.push_str(
        "# HELP notesd_notes Notes in the registry, by state.\n# TYPE notesd_notes gauge\n",
    );
    for state_name in crate::workflow::NoteState::ALL {
        let n = by_state
            .iter()
            .find(|(s, _)| s == state_name.as_str())
            .map_or(0, |(_, n)| *n);
        let _ = writeln!(out, "notesd_notes{{state=\"{state_name}\"}} {n}");
    }
    let by_status = state
        .service
        .store()
        .count_mail_by_status()
        .await
        .map_err(crate::service::ServiceError::from)?;
    out.push_str(
        "# HELP notesd_outbox_messages Emails in the outbox, by status.\n# TYPE notesd_outbox_messages gauge\n",
    );
    for status in crate::store::DeliveryStatus::ALL {
        let n = by_status
            .iter()
            .find(|(s, _)| s == status.as_str())
            .map_or(0, |(_, n)| *n);
        let _ = writeln!(out, "notesd_outbox_messages{{status=\"{status}\"}} {n}");
    }
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out))
}
