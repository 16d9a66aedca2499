//! The outbox: at the service layer, with no mail worker running (claiming and recording
//! results in batches larger than one statement takes, retries whose delays overflow the
//! calendar), and end to end (a re-queued delivery too large to attach, link secrets that
//! do not outlive the send, files only their owner may read).

use std::sync::Arc;
use std::time::Duration;

use jiff::SignedDuration;
use notesd::access::{ActorId, ClientInfo, Principal, Role};
use notesd::clock::ShiftedClock;
use notesd::config::{RuleSettings, StepSettings};
use notesd::outbox::{Attempt, DeliveryStatus, MailKind, Next, QueuedMail, SendOutcome};
use notesd::service::Service;
use notesd::store::Store;
use serde_json::{Value, json};
use sqlx::{Connection, Row};

use crate::approval::{A1, PUBLIC_URL, decide, link_for, note};
use crate::helpers::{TestApp, TestDb, UNIT, default_time, settings_for, spec};
use crate::smtp::SmtpServer;

const WAIT: Duration = Duration::from_secs(20);

const ROWS: usize = 250;

/// Row `i` of the batch: most are accepted, some refused for good, some deferred.
fn result_of(i: usize) -> SendOutcome {
    match i % 50 {
        7 => SendOutcome::Refused(format!("550 5.1.1 no such user r{i}")),
        9 => SendOutcome::Transient("451 4.3.0 try again later".to_owned()),
        _ => SendOutcome::Sent,
    }
}

/// One batch of 250 results, more than one multi-row statement holds: every row gets its
/// own outcome, error and the time its own send ended.
async fn one_batch_of_many_results(db: TestDb) {
    let settings = settings_for(&db);
    let (service, store, note) = service_with_queued(&db, &settings, ROWS).await;

    let rows = service.claim_mail("w-test", 1000).await.expect("claimed");
    assert_eq!(rows.len(), ROWS);
    assert!(
        service
            .claim_mail("w-other", 1000)
            .await
            .unwrap()
            .is_empty(),
        "claimed rows are not claimed twice"
    );
    let ended = |i: usize| default_time() + SignedDuration::from_millis(3 * i as i64 + 1);
    let attempts: Vec<Attempt> = rows
        .into_iter()
        .enumerate()
        .map(|(i, mail)| {
            assert_eq!(mail.context["n"], i, "claimed in queue order");
            Attempt {
                mail,
                outcome: result_of(i),
                ended: ended(i),
            }
        })
        .collect();
    service.record_attempts(&attempts).await.expect("recorded");

    let deliveries = store.deliveries(note).await.expect("deliveries");
    assert_eq!(deliveries.len(), ROWS);
    for (i, delivery) in deliveries.iter().enumerate() {
        assert_eq!(delivery.recipient, format!("r{i}@many.example"));
        assert_eq!(delivery.attempts, 1, "{delivery:?}");
        match result_of(i) {
            SendOutcome::Sent => {
                assert_eq!(delivery.status, DeliveryStatus::Sent, "{delivery:?}");
                assert_eq!(delivery.sent_at, Some(ended(i)), "{delivery:?}");
                assert_eq!(delivery.last_error, None);
            }
            SendOutcome::Refused(e) | SendOutcome::Unbuildable(e) => {
                assert_eq!(delivery.status, DeliveryStatus::Failed, "{delivery:?}");
                assert_eq!(delivery.last_error.as_deref(), Some(e.as_str()));
                assert_eq!(delivery.sent_at, None);
            }
            SendOutcome::Transient(e) => {
                assert_eq!(delivery.status, DeliveryStatus::Deferred, "{delivery:?}");
                assert_eq!(delivery.last_error.as_deref(), Some(e.as_str()));
            }
        }
    }
    // Nothing is claimed any more: the deferred rows come back when their retry is due.
    assert!(
        service
            .claim_mail("w-other", 1000)
            .await
            .unwrap()
            .is_empty()
    );
    store.close().await;
    db.remove().await;
}

#[tokio::test]
async fn one_batch_of_many_results_keeps_each_rows_outcome_on_sqlite() {
    one_batch_of_many_results(TestDb::sqlite()).await;
}

