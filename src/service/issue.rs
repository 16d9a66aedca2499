//! Issuing and distributing: the final PDF stored once, one outbox row per recipient,
//! per-recipient delivery status, re-queueing, and revisions.

use jiff::Timestamp;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::documents::IssuedPdf;
use super::{Service, ServiceError};
use crate::access::{Principal, Role};
use crate::clock::{brussels_date, brussels_time};
use crate::link::{self, LinkRefusal};
use crate::note::{Note, NoteSpec, SpecError};
use crate::outbox::{MailKind, QueuedMail};
use crate::secret;
use crate::store::{Delivery, Document, WriteTx};
use crate::workflow::{Event, NoteState, transition};

impl Service {
    /// Stores the final PDF (no DRAFT mark, rendered before the transaction by
    /// [`Service::issued_pdf`]; the caller has checked, under the note's lock, that it is
    /// of the current version) and its SHA-256, and queues one email per address of the
    /// note's distribution lists, inside the caller's transaction: the note is issued with
    /// all of it or not at all.
    pub(super) async fn issue(
        &self,
        tx: &mut WriteTx,
        note: &Note,
        pdf: IssuedPdf,
        now: Timestamp,
    ) -> Result<(), ServiceError> {
        let bytes = pdf.bytes;
        let sha256 = secret::hex(&Sha256::digest(&bytes));
        let too_large = bytes.len() as u64 > self.workflow.max_attachment;
        tx.store_document(
            note.id,
            &Document {
                sha256: sha256.clone(),
                bytes,
            },
            now,
        )
        .await?;
        let link_expires = now + self.workflow.download_ttl;
        let codes: Vec<String> = note.codes.iter().map(ToString::to_string).collect();
        let mut mails = Vec::new();
        for recipient in self.recipients(note) {
            let secret = if too_large {
                let (secret, hash) = secret::generate("");
                tx.insert_download(note.id, &hash, link_expires).await?;
                Some(secret)
            } else {
                None
            };
            mails.push(QueuedMail {
                note_id: Some(note.id),
                kind: MailKind::Delivery,
                recipient: recipient.email,
                recipient_name: Some(recipient.name.clone()),
                list: Some(recipient.list),
                context: json!({
                    "number": note.number.to_string(),
                    "subject": note.subject(),
                    "codes": codes.join(", "),
                    "recipient_name": recipient.name,
                    "file_name": note.file_name(),
                    "sha256": sha256,
                    "link_expires": too_large.then(|| brussels_time(link_expires)),
                }),
                secret,
                now,
            });
        }
        tx.enqueue_all(&mails).await?;
        let mut entry = crate::store::AuditEntry::new(now, "notesd", "issued", Some(note.version));
        entry.detail = Some(format!("SHA-256 {sha256}"));
        tx.audit(note.id, &entry).await?;
        tracing::info!(number = %note.number, %sha256, "issued");
        Ok(())
    }

    /// Every address of the note's distribution lists, once, in list and protocol order.
    fn recipients(&self, note: &Note) -> Vec<Recipient> {
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        for list in &note.spec.distribution {
            for entry in self.workflow.lists.get(list).into_iter().flatten() {
                for email in &entry.emails {
                    if seen.insert(email.to_ascii_lowercase()) {
                        out.push(Recipient {
                            email: email.clone(),
                            name: entry.name.clone(),
                            list: list.clone(),
                        });
                    }
                }
            }
        }
        out
    }

    /// The distribution of a note, per recipient.
    pub async fn deliveries(
        &self,
        who: &Principal,
        id: &str,
    ) -> Result<Vec<Delivery>, ServiceError> {
        let note = self.readable_note(who, id).await?;
        Ok(self.store.deliveries(note.id).await?)
    }

    /// Puts a failed delivery back in the queue (admins only).
    pub async fn retry_delivery(
        &self,
        who: &Principal,
        id: &str,
        recipient: &str,
    ) -> Result<Vec<Delivery>, ServiceError> {
        if who.role != Role::Admin {
            return Err(ServiceError::Forbidden(
                "re-queueing a delivery needs an admin token".to_owned(),
            ));
        }
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let note = self.lock(&mut tx, id).await?;
        if !tx.requeue_delivery(note.id, recipient, now).await? {
            return Err(super::Missing::FailedDelivery {
                note: id.to_owned(),
                recipient: recipient.to_owned(),
            }
            .into());
        }
        let mut entry = crate::store::AuditEntry::by(now, who, "delivery re-queued", None);
        entry.detail = Some(recipient.to_owned());
        tx.audit(note.id, &entry).await?;
        tx.commit().await?;
        self.wake_mailer();
        Ok(self.store.deliveries(note.id).await?)
    }

    /// The issued PDF behind a download link that has not expired.
    pub async fn download(&self, secret: &str) -> Result<super::Pdf, ServiceError> {
        let (note, expires) = self
            .store
            .download(&secret::digest(secret))
            .await?
            .ok_or(LinkRefusal::Unknown)?;
        let note = self.note(&note.to_string()).await?;
        link::check_download(&note, expires, self.clock.now())?;
        self.note_pdf(note).await
    }

    /// Registers `NNNN/k/YY REV k` revising an issued note: its spec copied, with the
    /// top-level fields of `changes` replacing the copied ones, and validated as a
    /// registration is. Codes stay those of the revised document.
    #[tracing::instrument(skip_all, fields(note = id, by = %who.name))]
    pub async fn revise(
        &self,
        who: &Principal,
        id: &str,
        changes: Option<Value>,
    ) -> Result<Note, ServiceError> {
        let of = self.note_to_act_on(who, id).await?;
        transition(of.state, Event::Revise)?;
        let mut spec = of.spec.to_json();
        match changes {
            None | Some(Value::Null) => {}
            Some(Value::Object(fields)) => {
                if fields.contains_key("codes") {
                    return Err(SpecError {
                        field: "codes".to_owned(),
                        message: "a revision keeps the codes of the document it revises".to_owned(),
                    }
                    .into());
                }
                if let Some(target) = spec.as_object_mut() {
                    target.extend(fields);
                }
            }
            Some(_) => {
                return Err(SpecError {
                    field: String::new(),
                    message: "the body must be a JSON object of the fields to change".to_owned(),
                }
                .into());
            }
        }
        if let Some(fields) = spec.as_object_mut() {
            let names: Vec<Value> = of.codes.iter().map(|c| c.name.as_str().into()).collect();
            fields.insert("codes".to_owned(), names.into());
        }
        let now = self.clock.now();
        let spec = NoteSpec::from_json(spec, &self.vocabulary, brussels_date(now))?;
        super::registry::in_scope(who, &spec.unit)?;
        self.refuse_overlong(&spec).await?;
        let note = self.store.register_revision(&of, &spec, who, now).await?;
        tracing::info!(number = %note.number, revises = %of.number, "revision registered");
        Ok(note)
    }

    /// Whether a note's PDF is the stored, issued one.
    pub(super) fn is_issued(note: &Note) -> bool {
        matches!(note.state, NoteState::Issued | NoteState::Distributed)
    }
}

struct Recipient {
    email: String,
    name: String,
    list: String,
}
