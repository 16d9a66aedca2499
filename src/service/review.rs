//! The approval chain: submitting a note, decisions and reminders (what a link opens
//! without deciding is in `approval_links.rs`, whether it may decide in `link.rs`). Each
//! use case locks the note and does everything a change causes (tokens,
//! outbox rows, audit entries) in that one transaction.

use jiff::Timestamp;
use serde_json::json;

use super::approval_links::csrf_for;
use super::documents::IssuedPdf;
use super::{Service, ServiceError};
use crate::access::{ClientInfo, Principal};
use crate::clock::brussels_time;
use crate::link::{self, ApprovalToken, LinkRefusal};
use crate::note::{Note, SpecError};
use crate::outbox::{MailKind, QueuedMail};
use crate::secret;
use crate::store::{AuditEntry, NewApprovalToken, WriteTx};
use crate::workflow::{Decision, Event, Outcome, Review, transition};

/// What an approver posted.
#[derive(Debug, Clone, Default)]
pub struct DecisionForm {
    pub decision: Option<String>,
    pub comment: Option<String>,
    pub csrf: Option<String>,
}

/// Longest comment kept with a decision.
const MAX_COMMENT: usize = 10_000;

impl Service {
    /// The approval link a form was posted to, if the form came from that link's page.
    pub(super) async fn posted_link(
        &self,
        secret: &str,
        csrf: Option<&str>,
    ) -> Result<ApprovalToken, ServiceError> {
        let found = self.token(secret).await?;
        if csrf != Some(csrf_for(secret).as_str()) {
            return Err(ServiceError::Forbidden(
                "the form did not come from this link's page; open the link again".to_owned(),
            ));
        }
        Ok(found)
    }

    /// Starts the approval chain: the first step's approvers get their links by email.
    #[tracing::instrument(skip_all, fields(note = id, by = %who.name))]
    pub async fn submit(&self, who: &Principal, id: &str) -> Result<Note, ServiceError> {
        let rendered = self.render_for_submit(who, id).await?;
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let mut note = self.lock_to_act_on(&mut tx, who, id).await?;
        if note.version != rendered {
            return Err(ServiceError::Stale(note.id));
        }
        note.state = transition(note.state, Event::Submit)?;
        let round = note.review.as_ref().map_or(0, |r| r.round) + 1;
        let review = Review::start(
            &self.workflow.chain,
            round,
            self.told_of_changes(&mut tx, &note, who).await?,
        );
        note.updated_at = now;
        self.open_step(&mut tx, &note, &review, now).await?;
        let mut entry = AuditEntry::by(now, who, "submitted", Some(note.version));
        entry.detail = Some(match &review.drafter {
            Some(drafter) => {
                format!("review round {round}; changes requested are told to {drafter}")
            }
            None => format!("review round {round}; no one is told of changes requested"),
        });
        tx.audit(note.id, &entry).await?;
        note.review = Some(review);
        tx.save_note(&note).await?;
        tx.commit().await?;
        self.wake_mailer();
        tracing::info!(number = %note.number, round, "submitted");
        Ok(note)
    }

    /// Records an approver's decision, once: the link's pending tokens are spent with
    /// `UPDATE … WHERE status = 'pending'` under the note's lock, and what the decision
    /// causes (next step's links, issuing, the drafter's notice) commits with it.
    /// The final PDF is never rendered inside that transaction, which holds SQLite's only
    /// writer: a decision found to issue the note is rolled back, the PDF rendered, and the
    /// decision recorded again with it.
    #[tracing::instrument(skip_all)]
    pub async fn decide(
        &self,
        secret: &str,
        form: DecisionForm,
        client: &ClientInfo,
    ) -> Result<(Note, Decision), ServiceError> {
        let now = self.clock.now();
        let mut issued = None;
        // A note in review cannot change version, so a second try is the last one needed;
        // the third is only there to end the loop with an error rather than spin.
        for _ in 0..3 {
            match self
                .decide_with(secret, form.clone(), client, now, issued.take())
                .await?
            {
                Decided::Recorded(note, decision) => {
                    self.metrics.decided(decision);
                    return Ok((note, decision));
                }
                Decided::RenderFirst(note) => issued = Some(self.issued_pdf(&note, now).await?),
            }
        }
        Err(ServiceError::Internal(
            "the note kept changing while its final PDF was rendered".to_owned(),
        ))
    }

