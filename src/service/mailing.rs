//! The outbox's side of the use cases: claiming rows for the mail worker, filling in what
//! only exists at send time (links, attachments), and recording how each try ended.

use jiff::SignedDuration;
use serde_json::Value;

use super::review::signed;
use super::{Service, ServiceError};
use crate::mail::{Attachment, Letter, SendError, backoff};
use crate::store::{AuditEntry, Finish, MailKind, OutboxRow};
use crate::workflow::{Event, NoteState, transition};

/// How long a claimed row stays with its worker without news; the worker renews it while
/// the send is in flight, so only a dead daemon's rows come back, this long after it died.
pub const LEASE: SignedDuration = SignedDuration::from_secs(20);

impl Service {
    /// Claims up to `limit` due rows for `worker`.
    pub async fn claim_mail(
        &self,
        worker: &str,
        limit: usize,
    ) -> Result<Vec<OutboxRow>, ServiceError> {
        let now = self.clock.now();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        Ok(self
            .store
            .claim_mail(worker, now, now + LEASE, limit)
            .await?)
    }

    pub async fn renew_mail_leases(&self, worker: &str) -> Result<(), ServiceError> {
        Ok(self
            .store
            .renew_leases(worker, self.clock.now() + LEASE)
            .await?)
    }

    /// The email for a row: its template context completed with the link and the sender,
    /// and the PDF it carries (the version's draft for approvers, the issued bytes for
    /// delegations).
    pub async fn letter(
        &self,
        row: &OutboxRow,
        domain: &str,
        sender: &str,
    ) -> Result<Letter, ServiceError> {
        let mut context = row.context.clone();
        let base = self.workflow.public_url.trim_end_matches('/');
        let link = match (row.kind, &row.secret) {
            (MailKind::Approval | MailKind::Reminder, Some(s)) => {
                Some(format!("{base}/approve/{s}"))
            }
            (MailKind::Delivery, Some(s)) => Some(format!("{base}/download/{s}")),
            _ => None,
        };
        let attachment = match row.kind {
            MailKind::Approval | MailKind::Reminder => {
                let note = self
                    .store
                    .note(row.note_id)
                    .await?
                    .ok_or_else(|| ServiceError::NotFound(row.note_id.to_string()))?;
                let version = context
                    .get("version")
                    .and_then(Value::as_i64)
                    .unwrap_or(note.version);
                Some(self.draft_pdf(&note, version).await?.into())
            }
            // The issued bytes, cached: no read of the note for each of hundreds of rows.
            MailKind::Delivery if link.is_none() => {
                let file_name = context
                    .get("file_name")
                    .and_then(Value::as_str)
                    .unwrap_or("note.pdf")
                    .to_owned();
                Some(self.issued_pdf(row.note_id, file_name).await?.into())
            }
            MailKind::Delivery | MailKind::ChangesRequested => None,
        };
        if let Some(fields) = context.as_object_mut() {
            fields.insert("link".to_owned(), link.into());
            fields.insert("sender".to_owned(), sender.into());
        }
        Ok(Letter {
            kind: row.kind,
            to: row.recipient.clone(),
            to_name: row.recipient_name.clone(),
            context,
            attachment,
            message_id: format!("<notesd.{}.{}@{domain}>", row.note_id, row.id),
        })
    }

    /// Records how a try ended: sent; deferred with backoff (a transient failure, until
    /// `mail.give_up_after`); or failed. A note whose last delivery ended is distributed.
    pub async fn finish_mail(
        &self,
        row: &OutboxRow,
        result: Result<(), SendError>,
    ) -> Result<Finish, ServiceError> {
        let now = self.clock.now();
        let finish = match result {
            Ok(()) => Finish::Sent { at: now },
            Err(e) if e.permanent => Finish::Failed { error: e.message },
            Err(e) if now >= row.created + signed(self.workflow.give_up_after) => Finish::Failed {
                error: format!("gave up after {} tries: {}", row.attempts, e.message),
            },
            Err(e) => {
                let delay = backoff(
                    self.workflow.retry_initial,
                    self.workflow.retry_max,
                    row.attempts,
                    rand::random::<f64>(),
                );
                Finish::Deferred {
                    next: now + signed(delay),
                    error: e.message,
                }
            }
        };
        let mut tx = self.store.begin().await?;
        if row.kind == MailKind::Delivery {
            // Finishes of one note's deliveries take turns, so that whichever is last sees
            // every other one done (on PostgreSQL two daemons may finish at once).
            tx.lock_note(row.note_id).await?;
        }
        tx.finish_mail(row.id, &finish).await?;
        match (&finish, row.kind) {
            (Finish::Deferred { .. }, _) => {}
            (_, MailKind::Delivery) => {
                let tally = tx.delivery_tally(row.note_id).await?;
                if tally.open == 0
                    && let Some(mut note) = tx.lock_note(row.note_id).await?
                    && note.state == NoteState::Issued
                {
                    note.state = transition(note.state, Event::Distribute)?;
                    note.updated_at = now;
                    tx.save_note(&note).await?;
                    let mut entry =
                        AuditEntry::new(now, "notesd", "distributed", Some(note.version));
                    entry.detail = Some(format!("{} sent, {} failed", tally.sent, tally.failed));
                    tx.audit(note.id, &entry).await?;
                    tracing::info!(number = %note.number, sent = tally.sent, failed = tally.failed, "distributed");
                }
            }
            (Finish::Sent { .. } | Finish::Failed { .. }, kind) => {
                let action = if matches!(finish, Finish::Sent { .. }) {
                    "mailed"
                } else {
                    "mail failed"
                };
                let mut entry = AuditEntry::new(now, "notesd", action, None);
                entry.detail = Some(match &finish {
                    Finish::Failed { error } => format!("{kind} to {}: {error}", row.recipient),
                    _ => format!("{kind} to {}", row.recipient),
                });
                tx.audit(row.note_id, &entry).await?;
            }
        }
        tx.commit().await?;
        Ok(finish)
    }
}

impl From<super::Pdf> for Attachment {
    fn from(pdf: super::Pdf) -> Self {
        Self {
            file_name: pdf.file_name,
            bytes: pdf.bytes,
        }
    }
}
