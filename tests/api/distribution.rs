//! Issuing and distribution: the final PDF to every delegation once, through a real SMTP
//! server that refuses some recipients and defers others.

use std::collections::HashMap;
use std::time::Duration;

use notesd::config::{RuleSettings, Settings, StepSettings};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use sqlx::Connection;

use crate::approval::{A1, PUBLIC_URL, audit, decide, link_for, note};
use crate::helpers::{TestApp, TestDb, settings_for, spec, until_mail_of};
use crate::smtp::SmtpServer;

const WAIT: Duration = Duration::from_secs(20);
/// The delegation given a second address.
pub const SECOND: &str = "second.be@delegations.example";

/// One approval step (A1), mail through `smtp` with short retries, and the first delegation
/// with two addresses.
pub fn distribution_settings(db: &TestDb, smtp: &SmtpServer) -> Settings {
    let mut settings = settings_for(db);
    settings.http.public_url = PUBLIC_URL.parse().expect("a public URL");
    settings.mail.transport = notesd::config::MailTransport::Smtp;
    settings.mail.smtp_url = Some(smtp.url().parse().expect("an SMTP URL"));
    settings.mail.retry_initial = Duration::from_millis(200);
    settings.mail.retry_max = Duration::from_millis(500);
    settings.approval.steps = vec![StepSettings {
        name: "Presidency".to_owned(),
        approvers: vec![A1.to_owned()],
        rule: RuleSettings::Word("any".to_owned()),
    }];
    let delegations = settings
        .lists
        .get_mut("delegations")
        .expect("the delegations list");
    delegations[0].emails.push(SECOND.to_owned());
    settings
}

/// Gives the second delegation `n` more addresses: a distribution long enough to share
/// or to interrupt.
fn add_addresses(settings: &mut Settings, n: usize) {
    let delegations = settings
        .lists
        .get_mut("delegations")
        .expect("the delegations list");
    for i in 0..n {
        delegations[1]
            .emails
            .push(format!("extra{i}@delegations.example"));
    }
}

/// Every address of the delegations list, in protocol order.
fn addresses(settings: &Settings) -> Vec<String> {
    settings.lists["delegations"]
        .iter()
        .flat_map(|d| d.emails.clone())
        .collect()
}

/// Registers, submits and approves a note; returns its id once it is issued.
pub async fn issued(app: &TestApp, smtp: &SmtpServer) -> String {
    let id = app.register(&spec(&["JAI"])).await["id"].to_string();
    approved(app, smtp, &id).await;
    id
}

/// The issued PDF of note `id`, and its SHA-256 in lower-case hex.
pub async fn issued_pdf(app: &TestApp, id: &str) -> (Vec<u8>, String) {
    let pdf = app
        .get(&format!("/api/notes/{id}/pdf"))
        .await
        .bytes()
        .await
        .expect("the PDF")
        .to_vec();
    let sha256 = Sha256::digest(&pdf)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    (pdf, sha256)
}

/// Submits a registered note and approves it as A1; returns once it is issued.
pub async fn approved(app: &TestApp, smtp: &SmtpServer, id: &str) {
    let before = smtp.to(A1).len();
    assert_eq!(
        app.post(&format!("/api/notes/{id}/submit")).await.status(),
        200
    );
    let mails = smtp.wait_for_to(A1, before + 1, WAIT).await;
    let (status, page) = decide(app, &link_for(app, &mails, A1), "approve", "").await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(note(app, id).await["state"], "issued");
}

async fn deliveries(app: &TestApp, id: &str) -> Value {
    app.get(&format!("/api/notes/{id}/deliveries"))
        .await
        .json()
        .await
        .expect("deliveries")
}

/// Waits until the note is distributed; returns its deliveries.
pub async fn distributed(app: &TestApp, id: &str) -> Value {
    distributed_by(&[app], id).await
}

/// Waits until the note is distributed by any of `apps`, daemons sharing one database;
/// returns its deliveries as the first one reports them.
async fn distributed_by(apps: &[&TestApp], id: &str) -> Value {
    let app = apps[0];
    until_mail_of(apps, &format!("note {id} distributed"), || async move {
        note(app, id).await["state"] == "distributed"
    })
    .await;
    deliveries(app, id).await
}

