//! `GET /metrics` parsed as OpenMetrics text, strictly, after a registration, a render, an
//! approval and a distribution with one deferred and one refused address: every counter and
//! histogram moved by exactly what happened, and no label holds a request's path.

use std::collections::BTreeMap;
use std::time::Duration;

use notesd::config::{RuleSettings, StepSettings};

use crate::approval::{A1, PUBLIC_URL, decide, link_for};
use crate::helpers::{TestApp, TestDb, settings_for, spec};
use crate::smtp::SmtpServer;

const WAIT: Duration = Duration::from_secs(20);

/// One sample line: `name{label="value",…} value`.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// A scrape, checked line by line against the OpenMetrics text format as it is parsed.
#[derive(Debug)]
struct Exposition {
    samples: Vec<Sample>,
}

/// The sample names a family of `kind` may have.
fn suffixes(kind: &str) -> &'static [&'static str] {
    match kind {
        "counter" => &["_total", "_created"],
        "gauge" => &[""],
        "histogram" => &["_bucket", "_count", "_sum", "_created"],
        other => panic!("unexpected metric type {other}"),
    }
}

fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// `label="value",…}` up to and including the closing brace, escapes undone.
fn parse_labels(text: &str, line: &str) -> (BTreeMap<String, String>, usize) {
    let mut labels = BTreeMap::new();
    let mut chars = text.char_indices().peekable();
    loop {
        if let Some((i, '}')) = chars.peek().copied() {
            return (labels, i + 1);
        }
        let mut key = String::new();
        for (_, c) in chars.by_ref() {
            if c == '=' {
                break;
            }
            key.push(c);
        }
        assert!(is_name(&key), "bad label name {key:?} in {line}");
        assert_eq!(chars.next().map(|(_, c)| c), Some('"'), "{line}");
        let mut value = String::new();
        loop {
            match chars.next().map(|(_, c)| c) {
                Some('"') => break,
                Some('\\') => match chars.next().map(|(_, c)| c) {
                    Some('n') => value.push('\n'),
                    Some(c @ ('\\' | '"')) => value.push(c),
                    other => panic!("bad escape {other:?} in {line}"),
                },
                Some(c) => value.push(c),
                None => panic!("unterminated label value in {line}"),
            }
        }
        assert!(
            labels.insert(key.clone(), value).is_none(),
            "label {key} twice in {line}"
        );
        match chars.next() {
            Some((_, ',')) => {}
            Some((i, '}')) => return (labels, i + 1),
            other => panic!("unexpected {other:?} after a label in {line}"),
        }
    }
}

fn parse(text: &str) -> Exposition {
    let body = text
        .strip_suffix("# EOF\n")
        .unwrap_or_else(|| panic!("the text does not end with # EOF: {text}"));
    let mut types: BTreeMap<String, String> = BTreeMap::new();
    let mut current: Option<(String, String)> = None;
    let mut samples = Vec::new();
    for line in body.lines() {
        if let Some(rest) = line.strip_prefix("# ") {
            let mut parts = rest.splitn(3, ' ');
            let (keyword, family) = (parts.next(), parts.next().unwrap_or(""));
            let argument = parts.next().unwrap_or("");
            assert!(is_name(family), "bad family name in {line}");
            match keyword {
                Some("TYPE") => {
                    suffixes(argument);
                    assert!(
                        types
                            .insert(family.to_owned(), argument.to_owned())
                            .is_none(),
                        "family {family} declared twice"
                    );
                    current = Some((family.to_owned(), argument.to_owned()));
                }
                Some("HELP" | "UNIT") => assert!(!argument.is_empty(), "empty {line}"),
                _ => panic!("unexpected comment {line}"),
            }
            continue;
        }
        let end = line
            .find(['{', ' '])
            .unwrap_or_else(|| panic!("no value in {line}"));
        let name = &line[..end];
        let (labels, rest) = if line[end..].starts_with('{') {
            let (labels, used) = parse_labels(&line[end + 1..], line);
            (labels, &line[end + 1 + used..])
        } else {
            (BTreeMap::new(), &line[end..])
        };
        let value = rest
            .strip_prefix(' ')
            .unwrap_or_else(|| panic!("no single space before the value in {line}"));
        let value: f64 = value
            .parse()
            .unwrap_or_else(|_| panic!("bad value in {line}"));
        let (family, kind) = current
            .as_ref()
            .unwrap_or_else(|| panic!("{line} comes before any # TYPE"));
        assert!(
            suffixes(kind)
                .iter()
                .any(|s| name.strip_suffix(s) == Some(family.as_str())),
            "{name} is not a sample of the {kind} {family}"
        );
        samples.push(Sample {
            name: name.to_owned(),
            labels,
            value,
        });
    }
    let exposition = Exposition { samples };
    exposition.check_histograms();
    exposition
}