    /// One try at recording a decision, with the final PDF if it was rendered already.
    async fn decide_with(
        &self,
        secret: &str,
        form: DecisionForm,
        client: &ClientInfo,
        now: Timestamp,
        issued: Option<IssuedPdf>,
    ) -> Result<Decided, ServiceError> {
        let found = self.posted_link(secret, form.csrf.as_deref()).await?;
        let invalid = |field: &str, message: &str| {
            ServiceError::Invalid(SpecError {
                field: field.to_owned(),
                message: message.to_owned(),
            })
        };
        let decision: Decision = form
            .decision
            .as_deref()
            .ok_or_else(|| invalid("decision", "choose approve or reject"))?
            .parse()
            .map_err(|e: String| invalid("decision", &e))?;
        let comment = form
            .comment
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty());
        if decision == Decision::Reject && comment.is_none() {
            return Err(invalid(
                "comment",
                "say what should change: a comment is required to request changes",
            ));
        }
        if comment
            .as_ref()
            .is_some_and(|c| c.chars().count() > MAX_COMMENT)
        {
            return Err(invalid("comment", "a comment is at most 10,000 characters"));
        }

        let mut tx = self.store.begin().await?;
        let (mut note, token, mut review) = spend_link(&mut tx, &found, now).await?;
        let stale = || LinkRefusal::Used {
            number: note.number.to_string(),
        };
        let outcome = review
            .record(token.step, &token.approver, decision, comment.clone(), now)
            .map_err(|_| stale())?;
        let step_name = review.steps[token.step].name.clone();
        let mut entry = AuditEntry::new(
            now,
            &token.approver,
            decision_action(decision),
            Some(note.version),
        );
        entry.detail = Some(match &comment {
            Some(c) => format!("step {step_name}: {c}"),
            None => format!("step {step_name}"),
        });
        entry.actor_id = Some(format!("approver:{}", token.approver));
        entry.client = client.address.clone();
        entry.user_agent = client.user_agent.clone();
        tx.audit(note.id, &entry).await?;
        note.updated_at = now;
        match outcome {
            Outcome::Waiting => {}
            Outcome::NextStep(_) => {
                tx.close_tokens(note.id).await?;
                self.open_step(&mut tx, &note, &review, now).await?;
            }
            Outcome::ChangesRequested => {
                tx.close_tokens(note.id).await?;
                note.state = transition(note.state, Event::RequestChanges)?;
                // A person disabled since the submission (they left) is not sent the note's
                // subject and the approver's comment.
                let told = match &review.drafter {
                    Some(drafter) => self.still_enabled(drafter).await?,
                    None => false,
                };
                if let Some(drafter) = review.drafter.as_ref().filter(|_| told) {
                    tx.enqueue(&QueuedMail {
                        note_id: Some(note.id),
                        kind: MailKind::ChangesRequested,
                        recipient: drafter.clone(),
                        recipient_name: None,
                        list: None,
                        context: json!({
                            "number": note.number.to_string(),
                            "subject": note.subject(),
                            "version": note.version,
                            "step": step_name,
                            "approver": token.approver,
                            "comment": comment,
                        }),
                        secret: None,
                        now,
                    })
                    .await?;
                }
            }
            Outcome::Approved => {
                let Some(pdf) = issued.filter(|pdf| pdf.version == note.version) else {
                    return Ok(Decided::RenderFirst(note)); // rolls back
                };
                tx.close_tokens(note.id).await?;
                note.state = transition(note.state, Event::Approve)?;
                self.issue(&mut tx, &note, pdf, now).await?;
            }
        }
        note.review = Some(review);
        tx.save_note(&note).await?;
        tx.commit().await?;
        self.wake_mailer();
        tracing::info!(number = %note.number, ?outcome, "decision recorded");
        Ok(Decided::Recorded(note, decision))
    }

    /// Sends one reminder, with a new link, to each approver who has not decided
    /// `approval.remind_after` after their link was sent. Returns how many were queued.
    pub async fn send_reminders(&self) -> Result<usize, ServiceError> {
        let now = self.clock.now();
        let cutoff = now - self.workflow.remind_after;
        let mut queued = 0;
        for first in self.store.tokens_to_remind(cutoff, 100).await? {
            let mut tx = self.store.begin().await?;
            let Some(note) = tx.lock_note(first.note_id).await? else {
                continue;
            };
            let Some(token) = tx.approval_token(first.id).await? else {
                continue;
            };
            // Marked even when no reminder goes out, so the link is not looked at again.
            if !tx.mark_reminded(token.id).await? {
                continue;
            }
            let current = matches!(
                link::check(&token, &note, now),
                Ok(()) | Err(LinkRefusal::Expired { .. })
            );
            if current && let Some(review) = &note.review {
                self.send_link(&mut tx, &note, review, &token.approver, Some(token.id), now)
                    .await?;
                queued += 1;
            }
            tx.commit().await?;
        }
        if queued > 0 {
            self.wake_mailer();
            tracing::info!(queued, "reminders queued");
        }
        Ok(queued)
    }

    /// Gives each approver of the review's current step a link, by email.
    async fn open_step(
        &self,
        tx: &mut WriteTx,
        note: &Note,
        review: &Review,
        now: Timestamp,
    ) -> Result<(), ServiceError> {
        for approver in review.current_approvers() {
            self.send_link(tx, note, review, approver, None, now)
                .await?;
        }
        Ok(())
    }

    /// Mints a link for `approver` at the review's current step and queues its email (a
    /// reminder when `reminder_of` names the first link).
    async fn send_link(
        &self,
        tx: &mut WriteTx,
        note: &Note,
        review: &Review,
        approver: &str,
        reminder_of: Option<i64>,
        now: Timestamp,
    ) -> Result<(), ServiceError> {
        let (link, hash) = secret::generate("");
        let expires = now + self.workflow.link_ttl;
        tx.insert_token(&NewApprovalToken {
            note_id: note.id,
            round: review.round,
            version: note.version,
            step: review.step,
            approver,
            hash: &hash,
            created: now,
            expires,
            reminder_of,
        })
        .await?;
        tx.enqueue(&link_mail(
            note,
            review,
            approver,
            link,
            expires,
            reminder_of.is_some(),
            now,
        ))
        .await?;
        Ok(())
    }
}