fn by_recipient(deliveries: &Value) -> HashMap<String, Value> {
    deliveries["deliveries"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|d| {
            (
                d["recipient"].as_str().unwrap_or_default().to_owned(),
                d.clone(),
            )
        })
        .collect()
}

#[tokio::test]
async fn every_delegation_address_gets_the_issued_pdf_once() {
    let smtp = SmtpServer::start().await;
    let db = TestDb::sqlite();
    let settings = distribution_settings(&db, &smtp);
    let app = TestApp::spawn(&settings).await;
    let id = issued(&app, &smtp).await;
    let number = note(&app, &id).await["number"].as_str().unwrap().to_owned();

    let (pdf, sha256) = issued_pdf(&app, &id).await;
    let text = crate::documents::pdftotext(&pdf);
    assert!(
        !text.contains("DRAFT"),
        "the issued PDF carries no draft mark"
    );

    let report = distributed(&app, &id).await;
    let addresses = addresses(&settings);
    assert_eq!(addresses.len(), 28);
    assert_eq!(report["summary"]["sent"], 28);
    assert_eq!(report["summary"]["failed"], 0);
    let rows = by_recipient(&report);
    let mut message_ids = std::collections::HashSet::new();
    for address in &addresses {
        let mails = smtp.to(address);
        assert_eq!(mails.len(), 1, "{address} got {} messages", mails.len());
        let mail = &mails[0];
        let attachments = mail.attachments();
        assert_eq!(attachments.len(), 1);
        assert_eq!(
            attachments[0].0,
            format!("{}.pdf", number.replace('/', "-"))
        );
        assert_eq!(attachments[0].1, pdf, "{address}: the issued bytes");
        assert!(mail.text().contains(&sha256), "{}", mail.text());
        assert!(message_ids.insert(mail.message_id()));
        let row = &rows[address];
        assert_eq!(row["status"], "sent");
        assert_eq!(row["attempts"], 1);
        assert_eq!(row["list"], "delegations");
        assert!(row["sent_at"].is_string());
    }
    // The first delegation's two addresses: each its own message, both to that delegation.
    let names: Vec<String> = smtp
        .received()
        .iter()
        .filter(|m| m.to[0] == SECOND || m.to[0] == addresses[0])
        .map(|m| {
            m.parsed()
                .to()
                .and_then(|t| t.first())
                .and_then(|a| a.name())
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert_eq!(names.len(), 2);
    assert_eq!(names[0], names[1]);

    // The issued PDF never changes.
    assert_eq!(issued_pdf(&app, &id).await.0, pdf);
    let trail = audit(&app, &id).await;
    let last = trail.last().expect("entries");
    assert_eq!(last["action"], "distributed");
    assert_eq!(last["detail"], "28 sent, 0 failed");
    app.stop().await;
}

#[tokio::test]
async fn a_refused_address_fails_alone_and_a_deferred_one_is_sent_on_the_third_try() {
    let smtp = SmtpServer::start().await;
    let db = TestDb::sqlite();
    let settings = distribution_settings(&db, &smtp);
    let addresses = addresses(&settings);
    let (refused, deferred) = (addresses[3].clone(), addresses[7].clone());
    smtp.refuse(&refused, "550 5.1.1 mailbox unavailable");
    smtp.script(
        &deferred,
        &["451 4.3.0 try again later", "451 4.3.0 try again later"],
    );
    let app = TestApp::spawn(&settings).await;
    let id = issued(&app, &smtp).await;

    let report = distributed(&app, &id).await;
    assert_eq!(report["summary"]["sent"], 27);
    assert_eq!(report["summary"]["failed"], 1);
    let rows = by_recipient(&report);
    let failed = &rows[&refused];
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["attempts"], 1, "a 5xx is not retried");
    assert!(
        failed["last_error"].as_str().unwrap().contains("550"),
        "{failed}"
    );
    assert_eq!(rows[&deferred]["status"], "sent");
    assert_eq!(rows[&deferred]["attempts"], 3);
    assert_eq!(smtp.attempts(&deferred), 3);
    for address in &addresses {
        let expected = usize::from(*address != refused);
        assert_eq!(smtp.to(address).len(), expected, "{address}");
        if *address != refused && *address != deferred {
            assert_eq!(
                rows[address]["attempts"], 1,
                "{address} was not held up or repeated"
            );
        }
    }
    let trail = audit(&app, &id).await;
    assert_eq!(trail.last().unwrap()["detail"], "27 sent, 1 failed");

    // Re-queueing is for admins; it tries that one recipient again, and nobody else.
    let path = format!("/api/notes/{id}/deliveries/{refused}/retry");
    assert_eq!(app.post(&path).await.status(), 403);
    let response = app
        .client
        .post(app.url(&path))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    // Until the second try is recorded (a row's attempts count recorded tries).
    let (on, note_id, address) = (&app, id.as_str(), refused.as_str());
    app.until_mail("the re-queued try recorded", move || async move {
        by_recipient(&deliveries(on, note_id).await)[address]["attempts"] == 2
    })
    .await;
    let rows = by_recipient(&deliveries(&app, &id).await);
    assert_eq!(rows[&refused]["status"], "failed");
    assert_eq!(rows[&refused]["attempts"], 2);
    assert_eq!(smtp.received().iter().filter(|m| m.to[0] != A1).count(), 27);
    let unknown = format!("/api/notes/{id}/deliveries/nobody@example.org/retry");
    let response = app
        .client
        .post(app.url(&unknown))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    // It says what is missing: the note is there, a failed delivery to that address is not.
    let error: Value = response.json().await.expect("an error body");
    assert_eq!(
        error["error"]["message"],
        format!("note {id} has no failed delivery to `nobody@example.org`"),
        "{error}"
    );
    app.stop().await;
}

#[tokio::test]
async fn deliveries_wait_for_an_unreachable_server() {
    let smtp = SmtpServer::start().await;
    let port = smtp.addr.port();
    let db = TestDb::sqlite();
    let settings = distribution_settings(&db, &smtp);
    let app = TestApp::spawn(&settings).await;
    // The approval goes through; the server is gone when the note is issued.
    let id = app.register(&spec(&["JAI"])).await["id"].to_string();
    assert_eq!(
        app.post(&format!("/api/notes/{id}/submit")).await.status(),
        200
    );
    let mails = smtp.wait_for(1, WAIT).await;
    let link = link_for(&app, &mails, A1);
    let page = crate::approval::open(&app, &link).await.1;
    crate::approval::stop_smtp(smtp).await;
    let csrf = crate::approval::csrf_of(&page);
    assert_eq!(
        crate::approval::post_form(&app, &link, "approve", "", &csrf)
            .await
            .0,
        200
    );
    // Until every delivery was tried once and its failure recorded.
    let (on, note_id) = (&app, id.as_str());
    app.until_mail("every delivery tried", move || async move {
        let report = deliveries(on, note_id).await;
        let rows = report["deliveries"].as_array().cloned().unwrap_or_default();
        !rows.is_empty() && rows.iter().all(|d| d["attempts"].as_i64() >= Some(1))
    })
    .await;
    let report = deliveries(&app, &id).await;
    assert_eq!(report["summary"]["deferred"], 28, "{}", report["summary"]);
    assert!(report["deliveries"][0]["last_error"].is_string());

    let smtp = SmtpServer::start_on(port).await;
    let report = distributed(&app, &id).await;
    assert_eq!(report["summary"]["sent"], 28);
    for address in addresses(&settings) {
        assert_eq!(smtp.to(&address).len(), 1, "{address}");
    }
    app.stop().await;
}

#[tokio::test]
async fn two_daemons_on_one_postgres_database_send_each_message_once() {
    let Some(db) =
        TestDb::postgres("two_daemons_on_one_postgres_database_send_each_message_once").await
    else {
        return;
    };
    let smtp = SmtpServer::start().await;
    smtp.slow_down(Duration::from_millis(20));
    let mut settings = distribution_settings(&db, &smtp);
    add_addresses(&mut settings, 100);
    let first = TestApp::spawn(&settings).await;
    let second = TestApp::spawn(&settings).await;
    let id = issued(&first, &smtp).await;
    let report = distributed_by(&[&second, &first], &id).await;
    assert_eq!(report["summary"]["sent"], 128);
    for address in addresses(&settings) {
        assert_eq!(smtp.to(&address).len(), 1, "{address}");
    }
    first.stop().await;
    second.stop().await;
    db.remove().await;
}

#[tokio::test]
async fn an_issued_note_is_revised_as_rev_k_with_the_same_base_number() {
    let smtp = SmtpServer::start().await;
    let db = TestDb::sqlite();
    let app = TestApp::spawn(&distribution_settings(&db, &smtp)).await;
    let draft = app.register(&spec(&["JAI", "COSI"])).await;
    let path = format!("/api/notes/{}/revise", draft["id"]);
    let response = app.post(&path).await;
    assert_eq!(response.status(), 409, "only an issued note is revised");

    let id = issued(&app, &smtp).await;
    let original = note(&app, &id).await;
    let response = app
        .client
        .post(app.url(&format!("/api/notes/{id}/revise")))
        .bearer_auth(&app.token)
        .json(&json!({"subject": "Test note (revised)"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let rev1: Value = response.json().await.unwrap();
    let base = original["number"].as_str().unwrap().replace("/26", "");
    assert_eq!(rev1["number"], format!("{base}/1/26 REV 1"));
    assert_eq!(rev1["previous"], original["id"]);
    assert_eq!(rev1["codes"], original["codes"]);
    assert_eq!(rev1["state"], "draft");
    assert_eq!(rev1["spec"]["subject"], "Test note (revised)");
    assert_eq!(rev1["spec"]["body"], original["spec"]["body"]);

    // It goes through the same journey; revising it gives REV 2 of the same base number.
    let rev1_id = rev1["id"].to_string();
    assert_eq!(
        app.post(&format!("/api/notes/{rev1_id}/submit"))
            .await
            .status(),
        200
    );
    let mails = smtp.wait_for_to(A1, 2, WAIT).await;
    assert_eq!(
        decide(&app, &link_for(&app, &mails, A1), "approve", "")
            .await
            .0,
        200
    );
    assert_eq!(note(&app, &rev1_id).await["state"], "issued");
    let rev2: Value = app
        .post(&format!("/api/notes/{rev1_id}/revise"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(rev2["number"], format!("{base}/2/26 REV 2"));

    let bad = app
        .client
        .post(app.url(&format!("/api/notes/{id}/revise")))
        .bearer_auth(&app.token)
        .json(&json!({"codes": ["JAI"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);
    app.stop().await;
}

#[tokio::test]
async fn a_pdf_too_large_to_attach_goes_as_a_download_link() {
    let smtp = SmtpServer::start().await;
    let db = TestDb::sqlite();
    let mut settings = distribution_settings(&db, &smtp);
    settings.mail.max_attachment = 1_000;
    let app = TestApp::spawn(&settings).await;
    let id = issued(&app, &smtp).await;
    let pdf = app
        .get(&format!("/api/notes/{id}/pdf"))
        .await
        .bytes()
        .await
        .unwrap();
    distributed(&app, &id).await;
    let mails = smtp.to(&addresses(&settings)[5]);
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert!(mail.attachments().is_empty());
    let text = mail.text();
    let start = text
        .find(&format!("{PUBLIC_URL}/download/"))
        .expect("a download link");
    let link: String = text[start..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    let local = app.url(link.strip_prefix(PUBLIC_URL).unwrap());
    let response = app.client.get(&local).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    assert_eq!(response.bytes().await.unwrap(), pdf);

    // Valid for mail.download_ttl (7 days), not after.
    app.clock
        .set(crate::helpers::default_time() + jiff::SignedDuration::from_hours(7 * 24 + 1));
    assert_eq!(app.client.get(&local).send().await.unwrap().status(), 410);
    assert_eq!(
        app.client
            .get(app.url("/download/not-a-link"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    app.stop().await;
}

#[tokio::test]
async fn an_address_deferred_past_give_up_after_fails_with_its_last_reply() {
    let smtp = SmtpServer::start().await;
    let db = TestDb::sqlite();
    let settings = distribution_settings(&db, &smtp);
    let addresses = addresses(&settings);
    let greylisted = addresses[5].clone();
    smtp.refuse(&greylisted, "451 4.7.1 greylisted, try again later");
    let app = TestApp::spawn(&settings).await;
    let id = issued(&app, &smtp).await;
    let (server, address) = (&smtp, greylisted.as_str());
    app.until_mail("a retry of a 451", move || async move {
        server.attempts(address) >= 2
    })
    .await;
    let row = &by_recipient(&deliveries(&app, &id).await)[&greylisted];
    assert_eq!(row["status"], "deferred", "{row}");
    assert_eq!(note(&app, &id).await["state"], "issued");

    // mail.give_up_after (72 h by default) passes while the address still defers.
    app.clock
        .set(crate::helpers::default_time() + jiff::SignedDuration::from_hours(73));
    let report = distributed(&app, &id).await;
    assert_eq!(report["summary"]["sent"], 27);
    assert_eq!(report["summary"]["failed"], 1);
    let rows = by_recipient(&report);
    let failed = &rows[&greylisted];
    assert_eq!(failed["status"], "failed");
    let error = failed["last_error"].as_str().unwrap();
    assert!(error.starts_with("gave up after"), "{failed}");
    assert!(error.contains("451"), "the server's reply is kept: {error}");
    assert_eq!(
        error.matches("4.7.1 greylisted").count(),
        1,
        "said once: {error}"
    );
    assert_eq!(failed["attempts"], smtp.attempts(&greylisted));
    assert!(smtp.to(&greylisted).is_empty());
    for address in addresses.iter().filter(|a| **a != greylisted) {
        assert_eq!(smtp.to(address).len(), 1, "{address}");
    }
    let trail = audit(&app, &id).await;
    assert_eq!(trail.last().unwrap()["detail"], "27 sent, 1 failed");
    app.stop().await;
}

/// A clean stop in the middle of a distribution records every message the server accepted
/// and gives back the rows claimed ahead but not started: nothing waits out a lease, no
/// delivery counts a try it never had, and after a restart each address has one message.
async fn clean_stop_mid_distribution(db: TestDb) {
    let smtp = SmtpServer::start().await;
    smtp.slow_down(Duration::from_millis(10));
    let mut settings = distribution_settings(&db, &smtp);
    add_addresses(&mut settings, 150);
    let app = TestApp::spawn(&settings).await;
    let approvals = smtp.received().len() + 1;
    let id = issued(&app, &smtp).await;
    smtp.wait_for(approvals + 40, WAIT).await;
    app.stop().await;

    let accepted = smtp.received().len() - approvals;
    assert!(
        accepted < 178,
        "the stop came mid-distribution ({accepted} sent)"
    );
    let mut db_conn = sqlx::AnyConnection::connect(&db.url()).await.unwrap();
    let count = |sql: &'static str| sqlx::query_scalar::<_, i64>(sql);
    let claimed = count("SELECT COUNT(*) FROM outbox WHERE claimed_by IS NOT NULL")
        .fetch_one(&mut db_conn)
        .await
        .unwrap();
    assert_eq!(claimed, 0, "rows left claimed after a clean stop");
    let counted = count("SELECT COUNT(*) FROM outbox WHERE status = 'queued' AND attempts > 0")
        .fetch_one(&mut db_conn)
        .await
        .unwrap();
    assert_eq!(counted, 0, "unsent rows that count a try");
    let recorded = count("SELECT COUNT(*) FROM outbox WHERE kind = 'delivery' AND status = 'sent'")
        .fetch_one(&mut db_conn)
        .await
        .unwrap();
    assert_eq!(
        usize::try_from(recorded).unwrap(),
        accepted,
        "every accepted message recorded as sent"
    );
    db_conn.close().await.unwrap();

    let app = TestApp::spawn(&settings).await;
    let report = distributed(&app, &id).await;
    assert_eq!(report["summary"]["sent"], 178);
    for address in addresses(&settings) {
        assert_eq!(smtp.to(&address).len(), 1, "{address}");
    }
    for delivery in report["deliveries"].as_array().unwrap() {
        assert_eq!(delivery["attempts"], 1, "{delivery}");
    }
    app.stop().await;
    db.remove().await;
}

#[tokio::test]
async fn a_clean_stop_mid_distribution_loses_and_repeats_nothing_on_sqlite() {
    clean_stop_mid_distribution(TestDb::sqlite()).await;
}

#[tokio::test]
async fn a_clean_stop_mid_distribution_loses_and_repeats_nothing_on_postgres() {
    if let Some(db) =
        TestDb::postgres("a_clean_stop_mid_distribution_loses_and_repeats_nothing_on_postgres")
            .await
    {
        clean_stop_mid_distribution(db).await;
    }
}