impl Exposition {
    /// The value of the one sample with exactly these name and labels.
    fn value(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        let wanted: BTreeMap<String, String> = labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let found: Vec<&Sample> = self
            .samples
            .iter()
            .filter(|s| s.name == name && s.labels == wanted)
            .collect();
        assert_eq!(found.len(), 1, "{name}{labels:?} in {:#?}", self.samples);
        found[0].value
    }

    /// Observations in a histogram's series, 0 when the series is absent.
    fn observed(&self, histogram: &str, labels: &[(&str, &str)]) -> f64 {
        let count = format!("{histogram}_count");
        let present = self.samples.iter().any(|s| {
            s.name == count
                && s.labels.len() == labels.len()
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(v))
        });
        if present {
            self.value(&count, labels)
        } else {
            0.0
        }
    }

    fn samples_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Sample> {
        self.samples.iter().filter(move |s| s.name == name)
    }

    /// Each histogram series: buckets that only grow, the `+Inf` one equal to its count.
    fn check_histograms(&self) {
        for count in self.samples.iter().filter(|s| s.name.ends_with("_count")) {
            let family = count.name.trim_end_matches("_count");
            let bucket = format!("{family}_bucket");
            let buckets: Vec<(f64, f64)> = self
                .samples_named(&bucket)
                .filter(|b| {
                    let mut labels = b.labels.clone();
                    labels.remove("le");
                    labels == count.labels
                })
                .map(|b| (b.labels["le"].parse().expect("a bound"), b.value))
                .collect();
            assert!(!buckets.is_empty(), "{} has no buckets", count.name);
            assert!(
                buckets
                    .windows(2)
                    .all(|w| w[0].0 < w[1].0 && w[0].1 <= w[1].1),
                "{bucket} is not cumulative: {buckets:?}"
            );
            let last = buckets[buckets.len() - 1];
            assert!(last.0.is_infinite(), "{bucket} lacks +Inf");
            assert_eq!(last.1, count.value, "{bucket}{{le=\"+Inf\"}} vs its count");
        }
    }
}

async fn scrape(app: &TestApp) -> Exposition {
    let response = app.get_anonymous("/metrics").await;
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("application/openmetrics-text; version=1.0.0"),
        "{content_type}"
    );
    parse(&response.text().await.expect("a text"))
}

/// Scrapes after each batch the mail worker records until `done` holds: the counts move
/// when a send's result is committed, which the worker signals.
async fn scrape_until(app: &TestApp, done: impl Fn(&Exposition) -> bool) -> Exposition {
    app.until_mail("the awaited mail counts", || async {
        done(&scrape(app).await)
    })
    .await;
    scrape(app).await
}

const SENDS: &str = "notesd_mail_sends_total";
const REQUESTS: &str = "notesd_http_request_duration_seconds";

