//! The outbox's side of the use cases: claiming mails for the mail worker, composing each
//! into a `Letter` with what only exists at send time (links, attachments), and recording
//! what `outbox::next` makes of each attempt.
//!
//! Link secrets: a row keeps its link's secret only while it is queued or deferred; the
//! statement that records it sent or failed also erases it. A delivery whose PDF is too
//! large to attach and that has no secret (re-queued after it failed) gets a new download
//! link at send time, minted here and never written to the outbox. The secret is not
//! encrypted with a per-daemon key instead: rows queued before a restart, or claimed by
//! another daemon on the same PostgreSQL database, could then never be sent, and a key kept
//! in the database would protect nothing.
//!
//! Times computed from configured durations saturate instead of overflowing: `check`
//! bounds every duration, but the worker must not panic on a value that got past it.

use jiff::{SignedDuration, Timestamp};
use serde_json::Value;

use super::{Missing, Service, ServiceError};
use crate::clock::{brussels_time, later};
use crate::link;
use crate::mail::{Attachment, Letter};
use crate::note::NoteId;
use crate::outbox::{Attempt, ClaimedMail, MailKind, Next, SendOutcome, next};
use crate::store::AuditEntry;
use crate::workflow::{Event, NoteState, transition};

/// How long a claimed row stays with its worker without news; the worker renews it while
/// the send is in flight, so only a dead daemon's rows come back, this long after it died.
pub const LEASE: SignedDuration = SignedDuration::from_secs(20);