#[tokio::test]
async fn one_batch_of_many_results_keeps_each_rows_outcome_on_postgres() {
    if let Some(db) =
        TestDb::postgres("one_batch_of_many_results_keeps_each_rows_outcome_on_postgres").await
    {
        one_batch_of_many_results(db).await;
    }
}

/// A service on `db` with one registered note and a delivery queued for it to each of
/// `recipients` addresses.
async fn service_with_queued(
    db: &TestDb,
    settings: &notesd::config::Settings,
    recipients: usize,
) -> (Service, Store, notesd::note::NoteId) {
    let store = Store::connect(&db.url()).await.expect("the database");
    store.migrate().await.expect("migrations");
    let clock = Arc::new(ShiftedClock::new(default_time()));
    let service = Service::new(store.clone(), settings, clock).expect("a service");
    let who = Principal {
        id: ActorId::Token(1),
        name: "Test Drafter".to_owned(),
        role: Role::Drafter,
        email: None,
        units: vec![UNIT.to_owned()],
        client: ClientInfo::default(),
    };
    let note = service
        .register(&who, spec(&["JAI"]))
        .await
        .expect("registered");
    let mails: Vec<QueuedMail> = (0..recipients)
        .map(|i| QueuedMail {
            note_id: Some(note.id),
            kind: MailKind::Delivery,
            recipient: format!("r{i}@many.example"),
            recipient_name: Some(format!("Recipient {i}")),
            list: Some("many".to_owned()),
            context: json!({ "n": i }),
            secret: None,
            now: default_time(),
        })
        .collect();
    let mut tx = store.begin().await.expect("a transaction");
    tx.enqueue_all(&mails).await.expect("queued");
    tx.commit().await.expect("committed");
    (service, store, note.id)
}

/// Durations beyond the calendar (which `check` refuses, but a worker must survive): a
/// transient failure is deferred to the end of time instead of panicking the worker.
#[tokio::test]
async fn retry_times_past_the_calendar_saturate_instead_of_panicking() {
    let db = TestDb::sqlite();
    let mut settings = settings_for(&db);
    let forever = Duration::from_secs(u64::MAX / 4);
    settings.mail.retry_initial = forever;
    settings.mail.retry_max = forever;
    settings.mail.give_up_after = forever;
    assert!(
        settings
            .problems()
            .iter()
            .any(|p| p.starts_with("mail.retry_max:")),
        "check refuses it"
    );
    let (service, store, note) = service_with_queued(&db, &settings, 1).await;
    let rows = service.claim_mail("w-test", 10).await.expect("claimed");
    let attempts: Vec<Attempt> = rows
        .into_iter()
        .map(|mail| Attempt {
            mail,
            outcome: SendOutcome::Transient("451 4.3.0 try again later".to_owned()),
            ended: default_time(),
        })
        .collect();
    let nexts = service.record_attempts(&attempts).await.expect("recorded");
    assert!(
        matches!(nexts[0], Next::Deferred { until, .. } if until == jiff::Timestamp::MAX),
        "{nexts:?}"
    );
    let deliveries = store.deliveries(note).await.expect("deliveries");
    assert_eq!(deliveries[0].status, DeliveryStatus::Deferred);
    store.close().await;
}

/// A mail no message can be built for (its address has a local part longer than the 64
/// characters lettre allows) fails at its first try, where a transient failure would be
/// retried until `mail.give_up_after`. Queued straight into the outbox: an address that
/// `EmailAddress` accepts and lettre refuses is exactly what should never reach a row.
async fn a_mail_that_cannot_be_built_fails_at_its_first_try(db: TestDb) {
    let app = TestApp::spawn(&settings_for(&db)).await;
    let note = app.register(&spec(&["JAI"])).await;
    let recipient = format!("{}@unit.example", "a".repeat(65));
    let mut tx = app.service.store().begin().await.expect("a transaction");
    tx.enqueue(&QueuedMail {
        note_id: Some(note["id"].as_i64().expect("an id")),
        kind: MailKind::ChangesRequested,
        recipient: recipient.clone(),
        recipient_name: None,
        list: None,
        context: json!({
            "number": note["number"],
            "subject": "Subject",
            "version": 1,
            "step": "Presidency",
            "approver": "approver@presidency.example",
            "comment": "Shorter, please.",
        }),
        secret: None,
        now: default_time(),
    })
    .await
    .expect("queued");
    tx.commit().await.expect("committed");
    app.service.mail_queued().notify_one();

    let row = || async {
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect(&db.url())
            .await
            .expect("the database");
        let row = sqlx::query(
            "SELECT status, attempts, COALESCE(last_error, '') AS last_error FROM outbox \
             WHERE recipient = $1",
        )
        .bind(&recipient)
        .fetch_one(&mut conn)
        .await
        .expect("the row");
        let _ = conn.close().await;
        (
            row.get::<String, _>("status"),
            row.get::<i64, _>("attempts"),
            row.get::<String, _>("last_error"),
        )
    };
    app.until_mail("the mail tried once", || async { row().await.1 > 0 })
        .await;
    let (status, attempts, error) = row().await;
    assert_eq!(status, "failed", "{error}");
    assert_eq!(attempts, 1);
    assert!(error.contains("cannot be built"), "{error}");
    app.stop().await;
    db.remove().await;
}

