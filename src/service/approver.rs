//! The approver's page, improved for the desk (issue 12): the draft's pages shown on the
//! page (the desk's preview of the very version the link is about), the changes since
//! the version this approver last saw in an earlier round, and handing the link on to a
//! configured deputy (`approval.deputies`), who gets a link of their own.

use jiff::Timestamp;

use super::desk::spec_changes;
use super::review::{link_mail, spend_link};
use super::{ApprovalPage, Service, ServiceError};
use crate::access::ClientInfo;
use crate::diff::Change;
use crate::note::SpecError;
use crate::render::NoteDocument;
use crate::secret;
use crate::store::{AuditEntry, NewApprovalToken};

/// Everything the approver's page shows.
pub struct ApproverView {
    pub page: ApprovalPage,
    /// The draft's pages as SVG.
    pub pages: Vec<String>,
    /// The version this approver saw last in an earlier round, and what changed since.
    pub changes: Option<(i64, Vec<(Change, String)>)>,
    /// Whom this approver may hand the link on to.
    pub deputies: Vec<String>,
}

/// A posted `POST /approve/{token}/forward`.
#[derive(Debug, Clone, Default)]
pub struct ForwardForm {
    pub deputy: Option<String>,
    pub csrf: Option<String>,
}

impl Service {
    /// The approval page with the draft's pages, the changes since this approver's last
    /// round, and the deputies. Changes nothing, like [`Service::approval_page`].
    pub async fn approver_view(&self, secret: &str) -> Result<ApproverView, ServiceError> {
        let page = self.approval_page(secret).await?;
        let note = &page.note;
        let (spec, _) = self.version(note, page.token.version).await?;
        let seen = self
            .store
            .version_seen(note.id, &page.token.approver, page.review.round)
            .await?
            .filter(|v| *v != page.token.version);
        let changes = match seen {
            Some(v) => {
                let (seen_spec, _) = self.version(note, v).await?;
                Some((v, spec_changes(&seen_spec.to_json(), &spec.to_json())))
            }
            None => None,
        };
        let (number, codes) = (note.number, note.codes.clone());
        let pages = self
            .run(move |renderer| {
                renderer.preview(
                    &NoteDocument {
                        spec: &spec,
                        number: &number,
                        codes: &codes,
                    },
                    true,
                )
            })
            .await?;
        let deputies = self
            .desk
            .deputies
            .get(&page.token.approver.to_lowercase())
            .cloned()
            .unwrap_or_default();
        Ok(ApproverView {
            page,
            pages,
            changes,
            deputies,
        })
    }

    /// Hands an approver's link on to one of their deputies: the link is spent, the
    /// deputy is mailed a link of their own (deciding for the same approver, at the same
    /// step), and the audit trail says who handed on to whom. Returns the deputy.
    pub async fn forward(
        &self,
        secret: &str,
        form: ForwardForm,
        client: &ClientInfo,
    ) -> Result<String, ServiceError> {
        let now = self.clock.now();
        let found = self.posted_link(secret, form.csrf.as_deref()).await?;
        let allowed = self
            .desk
            .deputies
            .get(&found.approver.to_lowercase())
            .cloned()
            .unwrap_or_default();
        let deputy = form
            .deputy
            .map(|d| d.trim().to_lowercase())
            .filter(|d| allowed.contains(d))
            .ok_or_else(|| SpecError {
                field: "deputy".to_owned(),
                message: if allowed.is_empty() {
                    "no deputy is configured for this approver (approval.deputies)".to_owned()
                } else {
                    format!("choose one of {}", allowed.join(", "))
                },
            })?;

        let mut tx = self.store.begin().await?;
        let (note, token, review) = spend_link(&mut tx, &found, now).await?;
        let (link, hash) = secret::generate("");
        let expires: Timestamp = now + self.workflow.link_ttl;
        tx.insert_token(&NewApprovalToken {
            note_id: note.id,
            round: token.round,
            version: token.version,
            step: token.step,
            approver: &token.approver,
            hash: &hash,
            created: now,
            expires,
            // As a reminder's link: never reminded again.
            reminder_of: Some(token.id),
        })
        .await?;
        tx.enqueue(&link_mail(
            &note, &review, &deputy, link, expires, false, now,
        ))
        .await?;
        let mut entry = AuditEntry::new(now, &token.approver, "handed on", Some(token.version));
        entry.detail = Some(format!(
            "step {}: {} handed the approval link on to {deputy}",
            review.steps[token.step].name, token.approver
        ));
        entry.actor_id = Some(format!("approver:{}", token.approver));
        entry.client = client.address.clone();
        entry.user_agent = client.user_agent.clone();
        tx.audit(note.id, &entry).await?;
        tx.commit().await?;
        self.wake_mailer();
        tracing::info!(number = %note.number, "approval link handed on to a deputy");
        Ok(deputy)
    }
}
