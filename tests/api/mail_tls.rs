//! Mail on the wire: TLS to the relay (STARTTLS required by default, implicit TLS with
//! smtps://, plain text only when the URL says so) against a loopback server whose
//! certificate comes from a CA made for the test, and DKIM signatures checked against the
//! public key.

use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use rsa::pkcs8::DecodePublicKey;
use rsa::{Pkcs1v15Sign, RsaPublicKey};
use sha2::{Digest, Sha256};
use sqlx::{Connection, Row};

use crate::approval::{A1, A2, chain_settings, submitted};
use crate::helpers::{TestApp, TestDb, spec};
use crate::smtp::{SmtpServer, TestCa};

const WAIT: Duration = Duration::from_secs(20);

/// Submits a note; both first-step approvers' mails arrive over TLS.
async fn mails_arrive_over_tls(smtp: &SmtpServer, ca: &TestCa) {
    let db = TestDb::sqlite();
    let folder = tempfile::tempdir().expect("a folder");
    let mut settings = chain_settings(&db, smtp);
    settings.mail.tls_ca_file = Some(ca.write_to(folder.path()));
    let app = TestApp::spawn(&settings).await;
    let (_, mails) = submitted(&app, smtp).await;
    for to in [A1, A2] {
        let mail = crate::approval::mail_to(&mails, to);
        assert!(mail.tls, "the mail to {to} came in plain text");
        assert!(mail.approval_link().is_some());
    }
    app.stop().await;
}

#[tokio::test]
async fn smtp_urls_send_through_starttls_by_default() {
    let ca = TestCa::new();
    let smtp = SmtpServer::start_starttls(&ca).await;
    assert!(
        !smtp.url().contains('?'),
        "the default form: {}",
        smtp.url()
    );
    mails_arrive_over_tls(&smtp, &ca).await;
}

#[tokio::test]
async fn smtps_urls_send_through_implicit_tls() {
    let ca = TestCa::new();
    let smtp = SmtpServer::start_implicit_tls(&ca).await;
    mails_arrive_over_tls(&smtp, &ca).await;
}

/// The first outbox row's status and last error, once it is no longer queued.
async fn first_row_once_tried(db: &TestDb) -> (String, String) {
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&db.url())
        .await
        .expect("the database");
    let started = std::time::Instant::now();
    loop {
        let row = sqlx::query(
            "SELECT status, last_error FROM outbox WHERE status <> 'queued' ORDER BY id LIMIT 1",
        )
        .fetch_optional(&mut conn)
        .await
        .expect("the outbox");
        if let Some(row) = row {
            let error: Option<String> = row.get("last_error");
            return (row.get("status"), error.unwrap_or_default());
        }
        assert!(started.elapsed() < WAIT, "no try recorded within {WAIT:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_server_without_starttls_is_not_used_unless_the_url_says_tls_none() {
    let smtp = SmtpServer::start().await;
    let db = TestDb::sqlite();
    let mut settings = chain_settings(&db, &smtp);
    settings.mail.smtp_url = Some(
        format!("smtp://{}", smtp.addr)
            .parse()
            .expect("an SMTP URL"),
    );
    let app = TestApp::spawn(&settings).await;
    let id = app.register(&spec(&["JAI"])).await["id"].to_string();
    assert_eq!(
        app.post(&format!("/api/notes/{id}/submit")).await.status(),
        200
    );
    let (status, error) = first_row_once_tried(&db).await;
    assert_eq!(status, "deferred", "a missing STARTTLS is worth retrying");
    assert!(
        error.contains("STARTTLS is not supported") && error.contains("?tls=none"),
        "{error}"
    );
    app.stop().await;
    assert!(smtp.received().is_empty(), "nothing went out in plain text");

    // The same server, with the URL saying plain text is meant.
    assert!(smtp.url().ends_with("?tls=none"));
    let db = TestDb::sqlite();
    let app = TestApp::spawn(&chain_settings(&db, &smtp)).await;
    let (_, mails) = submitted(&app, &smtp).await;
    assert!(!crate::approval::mail_to(&mails, A1).tls);
    app.stop().await;
}

/// The tags of a DKIM-Signature header value, with folding whitespace removed.
fn tags(value: &str) -> Vec<(String, String)> {
    value
        .split(';')
        .filter_map(|t| t.split_once('='))
        .map(|(k, v)| {
            let v: String = v.chars().filter(|c| !c.is_whitespace()).collect();
            (k.trim().to_owned(), v)
        })
        .collect()
}

/// RFC 6376 3.4.2: a header field, relaxed: lower-case name, unfolded, runs of white space
/// as one space, none at the ends of the value.
fn relaxed_header(field: &str) -> String {
    let (name, value) = field.split_once(':').expect("a header field");
    let unfolded = value.replace("\r\n", "");
    let value = unfolded
        .split([' ', '\t'])
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>();
    format!("{}:{}", name.trim().to_lowercase(), value.join(" "))
}

/// RFC 6376 3.4.4: the body, relaxed.
fn relaxed_body(body: &str) -> String {
    let mut lines: Vec<String> = body
        .split("\r\n")
        .map(|line| {
            let mut out = String::new();
            let mut space = false;
            for c in line.chars() {
                if c == ' ' || c == '\t' {
                    space = true;
                } else {
                    if space {
                        out.push(' ');
                    }
                    space = false;
                    out.push(c);
                }
            }
            out
        })
        .collect();
    while lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    lines.iter().map(|l| format!("{l}\r\n")).collect()
}

/// A DKIM public key as a `_domainkey` TXT record publishes it.
#[derive(Clone)]
enum PublicKey {
    Ed25519(Vec<u8>),
    Rsa(RsaPublicKey),
}

impl PublicKey {
    fn algorithm(&self) -> &'static str {
        match self {
            Self::Ed25519(_) => "ed25519-sha256",
            Self::Rsa(_) => "rsa-sha256",
        }
    }

    /// Checks `signature` over the SHA-256 of the signed data (RFC 6376 3.3, RFC 8463).
    fn verify(&self, hash: &[u8], signature: &[u8]) -> Result<(), String> {
        match self {
            Self::Ed25519(raw) => {
                let key = VerifyingKey::from_bytes(
                    raw.as_slice().try_into().map_err(|_| "a 32-byte key")?,
                )
                .map_err(|e| e.to_string())?;
                let signature = Signature::from_slice(signature).map_err(|e| e.to_string())?;
                key.verify(hash, &signature).map_err(|e| e.to_string())
            }
            Self::Rsa(key) => key
                .verify(Pkcs1v15Sign::new::<Sha256>(), hash, signature)
                .map_err(|e| e.to_string()),
        }
    }
}

