//! Where messages go: `.eml` files in a folder (the default, no server needed; files 0600
//! in a folder created 0700) or an SMTP server through one pooled lettre transport,
//! protected as `mail.smtp_url` says (see [`crate::config::SmtpUrl`]).
//!
//! lettre's pool caps idle connections, not concurrent ones (DEPENDENCIES.md): the worker
//! bounds what is in flight with its own semaphore of `mail.concurrency` permits.

use std::path::PathBuf;
use std::time::Duration;

use lettre::transport::smtp::PoolConfig;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::MailError;
use crate::config::{MailSettings, MailTransport, SmtpUrl, TlsMode, read_ca};
use crate::files::{create_private_dir, write_private};
use crate::outbox::SendOutcome;

/// How long one SMTP command may take before the try counts as a transient failure.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

pub enum Transport {
    File(PathBuf),
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

impl Transport {
    pub fn new(mail: &MailSettings) -> Result<Self, MailError> {
        match mail.transport {
            MailTransport::File => {
                create_private_dir(&mail.dir).map_err(|e| MailError::Config {
                    key: "dir",
                    message: format!("cannot create {}: {e}", mail.dir.display()),
                })?;
                Ok(Self::File(mail.dir.clone()))
            }
            MailTransport::Smtp => {
                let relay = mail.smtp_url.as_ref().ok_or(MailError::Config {
                    key: "smtp_url",
                    message: "is required when mail.transport = \"smtp\"".to_owned(),
                })?;
                let ca = mail
                    .tls_ca_file
                    .as_deref()
                    .map(read_ca)
                    .transpose()
                    .map_err(|e| MailError::Config {
                        key: "tls_ca_file",
                        message: e.to_string(),
                    })?;
                let tls = tls(relay, ca).map_err(|e| MailError::Config {
                    key: "smtp_url",
                    message: format!("cannot set up TLS: {e}"),
                })?;
                let mut builder =
                    AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&relay.host)
                        .port(relay.port)
                        .tls(tls);
                if let Some((user, password)) = relay.credentials.clone() {
                    builder = builder.credentials(Credentials::new(user, password));
                }
                let size = u32::try_from(mail.concurrency.get()).unwrap_or(u32::MAX);
                Ok(Self::Smtp(
                    builder
                        .timeout(Some(SMTP_TIMEOUT))
                        .pool_config(PoolConfig::new().max_size(size))
                        .build(),
                ))
            }
        }
    }

    /// Hands a message over: refused for good on a 5xx reply, a transient failure on
    /// anything else that goes wrong.
    pub async fn send(&self, message: &Message) -> SendOutcome {
        match self {
            Self::File(dir) => match write_file(dir, message).await {
                Ok(()) => SendOutcome::Sent,
                Err(e) => SendOutcome::Transient(format!("cannot write to {}: {e}", dir.display())),
            },
            // `send_raw` with the formatted message: `send` would take it by value, and a
            // clone copies the encoded attachment once more per recipient.
            Self::Smtp(smtp) => match smtp
                .send_raw(message.envelope(), &message.formatted())
                .await
            {
                Ok(_) => SendOutcome::Sent,
                Err(e) if e.is_permanent() => SendOutcome::Refused(smtp_error_text(&e)),
                Err(e) => SendOutcome::Transient(smtp_error_text(&e)),
            },
        }
    }

    pub async fn shutdown(&self) {
        if let Self::Smtp(smtp) = self {
            smtp.shutdown().await;
        }
    }
}

/// The server's reply when there is one ("550 5.1.1 no such user"), else the error chain.
/// lettre's error and its source both print the reply: a part already said is not repeated.
fn smtp_error_text(e: &lettre::transport::smtp::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(inner) = source {
        let part = inner.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = inner.source();
    }
    if text.contains("STARTTLS is not supported") {
        text.push_str(
            " (smtp:// requires STARTTLS; `?tls=none` on mail.smtp_url accepts plain text, \
             without credentials)",
        );
    }
    text
}

/// Writes `<Message-ID>.eml` whole or not at all: a reader of the folder never sees half a
/// message.
async fn write_file(dir: &std::path::Path, message: &Message) -> std::io::Result<()> {
    let id = message
        .headers()
        .get_raw("Message-ID")
        .unwrap_or("message")
        .trim_matches(['<', '>'])
        .replace(['/', '\\'], "_");
    let path = dir.join(format!("{id}.eml"));
    let partial = dir.join(format!(".{id}.eml.partial"));
    write_private(&partial, &message.formatted()).await?;
    tokio::fs::rename(&partial, &path).await
}

/// lettre's TLS setting for `relay`, trusting `extra_ca` (PEM) besides the system's roots.
fn tls(relay: &SmtpUrl, extra_ca: Option<Vec<u8>>) -> Result<Tls, lettre::transport::smtp::Error> {
    let parameters = || {
        let mut builder = TlsParameters::builder(relay.host.clone());
        if let Some(pem) = &extra_ca {
            builder = builder.add_root_certificate(Certificate::from_pem(pem)?);
        }
        builder.build_rustls()
    };
    Ok(match relay.tls {
        TlsMode::Implicit => Tls::Wrapper(parameters()?),
        TlsMode::Required => Tls::Required(parameters()?),
        TlsMode::Opportunistic => Tls::Opportunistic(parameters()?),
        TlsMode::None => Tls::None,
    })
}
