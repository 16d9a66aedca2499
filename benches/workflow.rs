//! The approval and distribution figures of issues 4 and 5, against a real SMTP server on
//! loopback in this process (client, daemon and mail server share the machine's cores, so
//! the figures are a floor):
//! - approval-page GETs per second (32 concurrent clients);
//! - time from the last approval's POST to the note being `issued`;
//! - messages per second from approval to the last accepted message, 500 recipients with
//!   a ~60 KB PDF, and lettre alone sending the same messages through the same pool; once
//!   against a server that answers at once, where the outbox's whole cost shows (and the
//!   approval POST's render), and once against a relay taking 5 ms a message.
//!
//! `cargo bench --bench workflow` (NOTESD_BENCH_SECONDS sets the GET run, default 5).

#[path = "../tests/common/smtp.rs"]
mod smtp;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use lettre::message::header::ContentType;
use lettre::message::{Attachment, MultiPart};
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use notesd::access::Role;
use notesd::app::Application;
use notesd::clock::SystemClock;
use notesd::config::{RuleSettings, Settings, StepSettings};
use notesd::service::TokenRequest;
use serde_json::{Value, json};
use smtp::SmtpServer;
use tokio::sync::Semaphore;

const APPROVER: &str = "approver@presidency.example";
const CLIENTS: usize = 32;
const RECIPIENTS: usize = 500;

struct Daemon {
    base: String,
    token: String,
    client: reqwest::Client,
}

impl Daemon {
    async fn start(settings: &Settings) -> Self {
        let app = Application::build(settings, Arc::new(SystemClock))
            .await
            .expect("the daemon starts");
        let base = format!("http://127.0.0.1:{}", app.port());
        let token = app
            .service()
            .create_token(TokenRequest {
                name: "Bench",
                role: Role::Drafter,
                email: None,
                units: &["JAI.1".to_owned()],
                expires_in: None,
            })
            .await
            .expect("a token")
            .1;
        tokio::spawn(app.run_until(std::future::pending()));
        Self {
            base,
            token,
            client: reqwest::Client::new(),
        }
    }