/// Verifies the DKIM signature of a raw message for `domain` and `selector` with
/// `public_key`, as a receiving server does; the reason when it fails.
fn verify_dkim(
    raw: &[u8],
    domain: &str,
    selector: &str,
    public_key: &PublicKey,
) -> Result<(), String> {
    let raw = std::str::from_utf8(raw).map_err(|e| e.to_string())?;
    let (head, body) = raw.split_once("\r\n\r\n").ok_or("no body")?;
    // Header fields, each with its continuation lines.
    let mut fields: Vec<String> = Vec::new();
    for line in head.split("\r\n") {
        match (line.starts_with([' ', '\t']), fields.last_mut()) {
            (true, Some(last)) => {
                last.push_str("\r\n");
                last.push_str(line);
            }
            _ => fields.push(line.to_owned()),
        }
    }
    let name_of = |f: &str| {
        f.split(':')
            .next()
            .unwrap_or_default()
            .trim()
            .to_lowercase()
    };
    let signature_field = fields
        .iter()
        .find(|f| name_of(f) == "dkim-signature")
        .ok_or("no DKIM-Signature")?;
    let (_, value) = signature_field.split_once(':').ok_or("a bad field")?;
    let tag = |name: &str| {
        tags(value)
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
            .ok_or(format!("no {name}= tag"))
    };
    for (name, expected) in [
        ("v", "1"),
        ("a", public_key.algorithm()),
        ("c", "relaxed/relaxed"),
        ("d", domain),
        ("s", selector),
    ] {
        let got = tag(name)?;
        if got != expected {
            return Err(format!("{name}={got}, expected {expected}"));
        }
    }
    let body_hash = STANDARD.encode(Sha256::digest(relaxed_body(body).as_bytes()));
    if body_hash != tag("bh")? {
        return Err("the body hash does not match".to_owned());
    }
    // The signed fields, each taken from the bottom up, then the signature field itself
    // with an empty b= and no final CRLF.
    let mut data = String::new();
    let mut used = vec![false; fields.len()];
    for name in tag("h")?.split(':') {
        let name = name.to_lowercase();
        if let Some(i) = (0..fields.len())
            .rev()
            .find(|&i| !used[i] && name_of(&fields[i]) == name)
        {
            used[i] = true;
            data.push_str(&relaxed_header(&fields[i]));
            data.push_str("\r\n");
        }
    }
    let emptied: Vec<String> = signature_field
        .split(';')
        .map(|t| match t.trim_start().strip_prefix("b=") {
            Some(_) => format!("{}b=", &t[..t.len() - t.trim_start().len()]),
            None => t.to_owned(),
        })
        .collect();
    data.push_str(&relaxed_header(&emptied.join(";")));
    let signature = STANDARD.decode(tag("b")?).map_err(|e| e.to_string())?;
    public_key
        .verify(&Sha256::digest(data.as_bytes()), &signature)
        .map_err(|e| format!("the signature does not verify: {e}"))
}

