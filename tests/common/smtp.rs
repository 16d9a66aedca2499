//! A real SMTP server on loopback for the tests: speaks enough ESMTP for lettre (EHLO,
//! STARTTLS, MAIL, RCPT, DATA, RSET, NOOP, QUIT), keeps every accepted message, and answers
//! chosen recipients with scripted replies (`451` twice, then accept; `550` always).
//!
//! It runs in plain text (its URL says `?tls=none`), with STARTTLS, or with implicit TLS
//! (`smtps://`); the TLS modes present a certificate for 127.0.0.1 issued by a test CA made
//! when the server starts, whose PEM the test hands to the daemon as `mail.tls_ca_file`.

#![allow(dead_code)] // each test binary uses its own part of it

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mail_parser::MimeHeaders;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{AbortHandle, JoinHandle};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;

/// One accepted message.
#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    pub data: Vec<u8>,
    /// Whether the message came over TLS (STARTTLS or implicit).
    pub tls: bool,
}

impl Received {
    pub fn is_to(&self, rcpt: &str) -> bool {
        self.to.iter().any(|t| t == rcpt)
    }

    pub fn parsed(&self) -> mail_parser::Message<'_> {
        mail_parser::MessageParser::default()
            .parse(&self.data)
            .expect("a parsable message")
    }

    pub fn subject(&self) -> String {
        self.parsed().subject().unwrap_or_default().to_owned()
    }

    pub fn text(&self) -> String {
        self.parsed()
            .body_text(0)
            .map(|t| t.into_owned())
            .unwrap_or_default()
    }

    pub fn html(&self) -> String {
        self.parsed()
            .body_html(0)
            .map(|t| t.into_owned())
            .unwrap_or_default()
    }

    pub fn message_id(&self) -> String {
        self.parsed().message_id().unwrap_or_default().to_owned()
    }

    /// The attachments: file name and bytes.
    pub fn attachments(&self) -> Vec<(String, Vec<u8>)> {
        let message = self.parsed();
        message
            .attachments()
            .map(|a| {
                (
                    a.attachment_name().unwrap_or_default().to_owned(),
                    a.contents().to_vec(),
                )
            })
            .collect()
    }

    /// The first `…/approve/<token>` link in the text part.
    pub fn approval_link(&self) -> Option<String> {
        let text = self.text();
        let start = text.find("http")?;
        let link: String = text[start..]
            .chars()
            .take_while(|c| !c.is_whitespace())
            .collect();
        link.contains("/approve/").then_some(link)
    }
}

#[derive(Default)]
struct State {
    received: Vec<Received>,
    /// Replies to give at RCPT TO for an address, one per attempt; then 250.
    scripts: HashMap<String, VecDeque<String>>,
    /// Addresses refused with this reply on every attempt.
    always: HashMap<String, String>,
    /// RCPT attempts per address.
    attempts: HashMap<String, usize>,
    /// How long the server takes to accept each message's data.
    delay: Duration,
}

/// How the server protects its sessions.
#[derive(Clone)]
enum Security {
    Plain,
    /// Offers STARTTLS after EHLO.
    StartTls(TlsAcceptor),
    /// TLS from the first byte.
    Implicit(TlsAcceptor),
}

/// A CA made for one test, and a certificate it issued for 127.0.0.1 and localhost.
pub struct TestCa {
    /// The CA's certificate, to be trusted by the client.
    pub ca_pem: String,
    acceptor: TlsAcceptor,
}

impl TestCa {
    pub fn new() -> Self {
        let ca_key = rcgen::KeyPair::generate().expect("a CA key");
        let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::DigitalSignature,
        ];
        ca.distinguished_name
            .push(rcgen::DnType::CommonName, "notesd test CA");
        let ca_cert = ca.self_signed(&ca_key).expect("a CA certificate");
        let key = rcgen::KeyPair::generate().expect("a server key");
        let names = vec!["127.0.0.1".to_owned(), "localhost".to_owned()];
        let cert = rcgen::CertificateParams::new(names)
            .expect("server params")
            .signed_by(&key, &ca_cert, &ca_key)
            .expect("a server certificate");
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(
                vec![cert.der().clone()],
                rustls::pki_types::PrivatePkcs8KeyDer::from(key.serialize_der()).into(),
            )
            .expect("a TLS server configuration");
        Self {
            ca_pem: ca_cert.pem(),
            acceptor: TlsAcceptor::from(Arc::new(config)),
        }
    }

    /// Writes the CA's certificate into `dir` for `mail.tls_ca_file`.
    pub fn write_to(&self, dir: &std::path::Path) -> std::path::PathBuf {
        let path = dir.join("test-ca.pem");
        std::fs::write(&path, &self.ca_pem).expect("write the test CA");
        path
    }
}