    /// Registers and submits a note; returns its id.
    async fn submit(&self, spec: &Value) -> String {
        let note: Value = self
            .client
            .post(format!("{}/api/notes", self.base))
            .bearer_auth(&self.token)
            .json(spec)
            .send()
            .await
            .expect("register")
            .json()
            .await
            .expect("a note");
        let id = note["id"].to_string();
        let submitted = self
            .client
            .post(format!("{}/api/notes/{id}/submit", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("submit");
        assert_eq!(submitted.status(), 200);
        id
    }

    fn local(&self, link: &str) -> String {
        link.replace("http://bench.example", &self.base)
    }
}

fn settings(dir: &std::path::Path, smtp: &SmtpServer, recipients: usize) -> Settings {
    let mut settings = Settings::load(None).expect("defaults");
    settings.database.url = format!("sqlite://{}/bench.db", dir.display()).into();
    settings.http.bind = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    settings.http.public_url = "http://bench.example".parse().expect("a public URL");
    settings.mail.transport = notesd::config::MailTransport::Smtp;
    settings.mail.smtp_url = Some(smtp.url().parse().expect("an SMTP URL"));
    settings.approval.steps = vec![StepSettings {
        name: "Presidency".to_owned(),
        approvers: vec![APPROVER.to_owned()],
        rule: RuleSettings::Word("any".to_owned()),
    }];
    let template = settings.lists["delegations"][0].clone();
    let list = settings.lists.entry("bench".to_owned()).or_default();
    for i in 0..recipients {
        let mut entry = template.clone();
        entry.code = format!("B{i}");
        entry.emails = vec![format!("d{i}@bench.example")];
        list.push(entry);
    }
    settings
}

fn spec(paragraphs: usize) -> Value {
    let paragraph = "The Council recalls that the Member States shall cooperate closely, in \
        full respect of the principle of subsidiarity, on the matters covered by this note, \
        and invites delegations to examine the text below ahead of the next meeting.";
    let body = (1..=paragraphs)
        .map(|i| format!("{i}. {paragraph} ({i})"))
        .collect::<Vec<_>>()
        .join("\n\n");
    json!({
        "language": "en", "from": "Presidency", "to": "Delegations",
        "subject": "Benchmark note", "codes": ["JAI"], "unit": "JAI.1",
        "initials": "AB/cd", "body": body, "distribution": ["bench"]
    })
}

async fn link_and_csrf(daemon: &Daemon, smtp: &SmtpServer, nth: usize) -> (String, String) {
    let mails = smtp
        .wait_for_to(APPROVER, nth, Duration::from_secs(30))
        .await;
    let mail = mails
        .iter()
        .rev()
        .find(|m| m.to[0] == APPROVER)
        .expect("an approval mail");
    let link = daemon.local(&mail.approval_link().expect("a link"));
    let page = daemon
        .client
        .get(&link)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let start = page.find("name=\"csrf\" value=\"").expect("a form") + 19;
    let csrf = page[start..].chars().take_while(|c| *c != '"').collect();
    (link, csrf)
}

/// CPU time this process has used (user and system), where Linux tells it: on a machine
/// of two cores, what the daemon burns is taken from the SMTP server and lettre.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // USER_HZ is 100 on every Linux architecture that matters here.
    Some(Duration::from_millis(ticks * 10))
}

fn cpu_since(start: Option<Duration>) -> String {
    match (start, cpu_time()) {
        (Some(a), Some(b)) => format!("{} ms", (b - a).as_millis()),
        _ => "unknown".to_owned(),
    }
}

#[tokio::main]
async fn main() {
    let seconds = std::env::var("NOTESD_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);

    // 1. Approval pages and approval → issued, with a short distribution list.
    let smtp = SmtpServer::start().await;
    let dir = tempfile::tempdir().expect("a folder");
    let daemon = Daemon::start(&settings(dir.path(), &smtp, 1)).await;
    daemon.submit(&spec(3)).await;
    let (link, _) = link_and_csrf(&daemon, &smtp, 1).await;
    let done = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (client, link, done) = (reqwest::Client::new(), link.clone(), done.clone());
            tokio::spawn(async move {
                while Instant::now() < deadline {
                    let response = client.get(&link).send().await.expect("GET");
                    assert_eq!(response.status(), 200);
                    response.bytes().await.expect("a page");
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("a client");
    }
    let gets = done.load(Ordering::Relaxed) as f64 / seconds as f64;
    println!("approval page GETs: {gets:.0}/s ({CLIENTS} clients, {seconds} s)");

    let mut issue_ms = Vec::new();
    for round in 0..15 {
        let id = daemon.submit(&spec(3)).await;
        let (link, csrf) = link_and_csrf(&daemon, &smtp, round + 2).await;
        let started = Instant::now();
        let response = daemon
            .client
            .post(&link)
            .form(&[("decision", "approve"), ("csrf", csrf.as_str())])
            .send()
            .await
            .expect("POST");
        assert_eq!(response.status(), 200);
        issue_ms.push(started.elapsed().as_secs_f64() * 1e3);
        let note: Value = daemon
            .client
            .get(format!("{}/api/notes/{id}", daemon.base))
            .bearer_auth(&daemon.token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(note["state"] == "issued" || note["state"] == "distributed");
    }
    issue_ms.sort_by(f64::total_cmp);
    println!(
        "last approval POST to issued (PDF rendered and stored, deliveries queued): median {:.1} ms, max {:.1} ms",
        issue_ms[issue_ms.len() / 2],
        issue_ms[issue_ms.len() - 1]
    );

    // 2. Distribution to 500 recipients, then lettre alone with the same messages: against
    // a server that answers at once (the outbox's whole cost shows), and against one that
    // takes 5 ms a message, as a relay that writes to disk does.
    for relay in [Duration::ZERO, Duration::from_millis(5)] {
        let notesd = distribute(relay).await;
        println!(
            "relay {} ms: notesd: {RECIPIENTS} messages with a {} KB PDF in {:.2} s: {:.0} msg/s (approval POST to last accepted), CPU {}",
            relay.as_millis(),
            notesd.pdf.len() / 1000,
            notesd.elapsed.as_secs_f64(),
            RECIPIENTS as f64 / notesd.elapsed.as_secs_f64(),
            notesd.cpu,
        );
        println!(
            "  of which the approval POST (final PDF rendered and stored, {RECIPIENTS} rows queued): {:.1} ms",
            notesd.issued.as_secs_f64() * 1e3
        );
        let (lettre, cpu) = lettre_alone(relay, notesd.pdf).await;
        println!(
            "relay {} ms: lettre alone: {RECIPIENTS} messages in {:.2} s: {:.0} msg/s, CPU {cpu}; the outbox costs {:+.0}%",
            relay.as_millis(),
            lettre.as_secs_f64(),
            RECIPIENTS as f64 / lettre.as_secs_f64(),
            (notesd.elapsed.as_secs_f64() / lettre.as_secs_f64() - 1.0) * 100.0
        );
    }
}

/// What a distribution through notesd took.
struct Distribution {
    /// From the last approval's POST to the last message accepted.
    elapsed: Duration,
    /// The approval POST alone.
    issued: Duration,
    cpu: String,
    pdf: Vec<u8>,
}

/// Issues a note to [`RECIPIENTS`] addresses through a daemon of its own.
async fn distribute(relay: Duration) -> Distribution {
    let smtp = SmtpServer::start().await;
    smtp.slow_down(relay);
    let dir = tempfile::tempdir().expect("a folder");
    let daemon = Daemon::start(&settings(dir.path(), &smtp, RECIPIENTS)).await;
    let id = daemon.submit(&spec(520)).await;
    let (link, csrf) = link_and_csrf(&daemon, &smtp, 1).await;
    let cpu = cpu_time();
    let started = Instant::now();
    let response = daemon
        .client
        .post(&link)
        .form(&[("decision", "approve"), ("csrf", csrf.as_str())])
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), 200);
    let issued = started.elapsed();
    smtp.wait_for_count(1 + RECIPIENTS, Duration::from_secs(300))
        .await;
    let elapsed = started.elapsed();
    let cpu = cpu_since(cpu);
    let pdf = daemon
        .client
        .get(format!("{}/api/notes/{id}/pdf", daemon.base))
        .bearer_auth(&daemon.token)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
        .to_vec();
    Distribution {
        elapsed,
        issued,
        cpu,
        pdf,
    }
}

/// The same messages through lettre alone: one pooled transport, 8 in flight.
async fn lettre_alone(relay: Duration, pdf: Vec<u8>) -> (Duration, String) {
    let alone = SmtpServer::start().await;
    alone.slow_down(relay);
    let transport =
        AsyncSmtpTransport::<Tokio1Executor>::from_url(&format!("smtp://{}", alone.addr))
            .expect("a URL")
            .pool_config(PoolConfig::new().max_size(8))
            .build();
    let permits = Arc::new(Semaphore::new(8));
    let cpu = cpu_time();
    let started = Instant::now();
    let mut sends = tokio::task::JoinSet::new();
    for i in 0..RECIPIENTS {
        let permit = permits.clone().acquire_owned().await.expect("a permit");
        let (transport, pdf) = (transport.clone(), pdf.clone());
        sends.spawn(async move {
            let message = Message::builder()
                .from(
                    "General Secretariat <notes@council.example>"
                        .parse()
                        .unwrap(),
                )
                .to(format!("d{i}@bench.example").parse().unwrap())
                .subject("Benchmark note")
                .message_id(Some(format!("<bench.{i}@council.example>")))
                .multipart(
                    MultiPart::mixed()
                        .multipart(MultiPart::alternative_plain_html(
                            "text".to_owned(),
                            "<p>html</p>".to_owned(),
                        ))
                        .singlepart(
                            Attachment::new("note.pdf".to_owned())
                                .body(pdf, ContentType::parse("application/pdf").unwrap()),
                        ),
                )
                .expect("a message");
            transport.send(message).await.expect("accepted");
            drop(permit);
        });
    }
    while sends.join_next().await.is_some() {}
    (started.elapsed(), cpu_since(cpu))
}