/// A new Ed25519 key in PKCS#8 PEM at `dir/name`, and its public half.
fn ed25519_key(dir: &Path, name: &str) -> (PathBuf, PublicKey) {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).expect("an Ed25519 key");
    let path = dir.join(name);
    std::fs::write(&path, key.serialize_pem()).expect("write the key");
    (path, PublicKey::Ed25519(key.public_key_raw().to_vec()))
}

/// The test RSA key (PKCS#1 PEM, as `openssl genrsa -traditional` writes) and its public
/// half as published.
fn rsa_key() -> (PathBuf, PublicKey) {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let public =
        std::fs::read_to_string(data.join("dkim-rsa-test-only.pub.pem")).expect("the public key");
    let public = RsaPublicKey::from_public_key_pem(&public).expect("an RSA public key");
    (data.join("dkim-rsa-test-only.pem"), PublicKey::Rsa(public))
}

/// Submits a note with `mail.dkim.*` set to `key_file`; both mails verify with `public`,
/// and fail once changed or checked against `other`.
async fn mails_are_signed(key_file: PathBuf, public: &PublicKey, other: &PublicKey) {
    let smtp = SmtpServer::start().await;
    let db = TestDb::sqlite();
    let mut settings = chain_settings(&db, &smtp);
    settings.mail.dkim.domain = Some("council.example".to_owned());
    settings.mail.dkim.selector = Some("notes2026".to_owned());
    settings.mail.dkim.key_file = Some(key_file);
    assert_eq!(settings.problems(), Vec::<String>::new());
    let app = TestApp::spawn(&settings).await;
    let (_, mails) = submitted(&app, &smtp).await;
    assert_eq!(mails.len(), 2);
    let verify =
        |raw: &[u8], key: &PublicKey| verify_dkim(raw, "council.example", "notes2026", key);
    for mail in &mails {
        verify(&mail.data, public)
            .unwrap_or_else(|e| panic!("{e}:\n{}", String::from_utf8_lossy(&mail.data)));
        // The check is real: a changed subject or body, or another key, fails it.
        let text = String::from_utf8_lossy(&mail.data).into_owned();
        let subject = text.replacen("Subject: ", "Subject: Re: ", 1);
        assert!(verify(subject.as_bytes(), public).is_err());
        let body = text.replacen("\r\n\r\n", "\r\n\r\nX", 1);
        assert!(verify(body.as_bytes(), public).is_err());
        assert!(verify(&mail.data, other).is_err());
    }
    app.stop().await;
}

#[tokio::test]
async fn every_message_is_dkim_signed_with_an_ed25519_key() {
    let folder = tempfile::tempdir().expect("a folder");
    let (key_file, public) = ed25519_key(folder.path(), "dkim.pem");
    let (_, other) = ed25519_key(folder.path(), "other.pem");
    mails_are_signed(key_file, &public, &other).await;
}

#[tokio::test]
async fn every_message_is_dkim_signed_with_an_rsa_key() {
    let folder = tempfile::tempdir().expect("a folder");
    let (key_file, public) = rsa_key();
    let (_, other) = ed25519_key(folder.path(), "other.pem");
    mails_are_signed(key_file, &public, &other).await;
}

#[test]
fn check_names_the_dkim_key_that_is_missing_or_unreadable() {
    let db = TestDb::sqlite();
    let smtp_free = crate::helpers::settings_for(&db);
    let mut settings = smtp_free.clone();
    settings.mail.dkim.domain = Some("council.example".to_owned());
    let problems = settings.problems().join("\n");
    assert!(
        problems.contains("mail.dkim.selector: is required"),
        "{problems}"
    );
    assert!(
        problems.contains("mail.dkim.key_file: is required"),
        "{problems}"
    );
    settings.mail.dkim.selector = Some("s".to_owned());
    settings.mail.dkim.key_file = Some("/nonexistent/dkim.pem".into());
    let problems = settings.problems().join("\n");
    assert!(
        problems.contains("mail.dkim.key_file: /nonexistent/dkim.pem"),
        "{problems}"
    );
}
