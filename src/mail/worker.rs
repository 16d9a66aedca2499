//! The outbox worker: claims due rows, sends up to `mail.concurrency` at once through the
//! shared transport, records each result, and sends approval reminders when they fall due.
//! One per daemon; several daemons on one PostgreSQL database share the rows.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

use super::Mailer;
use crate::service::{LEASE, Service};
use crate::store::OutboxRow;

/// How often the worker looks for due rows when nothing wakes it (retries falling due,
/// rows queued by another daemon).
const POLL: Duration = Duration::from_millis(500);
/// How often reminders are looked for.
const REMINDER_SCAN: Duration = Duration::from_secs(1);

pub struct Worker {
    service: Service,
    mailer: Arc<Mailer>,
    /// Names this daemon's leases; a new one at each start.
    id: String,
    concurrency: usize,
}

impl Worker {
    pub fn new(service: Service, mailer: Arc<Mailer>, concurrency: usize) -> Self {
        let (id, _) = crate::secret::generate("w-");
        Self {
            service,
            mailer,
            id: id[..14].to_owned(),
            concurrency: concurrency.max(1),
        }
    }

    /// Runs until `stop` turns true, then waits for the sends in flight to end and be
    /// recorded (SIGTERM drains; nothing is left half-done by a clean stop).
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let wake = self.service.mail_queued();
        let permits = Arc::new(Semaphore::new(self.concurrency));
        let mut in_flight = JoinSet::new();
        let mut renew = tokio::time::interval(LEASE.unsigned_abs() / 4);
        let mut remind = tokio::time::interval(REMINDER_SCAN);
        tracing::info!(worker = %self.id, concurrency = self.concurrency, "mail worker started");
        while !*stop.borrow() {
            let free = permits.available_permits();
            let mut claimed = 0;
            // Claim in batches (half the permits at least), not one transaction per send.
            if free > 0 && (free * 2 >= self.concurrency || in_flight.is_empty()) {
                match self.service.claim_mail(&self.id, free).await {
                    Ok(rows) => {
                        claimed = rows.len();
                        for row in rows {
                            let Ok(permit) = permits.clone().try_acquire_owned() else {
                                break;
                            };
                            let (service, mailer) = (self.service.clone(), self.mailer.clone());
                            in_flight.spawn(async move {
                                deliver(&service, &mailer, row).await;
                                drop(permit);
                            });
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "cannot claim mail"),
                }
            }
            if claimed == free && claimed > 0 {
                // Maybe more is due: claim again as soon as a send ends.
                tokio::select! {
                    _ = in_flight.join_next() => {}
                    _ = stop.changed() => {}
                }
                continue;
            }
            tokio::select! {
                _ = wake.notified() => {}
                _ = tokio::time::sleep(POLL) => {}
                Some(_) = in_flight.join_next(), if !in_flight.is_empty() => {}
                _ = renew.tick() => {
                    if !in_flight.is_empty()
                        && let Err(e) = self.service.renew_mail_leases(&self.id).await
                    {
                        tracing::warn!(error = %e, "cannot renew mail leases");
                    }
                }
                _ = remind.tick() => {
                    if let Err(e) = self.service.send_reminders().await {
                        tracing::warn!(error = %e, "cannot queue reminders");
                    }
                }
                _ = stop.changed() => {}
            }
        }
        let draining = in_flight.len();
        if draining > 0 {
            tracing::info!(in_flight = draining, "waiting for mail in flight");
        }
        while in_flight.join_next().await.is_some() {}
        self.mailer.shutdown().await;
        tracing::info!("mail worker stopped");
    }
}

/// Builds, sends and records one row. A failure to build counts as transient: a template
/// fixed or a database back up lets a later try succeed.
async fn deliver(service: &Service, mailer: &Mailer, row: OutboxRow) {
    let transient = |e: &dyn std::fmt::Display| super::SendError {
        permanent: false,
        message: e.to_string(),
    };
    let result = match service
        .letter(&row, mailer.domain(), &mailer.sender_name())
        .await
        .map_err(|e| transient(&e))
        .and_then(|letter| mailer.message(letter).map_err(|e| transient(&e)))
    {
        Ok(message) => mailer.send(&message).await,
        Err(e) => Err(e),
    };
    if let Err(e) = &result {
        tracing::warn!(outbox = row.id, to = %row.recipient, attempt = row.attempts, permanent = e.permanent, error = %e.message, "mail not accepted");
    }
    // The result must land even if the database hiccups: try a few times.
    for attempt in 1..=5 {
        match service.finish_mail(&row, result.clone()).await {
            Ok(finish) => {
                tracing::debug!(outbox = row.id, ?finish, "mail recorded");
                return;
            }
            Err(e) => {
                tracing::warn!(outbox = row.id, attempt, error = %e, "cannot record a mail's result");
                tokio::time::sleep(Duration::from_millis(200 * attempt)).await;
            }
        }
    }
}
