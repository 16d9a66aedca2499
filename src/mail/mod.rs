//! Email: messages filled from templates (one folder per email: subject, text, html),
//! DKIM-signed when `mail.dkim.*` is set, and the transports (`file` writes `.eml` files,
//! `smtp` sends through one pooled lettre transport, over TLS unless the URL says
//! otherwise). What to send and when is the outbox worker's (`service::mail_worker`).

mod dkim;
mod transport;

use std::sync::{Arc, Mutex, PoisonError};

use lettre::Message;
use lettre::message::dkim::DkimConfig;
use lettre::message::header::ContentType;
use lettre::message::{Attachment as Part, Mailbox, MultiPart, SinglePart};
use serde_json::Value;

use crate::config::Settings;
use crate::outbox::{MailKind, SendOutcome};
use crate::render::{Escape, TemplateError, TemplateSet};

pub use transport::Transport;

const BUILT_IN: &[(&str, Escape, &str)] = &[
    (
        "mail/approval/subject",
        Escape::None,
        include_str!("../../templates/mail/approval/subject.hbs"),
    ),
    (
        "mail/approval/text",
        Escape::None,
        include_str!("../../templates/mail/approval/text.hbs"),
    ),
    (
        "mail/approval/html",
        Escape::Html,
        include_str!("../../templates/mail/approval/html.hbs"),
    ),
    (
        "mail/changes-requested/subject",
        Escape::None,
        include_str!("../../templates/mail/changes-requested/subject.hbs"),
    ),
    (
        "mail/changes-requested/text",
        Escape::None,
        include_str!("../../templates/mail/changes-requested/text.hbs"),
    ),
    (
        "mail/changes-requested/html",
        Escape::Html,
        include_str!("../../templates/mail/changes-requested/html.hbs"),
    ),
    (
        "mail/delivery/subject",
        Escape::None,
        include_str!("../../templates/mail/delivery/subject.hbs"),
    ),
    (
        "mail/delivery/text",
        Escape::None,
        include_str!("../../templates/mail/delivery/text.hbs"),
    ),
    (
        "mail/delivery/html",
        Escape::Html,
        include_str!("../../templates/mail/delivery/html.hbs"),
    ),
    (
        "mail/signin/subject",
        Escape::None,
        include_str!("../../templates/mail/signin/subject.hbs"),
    ),
    (
        "mail/signin/text",
        Escape::None,
        include_str!("../../templates/mail/signin/text.hbs"),
    ),
    (
        "mail/signin/html",
        Escape::Html,
        include_str!("../../templates/mail/signin/html.hbs"),
    ),
];

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("mail.{key}: {message}")]
    Config { key: &'static str, message: String },
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// The letter cannot become a message, now or later (an address lettre refuses).
    #[error("the message cannot be built: {0}")]
    Build(String),
}

impl MailError {
    /// What failing to build a letter means for its mail: a template fixed or a database
    /// back up lets a later try succeed, a letter lettre refuses never does.
    pub fn outcome(&self) -> SendOutcome {
        match self {
            MailError::Build(_) => SendOutcome::Unbuildable(self.to_string()),
            MailError::Config { .. } | MailError::Template(_) => {
                SendOutcome::Transient(self.to_string())
            }
        }
    }
}

/// An email ready to be built: who it goes to, its template and what fills it.
pub struct Letter {
    pub kind: MailKind,
    pub to: String,
    pub to_name: Option<String>,
    pub context: Value,
    pub attachment: Option<Attachment>,
    /// Derived from the outbox row, so a duplicate after a crash is recognisable.
    pub message_id: String,
}

pub struct Attachment {
    pub file_name: String,
    /// Shared: every delivery of a note attaches the same issued bytes.
    pub bytes: Arc<Vec<u8>>,
}

/// The last attachment part built, with the bytes it encodes (kept alive here, so that
/// pointer identity cannot be fooled by a freed and reused address).
type BuiltPart = (Arc<Vec<u8>>, String, SinglePart);

/// Builds messages from the templates and sends them through the configured transport.
pub struct Mailer {
    templates: TemplateSet,
    transport: Transport,
    from: Mailbox,
    /// A distribution attaches one PDF to hundreds of messages: it is encoded once.
    last_part: Mutex<Option<BuiltPart>>,
    pdf: ContentType,
    dkim: Option<DkimConfig>,
}

impl Mailer {
    pub fn new(settings: &Settings) -> Result<Self, MailError> {
        Ok(Self {
            templates: templates(settings)?,
            transport: Transport::new(&settings.mail)?,
            from: settings.mail.from.mailbox(),
            last_part: Mutex::default(),
            pdf: ContentType::parse("application/pdf")
                .map_err(|e| MailError::Build(e.to_string()))?,
            dkim: dkim::signer(&settings.mail.dkim)?,
        })
    }

    /// The domain of the sender's address, the right-hand side of every Message-ID.
    pub fn domain(&self) -> &str {
        self.from.email.domain()
    }

    /// The sender's display name, signed under every email.
    pub fn sender_name(&self) -> String {
        self.from
            .name
            .clone()
            .unwrap_or_else(|| self.from.email.to_string())
    }

    pub fn message(&self, letter: Letter) -> Result<Message, MailError> {
        let folder = match letter.kind {
            MailKind::Approval | MailKind::Reminder => "approval",
            MailKind::ChangesRequested => "changes-requested",
            MailKind::Delivery => "delivery",
            MailKind::SignIn => "signin",
        };
        let part = |name: &str| {
            self.templates
                .render(&format!("mail/{folder}/{name}"), &letter.context)
        };
        let subject = part("subject")?.trim().to_owned();
        let body = MultiPart::alternative()
            .singlepart(SinglePart::plain(part("text")?))
            .singlepart(SinglePart::html(part("html")?));
        let build = |e: &dyn std::fmt::Display| MailError::Build(e.to_string());
        let to = Mailbox::new(letter.to_name, letter.to.parse().map_err(|e| build(&e))?);
        let builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .message_id(Some(letter.message_id));
        let mut message = match letter.attachment {
            None => builder.multipart(body),
            Some(a) => {
                builder.multipart(MultiPart::mixed().multipart(body).singlepart(self.part(a)))
            }
        }
        .map_err(|e| build(&e))?;
        if let Some(dkim) = &self.dkim {
            message.sign(dkim);
        }
        Ok(message)
    }

    /// The attachment as a MIME part, encoded once for as long as the same bytes come.
    fn part(&self, a: Attachment) -> SinglePart {
        let mut last = self
            .last_part
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some((bytes, name, part)) = last.as_ref()
            && Arc::ptr_eq(bytes, &a.bytes)
            && *name == a.file_name
        {
            return part.clone();
        }
        let part = Part::new(a.file_name.clone()).body(a.bytes.to_vec(), self.pdf.clone());
        *last = Some((a.bytes, a.file_name, part.clone()));
        part
    }

    pub async fn send(&self, message: &Message) -> SendOutcome {
        self.transport.send(message).await
    }

    /// Closes pooled connections.
    pub async fn shutdown(&self) {
        self.transport.shutdown().await;
    }
}

/// The email templates, built in or from `templates.dir/mail/…`; `check` loads them too.
pub fn templates(settings: &Settings) -> Result<TemplateSet, TemplateError> {
    TemplateSet::load(BUILT_IN, settings.templates.dir.as_deref())
}