impl Service {
    /// Claims up to `limit` due mails for `worker`.
    pub async fn claim_mail(
        &self,
        worker: &str,
        limit: usize,
    ) -> Result<Vec<ClaimedMail>, ServiceError> {
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

    /// The letter for a claimed mail: its template context completed with the link and the
    /// sender, and the PDF it carries (the version's draft for approvers, the issued bytes
    /// for delegations).
    pub async fn letter(
        &self,
        row: &ClaimedMail,
        domain: &str,
        sender: &str,
    ) -> Result<Letter, ServiceError> {
        let mut context = row.context.clone();
        let base = self.workflow.public_url.trim_end_matches('/');
        let mut link = match (row.kind, &row.secret) {
            (MailKind::Approval | MailKind::Reminder, Some(s)) => {
                Some(format!("{base}/approve/{s}"))
            }
            (MailKind::Delivery, Some(s)) => Some(format!("{base}/download/{s}")),
            (MailKind::SignIn, Some(s)) => Some(format!("{base}/signin/{s}")),
            _ => None,
        };
        let about = || {
            row.note_id
                .ok_or_else(|| Missing::Note(format!("of mail {}", row.id)))
        };
        let attachment = match row.kind {
            MailKind::Approval | MailKind::Reminder => {
                let id = about()?;
                let note = self
                    .store
                    .note(id)
                    .await?
                    .ok_or_else(|| Missing::Note(id.to_string()))?;
                // A link closed since the row was queued (the note withdrawn, the step
                // decided by another approver) is not mailed: it would open a dead page.
                if let Some(secret) = &row.secret {
                    link::check(&self.token(secret).await?, &note, self.clock.now())?;
                }
                let version = context
                    .get("version")
                    .and_then(Value::as_i64)
                    .unwrap_or(note.version);
                Some(self.draft_pdf(&note, version).await?.into())
            }
            // The issued bytes, cached: no read of the note for each of hundreds of rows.
            MailKind::Delivery if link.is_none() => {
                let id = about()?;
                let bytes = self.issued_bytes(id).await?;
                if bytes.len() as u64 > self.workflow.max_attachment {
                    let (secret, expires) = self.mint_download(id).await?;
                    link = Some(format!("{base}/download/{secret}"));
                    if let Some(fields) = context.as_object_mut() {
                        fields.insert("link_expires".to_owned(), brussels_time(expires).into());
                    }
                    None
                } else {
                    let file_name = context
                        .get("file_name")
                        .and_then(Value::as_str)
                        .unwrap_or("note.pdf")
                        .to_owned();
                    Some(Attachment { file_name, bytes })
                }
            }
            MailKind::Delivery | MailKind::ChangesRequested | MailKind::SignIn => None,
        };
        if let Some(fields) = context.as_object_mut() {
            fields.insert("link".to_owned(), link.into());
            fields.insert("sender".to_owned(), sender.into());
            // Where a delegation checks a PDF against the SHA-256 the delivery states.
            fields.insert("verify_url".to_owned(), format!("{base}/verify").into());
        }
        Ok(Letter {
            kind: row.kind,
            to: row.recipient.clone(),
            to_name: row.recipient_name.clone(),
            context,
            attachment,
            message_id: match row.note_id {
                Some(note) => format!("<notesd.{note}.{}@{domain}>", row.id),
                None => format!("<notesd.{}.{}@{domain}>", row.kind, row.id),
            },
        })
    }

    /// A new download link to a note's issued PDF, valid for `mail.download_ttl`; only its
    /// hash is stored.
    async fn mint_download(&self, note: NoteId) -> Result<(String, Timestamp), ServiceError> {
        let (secret, hash) = crate::secret::generate("");
        let expires = later(self.clock.now(), self.workflow.download_ttl.unsigned_abs());
        let mut tx = self.store.begin().await?;
        tx.insert_download(note, &hash, expires).await?;
        tx.commit().await?;
        Ok((secret, expires))
    }

    /// Stamps the end of a send with the service's clock.
    pub fn attempt(&self, mail: ClaimedMail, outcome: SendOutcome) -> Attempt {
        Attempt {
            mail,
            outcome,
            ended: self.clock.now(),
        }
    }

    /// Gives back the rows `worker` claimed but never started, at a clean stop.
    pub async fn release_mail(&self, worker: &str) -> Result<u64, ServiceError> {
        Ok(self.store.release_claims(worker, self.clock.now()).await?)
    }

    /// Records a batch of attempts, in one transaction, as `outbox::next` decides: sent;
    /// deferred with backoff (a transient failure, until `mail.give_up_after`); or failed.
    /// A note whose last delivery ended is distributed. One commit for many rows is what
    /// lets the outbox keep up with the SMTP server on SQLite's single writer.
    pub async fn record_attempts(&self, attempts: &[Attempt]) -> Result<Vec<Next>, ServiceError> {
        let now = self.clock.now();
        let nexts: Vec<Next> = attempts
            .iter()
            .map(|a| next(a, &self.workflow.retry, rand::random::<f64>()))
            .collect();
        // The notes whose distribution may have ended, each once and in id order, so that
        // two daemons finishing rows of the same notes never wait on each other in a cycle.
        let mut ended: Vec<NoteId> = attempts
            .iter()
            .zip(&nexts)
            .filter(|(a, next)| a.mail.kind == MailKind::Delivery && next.settles())
            .filter_map(|(a, _)| a.mail.note_id)
            .collect();
        ended.sort_unstable();
        ended.dedup();
        let mut tx = self.store.begin().await?;
        // Finishes of one note's deliveries take turns, so that whichever is last sees every
        // other one done (on PostgreSQL two daemons may finish at once).
        for &note in &ended {
            tx.lock_note_unread(note).await?;
        }
        let settled: Vec<(i64, &Next)> = attempts.iter().map(|a| a.mail.id).zip(&nexts).collect();
        tx.settle_mails(&settled).await?;
        for (Attempt { mail, .. }, next) in attempts.iter().zip(&nexts) {
            // A mail about a note is audited with it; a sign-in mail is about no note.
            let Some(note) = mail.note_id.filter(|_| mail.kind != MailKind::Delivery) else {
                continue;
            };
            let (action, detail) = match next {
                Next::Failed { error } => (
                    "mail failed",
                    format!("{} to {}: {error}", mail.kind, mail.recipient),
                ),
                Next::Sent { .. } => ("mailed", format!("{} to {}", mail.kind, mail.recipient)),
                Next::Deferred { .. } | Next::Unchanged => continue,
            };
            let mut entry = AuditEntry::new(now, "notesd", action, None);
            entry.detail = Some(detail);
            tx.audit(note, &entry).await?;
        }
        for note in ended {
            if tx.deliveries_open(note).await? {
                continue;
            }
            if let Some(mut note) = tx.lock_note(note).await?
                && note.state == NoteState::Issued
            {
                let tally = tx.delivery_tally(note.id).await?;
                note.state = transition(note.state, Event::Distribute)?;
                note.updated_at = now;
                tx.save_note(&note).await?;
                let mut entry = AuditEntry::new(now, "notesd", "distributed", Some(note.version));
                entry.detail = Some(format!("{} sent, {} failed", tally.sent, tally.failed));
                tx.audit(note.id, &entry).await?;
                tracing::info!(number = %note.number, sent = tally.sent, failed = tally.failed, "distributed");
            }
        }
        tx.commit().await?;
        // Counted once committed: a batch tried again is not counted twice.
        nexts.iter().for_each(|n| self.metrics.mail_finished(n));
        self.mail_recorded
            .send_modify(|n| *n += attempts.len() as u64);
        Ok(nexts)
    }
}

impl From<super::Pdf> for Attachment {
    fn from(pdf: super::Pdf) -> Self {
        Self {
            file_name: pdf.file_name,
            bytes: std::sync::Arc::new(pdf.bytes),
        }
    }
}