pub struct SmtpServer {
    pub addr: SocketAddr,
    security: Security,
    state: Arc<Mutex<State>>,
    /// How many messages were accepted so far: waiters watch it instead of polling (and
    /// copying) the messages, which would hold up the sessions behind the state's lock.
    accepted: Arc<watch::Sender<usize>>,
    task: JoinHandle<()>,
    sessions: Arc<Mutex<Vec<AbortHandle>>>,
}

impl SmtpServer {
    pub async fn start() -> Self {
        Self::start_on(0).await
    }

    /// On a given port (to bring a server back where a daemon expects it).
    pub async fn start_on(port: u16) -> Self {
        Self::serve(Self::bind(port).await, Security::Plain)
    }

    /// A server that offers STARTTLS with a certificate of `ca`.
    pub async fn start_starttls(ca: &TestCa) -> Self {
        Self::serve(Self::bind(0).await, Security::StartTls(ca.acceptor.clone()))
    }

    /// A server that speaks TLS from the first byte, with a certificate of `ca`.
    pub async fn start_implicit_tls(ca: &TestCa) -> Self {
        Self::serve(Self::bind(0).await, Security::Implicit(ca.acceptor.clone()))
    }

    async fn bind(port: u16) -> TcpListener {
        TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("bind the test SMTP server")
    }

