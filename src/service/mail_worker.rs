//! The outbox worker: claims due mails ahead into a local queue, composes, builds and sends
//! up to `mail.concurrency` at once through the shared transport, and records the attempts
//! in batches. One per daemon; several daemons on one PostgreSQL database share the rows.
//!
//! A send holds one of `mail.concurrency` permits from its start until its result is
//! committed, so a daemon killed at any instant leaves at most that many messages sent but
//! unrecorded: the duplicates a restart can cause. Recording is a group commit: while one
//! batch commits the next gathers, and a commit costs the same for one row as for many,
//! which is what lets the outbox keep up with the SMTP server on SQLite's single writer.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

use super::{LEASE, Service, ServiceError};
use crate::mail::Mailer;
use crate::outbox::{Attempt, ClaimedMail, SendOutcome};

/// How often the worker looks for due rows when nothing wakes it (retries falling due,
/// rows queued by another daemon).
const POLL: Duration = Duration::from_millis(500);
/// Rows claimed at once, in sends per permit: enough that claims are rare, few enough
/// that another daemon on the same database still finds work.
const CLAIM_AHEAD: usize = 4;
/// The most results one recording transaction takes.
const MAX_BATCH: usize = 256;
/// Tries at recording a batch before its rows are left to their lease.
const RECORD_TRIES: u64 = 5;

type Claimed = Result<Vec<ClaimedMail>, ServiceError>;
type Claim = JoinHandle<Claimed>;

pub struct MailWorker {
    service: Service,
    mailer: Arc<Mailer>,
    /// Names this daemon's leases; a new one at each start.
    id: String,
    concurrency: usize,
    /// Rows asked for by one claim.
    claim_size: usize,
}

impl MailWorker {
    pub fn new(service: Service, mailer: Arc<Mailer>, concurrency: usize) -> Self {
        let (id, _) = crate::secret::generate("w-");
        Self {
            service,
            mailer,
            id: id[..14].to_owned(),
            concurrency: concurrency.max(1),
            claim_size: concurrency.max(1) * CLAIM_AHEAD,
        }
    }

    /// Runs until `stop` turns true, then waits for the sends in flight to end and be
    /// recorded, and gives back the rows it claimed but did not start (SIGTERM drains;
    /// nothing is left half-done by a clean stop).
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let wake = self.service.mail_queued();
        let permits = Arc::new(Semaphore::new(self.concurrency));
        let (results, outcomes) = mpsc::unbounded_channel();
        let recorder = tokio::spawn(record(self.service.clone(), outcomes));
        let mut queue = VecDeque::new();
        let mut claim: Option<Claim> = None;
        // Whether the last claim may have left due rows behind.
        let mut more = true;
        let mut poll = tokio::time::interval(POLL);
        // Not polled while busy: the first idle moment should claim once, not catch up.
        poll.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut renew = tokio::time::interval(LEASE.unsigned_abs() / 4);
        tracing::info!(worker = %self.id, concurrency = self.concurrency, "mail worker started");
        while !*stop.borrow() {
            if claim.is_none() && more && queue.len() < self.concurrency {
                claim = Some(self.claim());
            }
            tokio::select! {
                permit = permits.clone().acquire_owned(), if !queue.is_empty() => {
                    if let (Ok(permit), Some(mail)) = (permit, queue.pop_front()) {
                        self.start(mail, permit, results.clone());
                    }
                }
                claimed = finished(&mut claim), if claim.is_some() => {
                    claim = None;
                    more = self.take(claimed, &mut queue);
                }
                _ = wake.notified() => more = true,
                _ = poll.tick(), if !more => more = true,
                _ = renew.tick() => {
                    let busy = !queue.is_empty()
                        || permits.available_permits() < self.concurrency;
                    if busy && let Err(e) = self.service.renew_mail_leases(&self.id).await {
                        tracing::warn!(error = %e, "cannot renew mail leases");
                    }
                }
                _ = stop.changed() => {}
            }
        }
        if let Some(claim) = claim {
            self.take(claim.await, &mut queue);
        }
        let in_flight = self.concurrency - permits.available_permits();
        if in_flight > 0 {
            tracing::info!(in_flight, "waiting for mail in flight");
        }
        let all = u32::try_from(self.concurrency).unwrap_or(u32::MAX);
        drop(permits.acquire_many(all).await);
        drop(results);
        if recorder.await.is_err() {
            tracing::error!("the mail recorder panicked");
        }
        if !queue.is_empty() {
            match self.service.release_mail(&self.id).await {
                Ok(n) => tracing::info!(released = n, "unsent mail given back"),
                Err(e) => tracing::warn!(error = %e, "cannot give back unsent mail"),
            }
        }
        self.mailer.shutdown().await;
        tracing::info!("mail worker stopped");
    }

    fn claim(&self) -> Claim {
        let (service, id) = (self.service.clone(), self.id.clone());
        let limit = self.claim_size;
        tokio::spawn(async move { service.claim_mail(&id, limit).await })
    }

    /// Queues what a claim returned; whether it may have left due rows behind.
    fn take(
        &self,
        claimed: Result<Claimed, tokio::task::JoinError>,
        queue: &mut VecDeque<ClaimedMail>,
    ) -> bool {
        match claimed {
            Ok(Ok(rows)) => {
                let full = rows.len() == self.claim_size;
                queue.extend(rows);
                full
            }
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "cannot claim mail");
                false
            }
            Err(e) => {
                tracing::error!(error = %e, "claiming mail panicked");
                false
            }
        }
    }

    /// Sends one mail in its own task and hands the attempt, with the permit, to the
    /// recorder.
    fn start(
        &self,
        mail: ClaimedMail,
        permit: OwnedSemaphorePermit,
        results: mpsc::UnboundedSender<(Attempt, OwnedSemaphorePermit)>,
    ) {
        let (service, mailer) = (self.service.clone(), self.mailer.clone());
        tokio::spawn(async move {
            let started = std::time::Instant::now();
            let outcome = send(&service, &mailer, &mail).await;
            service.metrics().send_ended(started.elapsed());
            if outcome != SendOutcome::Sent {
                tracing::warn!(outbox = mail.id, to = %mail.recipient, attempt = mail.attempts, ?outcome, "mail not accepted");
            }
            // Closed only once every permit is back, which this one is not.
            let _ = results.send((service.attempt(mail, outcome), permit));
        });
    }
}

