//! The use cases, each one transaction over the store plus pure logic: what the HTTP
//! handlers and the CLI call. Errors say what went wrong in the user's terms; the edges
//! map them to statuses and exit codes.

mod approval_links;
mod approver;
mod desk;
mod documents;
mod issue;
mod mail_worker;
mod mailing;
mod people;
mod registry;
mod reminders;
mod review;
mod signin;
mod tokens;
mod verify;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use jiff::SignedDuration;
use tokio::sync::{Notify, watch};

use crate::clock::Clock;
use crate::config::{Recipient, Settings, load_seal};
use crate::link::LinkRefusal;
use crate::metrics::{Metrics, Tallies};
use crate::note::{NoteId, SpecError, Vocabulary};
use crate::outbox::{DeliveryStatus, RetryPolicy};
use crate::render::{RenderError, Renderer, TemplateError, Templates};
use crate::seal::{Seal, SealError};
use crate::store::{Store, StoreError};
use crate::workflow::{NoteState, Step, WorkflowError};

pub use approval_links::{ApprovalPage, csrf_for};
pub use approver::{ApproverView, ForwardForm};
pub use desk::{Actions, Choices, DESK_PAGE, DeskPage, DeskQuery, Sheet, spec_changes, spec_text};
pub use documents::{Pdf, RenderHold};
pub use mail_worker::MailWorker;
pub use mailing::LEASE;
pub use people::PeopleError;
pub use registry::{ListQuery, NotePage};
pub use reminders::remind_until;
pub use review::DecisionForm;
pub use signin::{Session, SignInError};
pub use tokens::{AuthError, TokenError, TokenRequest};
pub use verify::{Verification, VerifyError};

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{0}")]
    Invalid(#[from] SpecError),
    #[error(transparent)]
    NotFound(#[from] Missing),
    #[error("{0}")]
    Workflow(#[from] WorkflowError),
    #[error("note {0} was changed by someone else meanwhile; reload it and apply your edit again")]
    Stale(NoteId),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Link(#[from] LinkRefusal),
    #[error("the note cannot be rendered: {0}")]
    Render(#[from] RenderError),
    /// The seal could not be applied: nothing was issued.
    #[error("the note cannot be sealed, so it was not issued: {0}")]
    Seal(#[from] SealError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A bug, not a user's mistake: logged, answered with a generic 500.
    #[error("internal error: {0}")]
    Internal(String),
}

/// What a request named that is not there; each says only what is known to be missing.
#[derive(Debug, thiserror::Error)]
pub enum Missing {
    #[error("no note with id {0}")]
    Note(String),
    #[error("note {note} has no failed delivery to `{recipient}`")]
    FailedDelivery { note: String, recipient: String },
}

/// The service cannot start with this configuration.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error(transparent)]
    Templates(#[from] TemplateError),
    #[error("invalid configuration: {0}")]
    Config(String),
}

/// The configuration the approval and distribution use cases work from.
struct Workflow {
    chain: Vec<Step>,
    link_ttl: SignedDuration,
    remind_after: SignedDuration,
    public_url: String,
    lists: BTreeMap<String, Vec<Recipient>>,
    max_attachment: u64,
    download_ttl: SignedDuration,
    retry: RetryPolicy,
}

/// `approval.link_ttl` and the like as a signed duration to add to timestamps.
fn signed(d: Duration) -> SignedDuration {
    SignedDuration::try_from(d).unwrap_or(SignedDuration::MAX)
}

/// An issued note's PDF bytes, by note.
type IssuedBytes = (NoteId, Arc<Vec<u8>>);

/// Everything the use cases need, cheap to clone into each request.
#[derive(Clone)]
pub struct Service {
    store: Store,
    vocabulary: Arc<Vocabulary>,
    renderer: Arc<Renderer>,
    /// Every render passes here: `render.concurrency` at once, the last drafts kept.
    renders: Arc<documents::RenderGate>,
    first_number: i64,
    clock: Arc<dyn Clock>,
    workflow: Arc<Workflow>,
    /// Woken after a commit that queued mail, so the worker sends at once.
    mail_queued: Arc<Notify>,
    /// Tries recorded so far, bumped after each commit of a batch: what anything that must
    /// know mail was recorded (the tests, above all) waits on, instead of on time.
    mail_recorded: Arc<watch::Sender<u64>>,
    /// The last issued PDF read, by note (see `issued_pdf`).
    last_issued: Arc<std::sync::Mutex<Option<IssuedBytes>>>,
    /// What this process measured, for `GET /metrics`.
    metrics: Arc<Metrics>,
    /// The web desk's sessions and sign-in links.
    desk: Arc<desk::DeskSettings>,
    /// The Presidency's seal, when `seal.pkcs12` is set: every issued PDF carries it.
    seal: Option<Arc<Seal>>,
}

/// Runs CPU work (rendering, sealing, hashing an upload) off the async workers; `what`
/// names it if the task dies.
pub(super) async fn off_workers<T: Send + 'static>(
    what: &str,
    job: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ServiceError> {
    tokio::task::spawn_blocking(job)
        .await
        .map_err(|e| ServiceError::Internal(format!("the {what} task failed: {e}")))
}

impl Service {
    /// Loads the note templates (built-in, then `templates.dir`) and is ready to serve.
    pub fn new(
        store: Store,
        settings: &Settings,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, SetupError> {
        let templates = Templates::load(settings.templates.dir.as_deref())?;
        let chain = settings
            .approval_chain()
            .map_err(|problems| SetupError::Config(problems.join("; ")))?;
        let mail = &settings.mail;
        let seal = load_seal(&settings.seal)
            .map_err(|e| SetupError::Config(format!("seal.pkcs12: {e}")))?
            .map(Arc::new);
        Ok(Self {
            store,
            vocabulary: Arc::new(settings.vocabulary(templates.names())),
            renderer: Arc::new(Renderer::new(templates, settings.render.max_pages())),
            renders: Arc::new(documents::RenderGate::new(settings.render.slots())),
            first_number: settings.registry.first_number,
            clock,
            workflow: Arc::new(Workflow {
                chain,
                link_ttl: signed(settings.approval.link_ttl),
                remind_after: signed(settings.approval.remind_after),
                public_url: settings.http.public_url.to_string(),
                lists: settings.lists.clone(),
                max_attachment: mail.max_attachment,
                download_ttl: signed(mail.download_ttl),
                retry: RetryPolicy {
                    initial: mail.retry_initial,
                    max: mail.retry_max,
                    give_up_after: mail.give_up_after,
                },
            }),
            mail_queued: Arc::new(Notify::new()),
            mail_recorded: Arc::new(watch::Sender::new(0)),
            last_issued: Arc::default(),
            metrics: Arc::default(),
            desk: Arc::new(desk::DeskSettings::of(settings)),
            seal,
        })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The measurements the HTTP layer adds requests to and `GET /metrics` encodes.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// Notes by state and outbox rows by status, as the database holds them now.
    pub async fn tallies(&self) -> Result<Tallies, ServiceError> {
        let notes = self.store.count_by_state().await?;
        let outbox = self.store.count_mail_by_status().await?;
        let count = |counts: &[(String, i64)], name: &str| {
            counts
                .iter()
                .find(|(s, _)| s == name)
                .map_or(0, |(_, n)| *n)
        };
        Ok(Tallies {
            notes: NoteState::ALL
                .iter()
                .map(|&s| (s, count(&notes, s.as_str())))
                .collect(),
            outbox: DeliveryStatus::ALL
                .iter()
                .map(|&s| (s, count(&outbox, s.as_str())))
                .collect(),
        })
    }

    /// What the mail worker waits on between polls.
    pub fn mail_queued(&self) -> Arc<Notify> {
        self.mail_queued.clone()
    }

    /// Changes after each batch of mail results is committed; holds how many tries have
    /// been recorded since the service started.
    pub fn mail_recorded(&self) -> watch::Receiver<u64> {
        self.mail_recorded.subscribe()
    }

    fn wake_mailer(&self) {
        self.mail_queued.notify_one();
    }
}