#[tokio::test]
async fn a_mail_that_cannot_be_built_fails_at_its_first_try_on_sqlite() {
    a_mail_that_cannot_be_built_fails_at_its_first_try(TestDb::sqlite()).await;
}

#[tokio::test]
async fn a_mail_that_cannot_be_built_fails_at_its_first_try_on_postgres() {
    if let Some(db) =
        TestDb::postgres("a_mail_that_cannot_be_built_fails_at_its_first_try_on_postgres").await
    {
        a_mail_that_cannot_be_built_fails_at_its_first_try(db).await;
    }
}

/// Every text column of every outbox row, and how many rows still hold a secret.
async fn outbox_contents(db: &TestDb) -> (String, i64) {
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&db.url())
        .await
        .expect("the database");
    let rows = sqlx::query(
        "SELECT recipient, context, COALESCE(secret, '') AS secret, \
         COALESCE(last_error, '') AS last_error FROM outbox",
    )
    .fetch_all(&mut conn)
    .await
    .expect("the outbox");
    let text: String = rows
        .iter()
        .map(|r| {
            ["recipient", "context", "secret", "last_error"]
                .map(|c| r.get::<String, _>(c))
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n");
    let held: i64 = sqlx::query("SELECT COUNT(*) AS n FROM outbox WHERE secret IS NOT NULL")
        .fetch_one(&mut conn)
        .await
        .expect("a count")
        .get("n");
    let _ = conn.close().await;
    (text, held)
}

/// The download link in a delivery mail's text.
fn download_link(text: &str) -> Option<String> {
    let start = text.find(&format!("{PUBLIC_URL}/download/"))?;
    Some(
        text[start..]
            .chars()
            .take_while(|c| !c.is_whitespace())
            .collect(),
    )
}

/// Polls the deliveries until `recipient`'s status is `status`.
async fn wait_status(app: &TestApp, id: &str, recipient: &str, status: &str) {
    let started = std::time::Instant::now();
    loop {
        let body: Value = app
            .get(&format!("/api/notes/{id}/deliveries"))
            .await
            .json()
            .await
            .expect("deliveries");
        let found = body["deliveries"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|d| d["recipient"] == recipient && d["status"] == status);
        if found {
            return;
        }
        assert!(started.elapsed() < WAIT, "{recipient} not {status}: {body}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A PDF above `mail.max_attachment` to a delegation refused once (550, failed) and then
/// re-queued: the second try sends a download link too, never the PDF; and once everything
/// is sent or failed no outbox row holds a link's secret.
async fn a_requeued_oversize_delivery_sends_a_link_and_no_secret_survives(db: TestDb) {
    let smtp = SmtpServer::start().await;
    let mut settings = settings_for(&db);
    settings.http.public_url = PUBLIC_URL.parse().expect("a public URL");
    settings.mail.transport = notesd::config::MailTransport::Smtp;
    settings.mail.smtp_url = Some(smtp.url().parse().expect("an SMTP URL"));
    settings.mail.max_attachment = 1_000;
    settings.approval.steps = vec![StepSettings {
        name: "Presidency".to_owned(),
        approvers: vec![A1.to_owned()],
        rule: RuleSettings::Word("any".to_owned()),
    }];
    let refused = settings.lists["delegations"][0].emails[0].clone();
    smtp.script(&refused, &["550 5.1.1 mailbox unavailable"]);
    let app = TestApp::spawn(&settings).await;
    let id = app.register(&spec(&["JAI"])).await["id"].to_string();
    assert_eq!(
        app.post(&format!("/api/notes/{id}/submit")).await.status(),
        200
    );
    let mails = smtp.wait_for_to(A1, 1, WAIT).await;
    let (status, page) = decide(&app, &link_for(&app, &mails, A1), "approve", "").await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(note(&app, &id).await["state"], "issued");
    wait_status(&app, &id, &refused, "failed").await;

    let retry = format!("/api/notes/{id}/deliveries/{refused}/retry");
    let response = app
        .client
        .post(app.url(&retry))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .expect("POST retry");
    assert_eq!(response.status(), 200);
    let received = smtp.wait_for_to(&refused, 1, WAIT).await;
    let mail = received
        .iter()
        .find(|m| m.is_to(&refused))
        .expect("the re-queued delivery");
    assert!(
        mail.attachments().is_empty(),
        "the retry attached the PDF above mail.max_attachment"
    );
    let link = download_link(&mail.text()).expect("a download link in the retry");
    let local = app.url(link.strip_prefix(PUBLIC_URL).expect("under public_url"));
    let response = app.client.get(&local).send().await.expect("GET the link");
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    wait_status(&app, &id, &refused, "sent").await;
    while note(&app, &id).await["state"] != "distributed" {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let (outbox, held) = outbox_contents(&db).await;
    assert_eq!(held, 0, "rows still hold a secret after their send");
    let mut secrets: Vec<String> = smtp
        .received()
        .iter()
        .filter_map(|m| download_link(&m.text()).or_else(|| m.approval_link()))
        .filter_map(|l| l.rsplit('/').next().map(str::to_owned))
        .collect();
    secrets.dedup();
    assert!(
        secrets.len() > 27,
        "every mail had a link: {}",
        secrets.len()
    );
    for secret in &secrets {
        assert!(
            !outbox.contains(secret.as_str()),
            "{secret} is still in the outbox"
        );
    }
    app.stop().await;
    db.remove().await;
}

#[tokio::test]
async fn a_requeued_oversize_delivery_sends_a_link_and_no_secret_survives_on_sqlite() {
    a_requeued_oversize_delivery_sends_a_link_and_no_secret_survives(TestDb::sqlite()).await;
}

#[tokio::test]
async fn a_requeued_oversize_delivery_sends_a_link_and_no_secret_survives_on_postgres() {
    if let Some(db) = TestDb::postgres(
        "a_requeued_oversize_delivery_sends_a_link_and_no_secret_survives_on_postgres",
    )
    .await
    {
        a_requeued_oversize_delivery_sends_a_link_and_no_secret_survives(db).await;
    }
}

#[cfg(unix)]
#[tokio::test]
async fn mail_files_and_the_database_are_readable_by_their_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| {
        std::fs::metadata(p)
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
            .permissions()
            .mode()
            & 0o777
    };
    let root = tempfile::tempdir().expect("a folder");
    let db_dir = root.path().join("data/db");
    let mail_dir = root.path().join("spool/mail");
    let mut settings = settings_for(&TestDb::sqlite());
    settings.database.url = format!("sqlite://{}/notesd.db", db_dir.display()).into();
    settings.mail.dir = mail_dir.clone();
    let app = TestApp::spawn(&settings).await;
    let id = app.register(&spec(&["JAI"])).await["id"].to_string();
    assert_eq!(
        app.post(&format!("/api/notes/{id}/submit")).await.status(),
        200
    );
    let started = std::time::Instant::now();
    let eml = loop {
        let found = std::fs::read_dir(&mail_dir)
            .expect("the mail folder")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|x| x == "eml"));
        if let Some(path) = found {
            break path;
        }
        assert!(started.elapsed() < WAIT, "no .eml written");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(mode(&eml), 0o600, "{}", eml.display());
    for dir in [
        &mail_dir,
        &root.path().join("spool"),
        &db_dir,
        &root.path().join("data"),
    ] {
        assert_eq!(mode(dir), 0o700, "{}", dir.display());
    }
    // While the daemon runs, SQLite holds its write-ahead log and shared memory open.
    for file in ["notesd.db", "notesd.db-wal", "notesd.db-shm"] {
        assert_eq!(mode(&db_dir.join(file)), 0o600, "{file}");
    }
    app.stop().await;
}