    fn serve(listener: TcpListener, security: Security) -> Self {
        let addr = listener.local_addr().expect("a local address");
        let state: Arc<Mutex<State>> = Arc::default();
        let accepted = Arc::new(watch::channel(0).0);
        let (shared, counter) = (state.clone(), accepted.clone());
        let sessions: Arc<Mutex<Vec<AbortHandle>>> = Arc::default();
        let open = sessions.clone();
        let mode = security.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (state, accepted) = (shared.clone(), counter.clone());
                let mode = mode.clone();
                let handle = tokio::spawn(async move {
                    let _ = connection(stream, mode, state, accepted).await;
                });
                open.lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(handle.abort_handle());
            }
        });
        Self {
            addr,
            security,
            state,
            accepted,
            task,
            sessions,
        }
    }

    /// The URL that reaches this server as it runs: `smtp://…?tls=none` in plain text,
    /// `smtp://…` (STARTTLS required) or `smtps://…`.
    pub fn url(&self) -> String {
        match self.security {
            Security::Plain => format!("smtp://{}?tls=none", self.addr),
            Security::StartTls(_) => format!("smtp://{}", self.addr),
            Security::Implicit(_) => format!("smtps://{}", self.addr),
        }
    }

    /// Stops listening and drops every open connection, as a server that goes down.
    pub fn stop(&self) {
        self.task.abort();
        for session in self
            .sessions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain(..)
        {
            session.abort();
        }
    }

    /// Answers `rcpt` with these replies on its next attempts, then accepts.
    pub fn script(&self, rcpt: &str, replies: &[&str]) {
        self.lock().scripts.insert(
            rcpt.to_owned(),
            replies.iter().map(|r| r.to_string()).collect(),
        );
    }

    /// Answers `rcpt` with `reply` on every attempt.
    pub fn refuse(&self, rcpt: &str, reply: &str) {
        self.lock().always.insert(rcpt.to_owned(), reply.to_owned());
    }

    /// Makes the server take `delay` to accept each message, like a busy relay.
    pub fn slow_down(&self, delay: Duration) {
        self.lock().delay = delay;
    }

    pub fn attempts(&self, rcpt: &str) -> usize {
        self.lock().attempts.get(rcpt).copied().unwrap_or(0)
    }

    pub fn received(&self) -> Vec<Received> {
        self.lock().received.clone()
    }

    /// Messages to `rcpt`.
    pub fn to(&self, rcpt: &str) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|m| m.is_to(rcpt))
            .collect()
    }

    /// Waits until at least `n` messages arrived; panics after `timeout`.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Received> {
        self.wait_for_count(n, timeout).await;
        self.received()
    }

    /// [`SmtpServer::wait_for`] without the copy of every message: for a benchmark's clock.
    pub async fn wait_for_count(&self, n: usize, timeout: Duration) {
        self.wait_until(
            timeout,
            |s| s.received.len() >= n,
            || format!("expected {n} messages within {timeout:?}"),
        )
        .await;
    }

    /// Waits until `rcpt` has received `n` messages; returns them all.
    pub async fn wait_for_to(&self, rcpt: &str, n: usize, timeout: Duration) -> Vec<Received> {
        self.wait_until(
            timeout,
            |s| s.received.iter().filter(|m| m.is_to(rcpt)).count() >= n,
            || format!("expected {n} messages to {rcpt} within {timeout:?}"),
        )
        .await;
        self.received()
    }

    /// Checks `done` each time a message is accepted; panics with `what` after `timeout`.
    async fn wait_until(
        &self,
        timeout: Duration,
        done: impl Fn(&State) -> bool,
        what: impl Fn() -> String,
    ) {
        let mut accepted = self.accepted.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        while !done(&self.lock()) {
            let changed = tokio::time::timeout_at(deadline, accepted.changed()).await;
            assert!(
                changed.is_ok(),
                "{}, got {}",
                what(),
                self.lock().received.len()
            );
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// One client connection, in the server's security mode.
async fn connection(
    stream: TcpStream,
    security: Security,
    state: Arc<Mutex<State>>,
    accepted: Arc<watch::Sender<usize>>,
) -> std::io::Result<()> {
    // Replies go out at once, not held back for the client's delayed ACK.
    stream.set_nodelay(true)?;
    match security {
        Security::Plain => {
            session(stream, Phase::Plain, &state, &accepted).await?;
        }
        Security::Implicit(acceptor) => {
            let stream = acceptor.accept(stream).await?;
            session(stream, Phase::Tls, &state, &accepted).await?;
        }
        Security::StartTls(acceptor) => {
            if let Some(stream) = session(stream, Phase::BeforeStartTls, &state, &accepted).await? {
                let stream = acceptor.accept(stream).await?;
                // RFC 3207: the client starts over with EHLO, and no greeting is sent.
                session(stream, Phase::AfterStartTls, &state, &accepted).await?;
            }
        }
    }
    Ok(())
}

/// Where a session stands as to TLS.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    Plain,
    BeforeStartTls,
    AfterStartTls,
    Tls,
}

/// Speaks SMTP on `stream`; gives the stream back when the client asked for STARTTLS.
async fn session<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    phase: Phase,
    state: &Mutex<State>,
    accepted: &watch::Sender<usize>,
) -> std::io::Result<Option<S>> {
    let tls = matches!(phase, Phase::Tls | Phase::AfterStartTls);
    let mut lines = BufReader::new(stream);
    if phase != Phase::AfterStartTls {
        lines.write_all(b"220 localhost test ESMTP\r\n").await?;
    }
    let (mut from, mut to) = (String::new(), Vec::new());
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(None);
        }
        let command = line.trim_end().to_owned();
        let upper = command.to_ascii_uppercase();
        let reply: String = if upper.starts_with("EHLO") {
            if phase == Phase::BeforeStartTls {
                "250-localhost\r\n250-8BITMIME\r\n250-STARTTLS\r\n250 SIZE 104857600".into()
            } else {
                "250-localhost\r\n250-8BITMIME\r\n250 SIZE 104857600".into()
            }
        } else if upper == "STARTTLS" && phase == Phase::BeforeStartTls {
            lines.write_all(b"220 go ahead\r\n").await?;
            lines.flush().await?;
            return Ok(Some(lines.into_inner()));
        } else if upper.starts_with("HELO") || upper.starts_with("NOOP") {
            "250 OK".into()
        } else if upper.starts_with("RSET") {
            from.clear();
            to.clear();
            "250 OK".into()
        } else if upper.starts_with("MAIL FROM:") {
            from = address(&command[10..]);
            to.clear();
            "250 OK".into()
        } else if upper.starts_with("RCPT TO:") {
            let rcpt = address(&command[8..]);
            let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
            *s.attempts.entry(rcpt.clone()).or_default() += 1;
            let scripted = s.scripts.get_mut(&rcpt).and_then(VecDeque::pop_front);
            match scripted.or_else(|| s.always.get(&rcpt).cloned()) {
                Some(reply) => reply,
                None => {
                    to.push(rcpt);
                    "250 OK".into()
                }
            }
        } else if upper == "DATA" {
            if to.is_empty() {
                "554 no valid recipients".into()
            } else {
                lines.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
                lines.flush().await?;
                let mut data = Vec::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await? == 0 {
                        return Ok(None);
                    }
                    if line == ".\r\n" || line == ".\n" {
                        break;
                    }
                    let unstuffed = line.strip_prefix('.').unwrap_or(&line);
                    data.extend_from_slice(unstuffed.as_bytes());
                }
                let delay = state.lock().unwrap_or_else(|p| p.into_inner()).delay;
                if !delay.is_zero() {
                    tokio::time::sleep(delay).await;
                }
                let count = {
                    let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
                    s.received.push(Received {
                        from: from.clone(),
                        to: std::mem::take(&mut to),
                        data,
                        tls,
                    });
                    s.received.len()
                };
                accepted.send_replace(count);
                "250 OK queued".into()
            }
        } else if upper.starts_with("QUIT") {
            lines.write_all(b"221 bye\r\n").await?;
            lines.flush().await?;
            return Ok(None);
        } else {
            "502 command not implemented".into()
        };
        lines.write_all(format!("{reply}\r\n").as_bytes()).await?;
        lines.flush().await?;
    }
}

/// `<a@b.c> SIZE=123` → `a@b.c`.
fn address(arg: &str) -> String {
    let arg = arg.trim();
    match (arg.find('<'), arg.find('>')) {
        (Some(a), Some(b)) if a < b => arg[a + 1..b].to_owned(),
        _ => arg.split_whitespace().next().unwrap_or_default().to_owned(),
    }
}