async fn counts_what_happened(db: TestDb) {
    let smtp = SmtpServer::start().await;
    let mut settings = settings_for(&db);
    settings.http.public_url = PUBLIC_URL.parse().expect("a public URL");
    settings.mail.transport = notesd::config::MailTransport::Smtp;
    settings.mail.smtp_url = Some(smtp.url().parse().expect("an SMTP URL"));
    settings.mail.retry_initial = Duration::from_millis(100);
    settings.mail.retry_max = Duration::from_millis(200);
    settings.approval.steps = vec![StepSettings {
        name: "Presidency".to_owned(),
        approvers: vec![A1.to_owned()],
        rule: RuleSettings::Word("any".to_owned()),
    }];
    let delegations = settings
        .lists
        .get_mut("delegations")
        .expect("the delegations list");
    delegations.truncate(3);
    let to: Vec<String> = delegations.iter().flat_map(|d| d.emails.clone()).collect();
    assert_eq!(to.len(), 3);
    smtp.refuse(&to[1], "550 5.1.1 mailbox unavailable");
    smtp.script(&to[2], &["451 4.3.0 try again later"]);
    let app = TestApp::spawn(&settings).await;

    let before = scrape(&app).await;
    for class in ["1xx", "2xx", "3xx", "4xx", "5xx"] {
        let requests = before.value("notesd_http_requests_total", &[("status", class)]);
        assert_eq!(requests, 0.0);
    }
    for outcome in ["sent", "deferred", "failed"] {
        assert_eq!(before.value(SENDS, &[("outcome", outcome)]), 0.0);
    }

    let id = app.register(&spec(&["JAI"])).await["id"].to_string();
    assert_eq!(app.get(&format!("/api/notes/{id}/pdf")).await.status(), 200);
    assert_eq!(
        app.get(&format!("/api/notes/{id}/nowhere")).await.status(),
        404
    );
    let submit = app.post(&format!("/api/notes/{id}/submit")).await;
    assert_eq!(submit.status(), 200);
    let mails = smtp.wait_for_to(A1, 1, WAIT).await;
    let link = link_for(&app, &mails, A1);
    let (status, page) = decide(&app, &link, "approve", "").await;
    assert_eq!(status, 200, "{page}");

    // One approval mail and three deliveries: one sent at once, one refused, one deferred
    // once and then sent.
    let after = scrape_until(&app, |m| {
        m.value(SENDS, &[("outcome", "sent")]) == 3.0
            && m.value(SENDS, &[("outcome", "failed")]) == 1.0
    })
    .await;
    assert_eq!(after.value(SENDS, &[("outcome", "deferred")]), 1.0);
    assert_eq!(
        after.observed("notesd_mail_send_duration_seconds", &[]),
        5.0
    );
    assert_eq!(smtp.attempts(&to[2]), 2);
    for (status, n) in [
        ("queued", 0.0),
        ("sent", 3.0),
        ("deferred", 0.0),
        ("failed", 1.0),
    ] {
        let rows = after.value("notesd_outbox_messages", &[("status", status)]);
        assert_eq!(rows, n, "{status}");
    }

    // The draft once (kept for submit and the approval mail), the issued PDF once.
    let renders = "notesd_render_duration_seconds";
    assert_eq!(after.observed(renders, &[("kind", "draft")]), 1.0);
    assert_eq!(after.observed(renders, &[("kind", "issued")]), 1.0);
    let approvals = "notesd_approvals_total";
    assert_eq!(after.value(approvals, &[("decision", "approve")]), 1.0);
    assert_eq!(after.value(approvals, &[("decision", "reject")]), 0.0);
    assert_eq!(
        after.value("notesd_notes", &[("state", "distributed")]),
        1.0
    );
    assert_eq!(after.value("notesd_notes", &[("state", "draft")]), 0.0);

    // Requests by route pattern: never the note's id, never the link's secret.
    for (route, method, status) in [
        ("/api/notes", "POST", "2xx"),
        ("/api/notes/{id}/pdf", "GET", "2xx"),
        ("/api/notes/{id}/submit", "POST", "2xx"),
        ("/approve/{token}", "GET", "2xx"),
        ("/approve/{token}", "POST", "2xx"),
        ("unmatched", "GET", "4xx"),
    ] {
        let labels = [("route", route), ("method", method), ("status", status)];
        assert_eq!(after.observed(REQUESTS, &labels), 1.0, "{labels:?}");
    }
    let secret = link.rsplit('/').next().expect("a secret");
    for sample in after.samples_named(&format!("{REQUESTS}_count")) {
        let route = &sample.labels["route"];
        assert!(!route.contains(secret), "{route}");
        assert!(!route.chars().any(|c| c.is_ascii_digit()), "{route}");
    }
    // The counter by status class agrees with the histograms (scrapes included).
    for class in ["2xx", "4xx"] {
        let observed: f64 = after
            .samples_named(&format!("{REQUESTS}_count"))
            .filter(|s| s.labels["status"] == class)
            .map(|s| s.value)
            .sum();
        let counted = after.value("notesd_http_requests_total", &[("status", class)]);
        assert_eq!(counted, observed, "{class}");
    }
    assert_eq!(
        after.value("notesd_http_requests_total", &[("status", "4xx")]),
        1.0
    );
    app.stop().await;
    db.remove().await;
}

#[tokio::test]
async fn metrics_count_what_happened_on_sqlite() {
    counts_what_happened(TestDb::sqlite()).await;
}

#[tokio::test]
async fn metrics_count_what_happened_on_postgres() {
    if let Some(db) = TestDb::postgres("metrics_count_what_happened_on_postgres").await {
        counts_what_happened(db).await;
    }
}