/// The email carrying an approval link of `note` at the review's current step to `to`.
pub(super) fn link_mail(
    note: &Note,
    review: &Review,
    to: &str,
    link: String,
    expires: Timestamp,
    reminder: bool,
    now: Timestamp,
) -> QueuedMail {
    QueuedMail {
        note_id: Some(note.id),
        kind: if reminder {
            MailKind::Reminder
        } else {
            MailKind::Approval
        },
        recipient: to.to_owned(),
        recipient_name: None,
        list: None,
        context: json!({
            "number": note.number.to_string(),
            "subject": note.subject(),
            "step": review.steps[review.step].name,
            "drafter": note.created_by,
            "version": note.version,
            "expires": brussels_time(expires),
            "file_name": note.file_name(),
            "reminder": reminder,
        }),
        secret: Some(link),
        now,
    }
}

/// What one try at recording a decision came to.
enum Decided {
    Recorded(Note, Decision),
    /// The decision issues this note, whose final PDF must be rendered first.
    RenderFirst(Note),
}

fn decision_action(decision: Decision) -> &'static str {
    match decision {
        Decision::Approve => "approved",
        Decision::Reject => "changes requested",
    }
}

/// What a decision and a hand-on both start with: lock the link's note, check the link
/// against it, and spend it. Gives the note, the link as stored now, and the note's review.
pub(super) async fn spend_link(
    tx: &mut WriteTx,
    found: &ApprovalToken,
    now: Timestamp,
) -> Result<(Note, ApprovalToken, Review), ServiceError> {
    let note = tx
        .lock_note(found.note_id)
        .await?
        .ok_or(LinkRefusal::Unknown)?;
    let token = tx
        .approval_token(found.id)
        .await?
        .ok_or(LinkRefusal::Unknown)?;
    link::check(&token, &note, now)?;
    let used = LinkRefusal::Used {
        number: note.number.to_string(),
    };
    let Some(review) = note.review.clone() else {
        return Err(used.into());
    };
    if !tx.spend(&token).await? {
        return Err(used.into());
    }
    Ok((note, token, review))
}