/// The claim under way once it has ended; never, when there is none.
async fn finished(claim: &mut Option<Claim>) -> Result<Claimed, tokio::task::JoinError> {
    match claim {
        Some(handle) => handle.await,
        None => std::future::pending().await,
    }
}

/// Composes, builds and sends one mail. A letter that cannot be composed (the database
/// down) may be next time; one that cannot be built is as `MailError::outcome` says.
async fn send(service: &Service, mailer: &Mailer, mail: &ClaimedMail) -> SendOutcome {
    let letter = match service
        .letter(mail, mailer.domain(), &mailer.sender_name())
        .await
    {
        Ok(letter) => letter,
        // Its link no longer opens: never worth sending.
        Err(ServiceError::Link(refusal)) => {
            return SendOutcome::Unbuildable(format!("not sent, its link is closed: {refusal}"));
        }
        Err(e) => return SendOutcome::Transient(e.to_string()),
    };
    match mailer.message(letter) {
        Ok(message) => mailer.send(&message).await,
        Err(e) => e.outcome(),
    }
}

/// Records results as they come, everything waiting in one transaction, and only then
/// frees their permits. The results must land even if the database hiccups, so a batch is
/// tried a few times; one that never lands is left to its lease and sent again later.
async fn record(
    service: Service,
    mut outcomes: mpsc::UnboundedReceiver<(Attempt, OwnedSemaphorePermit)>,
) {
    let mut batch = Vec::new();
    while outcomes.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let (attempts, permits): (Vec<Attempt>, Vec<OwnedSemaphorePermit>) =
            batch.drain(..).unzip();
        for attempt in 1..=RECORD_TRIES {
            match service.record_attempts(&attempts).await {
                Ok(nexts) => {
                    tracing::debug!(rows = attempts.len(), ?nexts, "mail recorded");
                    break;
                }
                Err(e) => {
                    tracing::warn!(rows = attempts.len(), attempt, error = %e, "cannot record mail results");
                    tokio::time::sleep(Duration::from_millis(200 * attempt)).await;
                }
            }
        }
        drop(permits);
    }
}
