//! The approval chain end to end: links read out of the mails a real SMTP server received,
//! pages that change nothing when looked at, decisions that count once.

use std::time::Duration;

use notesd::config::{RuleSettings, Settings, StepSettings};
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{DRAFTER, TestApp, TestDb, settings_for, spec};
use crate::smtp::{Received, SmtpServer};

pub const A1: &str = "a1@unit.example";
pub const A2: &str = "a2@unit.example";
pub const B1: &str = "b1@coreper.example";
pub const B2: &str = "b2@coreper.example";
pub const PUBLIC_URL: &str = "https://notes.presidency.example";
const WAIT: Duration = Duration::from_secs(10);

/// Settings with a two-step chain (any of A1/A2, then all of B1/B2), mail through `smtp`,
/// and short retry delays.
pub fn chain_settings(db: &TestDb, smtp: &SmtpServer) -> Settings {
    let mut settings = settings_for(db);
    settings.http.public_url = PUBLIC_URL.parse().expect("a public URL");
    settings.mail.transport = notesd::config::MailTransport::Smtp;
    settings.mail.smtp_url = Some(smtp.url().parse().expect("an SMTP URL"));
    settings.mail.retry_initial = Duration::from_millis(200);
    settings.mail.retry_max = Duration::from_secs(1);
    let step = |name: &str, approvers: [&str; 2], rule: &str| StepSettings {
        name: name.to_owned(),
        approvers: approvers.map(str::to_owned).to_vec(),
        rule: RuleSettings::Word(rule.to_owned()),
    };
    settings.approval.steps = vec![
        step("unit", [A1, A2], "any"),
        step("coreper", [B1, B2], "all"),
    ];
    settings
}

/// The one approval mail to `to` among `mails` (the latest when there are several).
pub fn mail_to<'a>(mails: &'a [Received], to: &str) -> &'a Received {
    mails
        .iter()
        .rev()
        .find(|m| m.to.iter().any(|t| t == to))
        .unwrap_or_else(|| panic!("no mail to {to}"))
}

/// The link of the approval mail to `to`, pointed at the test server: it was built from
/// `http.public_url`, never from a request's Host.
pub fn link_for(app: &TestApp, mails: &[Received], to: &str) -> String {
    let link = mail_to(mails, to)
        .approval_link()
        .expect("a link in the mail");
    let path = link
        .strip_prefix(PUBLIC_URL)
        .unwrap_or_else(|| panic!("{link} is not under http.public_url"));
    app.url(path)
}

pub async fn open(app: &TestApp, link: &str) -> (StatusCode, String) {
    let response = app.client.get(link).send().await.expect("GET the link");
    let status = response.status();
    (status, response.text().await.expect("a page"))
}

pub fn csrf_of(page: &str) -> String {
    let start = page
        .find("name=\"csrf\" value=\"")
        .unwrap_or_else(|| panic!("no csrf field in {page}"))
        + 19;
    page[start..].chars().take_while(|c| *c != '"').collect()
}

/// Posts the form of the page behind `link`, as a browser would after opening it.
pub async fn decide(
    app: &TestApp,
    link: &str,
    decision: &str,
    comment: &str,
) -> (StatusCode, String) {
    let csrf = csrf_of(&open(app, link).await.1);
    post_form(app, link, decision, comment, &csrf).await
}

pub async fn post_form(
    app: &TestApp,
    link: &str,
    decision: &str,
    comment: &str,
    csrf: &str,
) -> (StatusCode, String) {
    let response = app
        .client
        .post(link)
        .header("user-agent", "approval-test/1.0")
        .form(&[("decision", decision), ("comment", comment), ("csrf", csrf)])
        .send()
        .await
        .expect("POST the form");
    let status = response.status();
    (status, response.text().await.expect("a page"))
}

pub async fn note(app: &TestApp, id: &str) -> Value {
    app.get_note(id).await.json().await.expect("a note")
}

pub async fn audit(app: &TestApp, id: &str) -> Vec<Value> {
    let body: Value = app
        .get(&format!("/api/notes/{id}/audit"))
        .await
        .json()
        .await
        .expect("a trail");
    body["audit"].as_array().cloned().unwrap_or_default()
}

/// Registers and submits a note; returns its id once both first-step mails arrived.
pub async fn submitted(app: &TestApp, smtp: &SmtpServer) -> (String, Vec<Received>) {
    let before = (smtp.to(A1).len(), smtp.to(A2).len());
    let id = app.register(&spec(&["JAI"])).await["id"].to_string();
    let response = app.post(&format!("/api/notes/{id}/submit")).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("a note");
    assert_eq!(body["state"], "in_review");
    smtp.wait_for_to(A1, before.0 + 1, WAIT).await;
    (id, smtp.wait_for_to(A2, before.1 + 1, WAIT).await)
}

/// Waits until the worker recorded `n` mails of a note as sent.
async fn wait_mailed(app: &TestApp, id: &str, n: usize) {
    app.until_mail(&format!("{n} mails of note {id} recorded"), || async move {
        audit(app, id)
            .await
            .iter()
            .filter(|e| e["action"] == "mailed")
            .count()
            >= n
    })
    .await;
}

/// Stops `smtp` and returns once its port refuses connections: what follows meets a
/// server that is gone, not one still closing.
pub async fn stop_smtp(smtp: SmtpServer) {
    let addr = smtp.addr;
    smtp.stop();
    drop(smtp);
    while tokio::net::TcpStream::connect(addr).await.is_ok() {
        tokio::task::yield_now().await;
    }
}

/// How many outbox rows are in one of `statuses`.
async fn outbox_rows(db: &TestDb, statuses: &[&str]) -> i64 {
    let store = app_store(db).await;
    let mut count = 0;
    for status in statuses {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM outbox WHERE status = $1")
            .bind(*status)
            .fetch_one(&store)
            .await
            .expect("the outbox");
        count += n;
    }
    store.close().await;
    count
}

#[tokio::test]
async fn a_two_step_chain_is_driven_from_the_mails() {
    let smtp = SmtpServer::start().await;
    let db = TestDb::sqlite();
    let app = TestApp::spawn(&chain_settings(&db, &smtp)).await;
    let (id, mails) = submitted(&app, &smtp).await;
    let number = note(&app, &id).await["number"].as_str().unwrap().to_owned();

    // Each first-step approver has a mail with a text and an HTML part, a link under the
    // public URL, and the draft attached.
    for to in [A1, A2] {
        let mail = mail_to(&mails, to);
        assert!(mail.subject().contains(&number), "{}", mail.subject());
        assert!(mail.html().contains("/approve/"));
        assert!(
            mail.message_id().starts_with("notesd."),
            "{}",
            mail.message_id()
        );
        let attachments = mail.attachments();
        assert_eq!(attachments.len(), 1);
        assert_eq!(attachments[0].0, number.replace('/', "-") + ".pdf");
        assert!(attachments[0].1.starts_with(b"%PDF-"));
    }
    assert_ne!(link_for(&app, &mails, A1), link_for(&app, &mails, A2));

    let viewed = note(&app, &id).await;
    assert_eq!(viewed["steps"][0]["status"], "pending");
    assert_eq!(viewed["steps"][1]["status"], "waiting");

    let (status, page) = open(&app, &link_for(&app, &mails, A1)).await;
    assert_eq!(status, 200);
    assert!(page.contains(&number) && page.contains("Test note") && page.contains("unit"));
    let (status, page) = decide(&app, &link_for(&app, &mails, A1), "approve", "").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("approval of"), "{page}");

    // Step two: both coreper approvers get links; the other unit approver's is spent.
    let mails = smtp.wait_for(4, WAIT).await;
    let (status, page) = open(&app, &link_for(&app, &mails, A2)).await;
    assert_eq!(status, 410, "{page}");
    let viewed = note(&app, &id).await;
    assert_eq!(viewed["state"], "in_review");
    assert_eq!(viewed["steps"][0]["status"], "approved");
    assert_eq!(viewed["steps"][1]["status"], "pending");

    let (status, _) = decide(&app, &link_for(&app, &mails, B1), "approve", "").await;
    assert_eq!(status, 200);
    assert_eq!(
        note(&app, &id).await["state"],
        "in_review",
        "all of coreper must approve"
    );
    let (status, page) = decide(&app, &link_for(&app, &mails, B2), "approve", "Fine.").await;
    assert_eq!(status, 200);
    // The page showed who had already decided.
    let viewed = note(&app, &id).await;
    assert_eq!(viewed["state"], "issued", "{page}");
    assert_eq!(viewed["steps"][1]["approvers"][1]["comment"], "Fine.");

    let trail = audit(&app, &id).await;
    let actions: Vec<&str> = trail
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for expected in ["registered", "submitted", "mailed", "approved", "issued"] {
        assert!(actions.contains(&expected), "{actions:?}");
    }
    let approvals: Vec<&Value> = trail.iter().filter(|e| e["action"] == "approved").collect();
    assert_eq!(approvals.len(), 3);
    assert_eq!(approvals[0]["actor"], A1);
    assert_eq!(approvals[0]["client"], "127.0.0.1");
    assert_eq!(approvals[0]["user_agent"], "approval-test/1.0");
    app.stop().await;
}

#[tokio::test]
async fn looking_at_a_link_changes_nothing() {
    let smtp = SmtpServer::start().await;
    let db = TestDb::sqlite();
    let app = TestApp::spawn(&chain_settings(&db, &smtp)).await;
    let (id, mails) = submitted(&app, &smtp).await;
    // Let the worker record the mails it sent before taking the snapshot.
    wait_mailed(&app, &id, 2).await;
    let link = link_for(&app, &mails, A1);
    let tokens = || async {
        let store = app_store(&db).await;
        let rows: Vec<(i64, String, i64)> =
            sqlx::query_as("SELECT id, status, reminded FROM approval_tokens ORDER BY id")
                .fetch_all(&store)
                .await
                .expect("the tokens");
        rows
    };
    let before = (
        note(&app, &id).await,
        audit(&app, &id).await,
        tokens().await,
    );
    for _ in 0..3 {
        let response = app.client.get(&link).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["cache-control"], "no-store");
        assert_eq!(response.headers()["referrer-policy"], "no-referrer");
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("<form method=\"post\"")
        );
    }
    let head = app.client.head(&link).send().await.unwrap();
    assert_eq!(head.status(), 200);
    assert!(head.text().await.unwrap().is_empty());
    let pdf = app.client.get(format!("{link}/pdf")).send().await.unwrap();
    assert_eq!(pdf.status(), 200);
    assert!(pdf.bytes().await.unwrap().starts_with(b"%PDF-"));
    let after = (
        note(&app, &id).await,
        audit(&app, &id).await,
        tokens().await,
    );
    assert_eq!(before, after);
    assert_eq!(before.2.len(), 2);
    assert!(before.2.iter().all(|(_, status, _)| status == "pending"));
    app.stop().await;
}

/// A read connection to a test's SQLite database, to look at what the API does not show.
pub async fn app_store(db: &TestDb) -> sqlx::AnyPool {
    sqlx::any::install_default_drivers();
    sqlx::AnyPool::connect(&db.url())
        .await
        .expect("the test database")
}

#[tokio::test]
async fn forged_reused_spent_expired_and_superseded_links_are_refused() {
    let smtp = SmtpServer::start().await;
    let db = TestDb::sqlite();
    let mut settings = chain_settings(&db, &smtp);
    // The clock jumps three days below; no reminders meanwhile.
    settings.approval.remind_after = Duration::from_secs(30 * 86_400);
    let app = TestApp::spawn(&settings).await;
    let (id, mails) = submitted(&app, &smtp).await;

    // Forged: unknown, 404, on GET and POST alike.
    let forged = app.url("/approve/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    assert_eq!(open(&app, &forged).await.0, 404);
    assert_eq!(post_form(&app, &forged, "approve", "", "x").await.0, 404);

    // A form that did not come from the link's page.
    let a1 = link_for(&app, &mails, A1);
    let (status, _) = post_form(&app, &a1, "approve", "", "not-the-csrf-value").await;
    assert_eq!(status, 403);
    assert_eq!(note(&app, &id).await["steps"][0]["status"], "pending");

    // Reused, and spent (the other approver of the any-of step).
    let csrf = csrf_of(&open(&app, &a1).await.1);
    assert_eq!(post_form(&app, &a1, "approve", "", &csrf).await.0, 200);
    // What people did; the worker's "mailed" entries come and go on their own schedule.
    let decisions = || async {
        let trail = audit(&app, &id).await;
        trail
            .into_iter()
            .filter(|e| e["action"] != "mailed")
            .count()
    };
    let trail = decisions().await;
    let (status, page) = post_form(&app, &a1, "approve", "", &csrf).await;
    assert_eq!(status, 410);
    assert!(page.contains("already been used"), "{page}");
    let a2 = link_for(&app, &mails, A2);
    assert_eq!(open(&app, &a2).await.0, 410);
    let (status, page) = post_form(&app, &a2, "reject", "late", &csrf_of_link(&a2)).await;
    assert_eq!(status, 410);
    assert!(page.contains("already been decided"), "{page}");
    assert_eq!(decisions().await, trail, "refusals leave no trace");

    // Expired: three days and a minute later.
    let mails = smtp.wait_for(4, WAIT).await;
    wait_mailed(&app, &id, 4).await;
    let b1 = link_for(&app, &mails, B1);
    let csrf = csrf_of(&open(&app, &b1).await.1);
    app.clock
        .set(crate::helpers::default_time() + jiff::SignedDuration::from_mins(72 * 60 + 1));
    let (status, page) = post_form(&app, &b1, "approve", "", &csrf).await;
    assert_eq!(status, 410);
    assert!(page.contains("expired"), "{page}");
    assert_eq!(
        note(&app, &id).await["steps"][1]["approvers"][0]["decision"],
        Value::Null
    );
    app.clock.set(crate::helpers::default_time());

    // Superseded by an edit: changes requested, the note edited, the old links dead.
    let (status, _) = decide(&app, &link_for(&app, &mails, B2), "reject", "Redo point 2.").await;
    assert_eq!(status, 200);
    assert_eq!(app.put_note(&id, &spec(&["JAI"])).await.status(), 200);
    let (status, page) = open(&app, &b1).await;
    assert_eq!(status, 410);
    assert!(page.contains("since been changed"), "{page}");
    // Submitted again, the new version goes out with new links; the old ones stay dead.
    assert_eq!(
        app.post(&format!("/api/notes/{id}/submit")).await.status(),
        200
    );
    let mails = smtp.wait_for(7, WAIT).await;
    assert_ne!(link_for(&app, &mails, A1), a1);
    assert_eq!(open(&app, &a1).await.0, 410);
    assert_eq!(open(&app, &link_for(&app, &mails, A1)).await.0, 200);
    assert_eq!(note(&app, &id).await["review_round"], 2);
    app.stop().await;
}

/// The CSRF value a page would carry, for links whose page can no longer be opened.
fn csrf_of_link(link: &str) -> String {
    let secret = link.rsplit('/').next().unwrap_or_default();
    notesd::service::csrf_for(secret)
}

#[tokio::test]
async fn requesting_changes_needs_a_comment_and_the_drafter_is_told() {
    let smtp = SmtpServer::start().await;
    let db = TestDb::sqlite();
    let app = TestApp::spawn(&chain_settings(&db, &smtp)).await;
    let (id, mails) = submitted(&app, &smtp).await;
    let a1 = link_for(&app, &mails, A1);

    let (status, page) = decide(&app, &a1, "reject", "   ").await;
    assert_eq!(status, 422);
    assert!(page.contains("comment is required"), "{page}");
    assert_eq!(note(&app, &id).await["state"], "in_review");

    let comment = "Point 3 contradicts the Council's position of 12 May.";
    let (status, page) = decide(&app, &a1, "reject", comment).await;
    assert_eq!(status, 200, "{page}");
    // The decision commits before its page is answered.
    let viewed = note(&app, &id).await;
    assert_eq!(viewed["state"], "changes_requested");
    assert_eq!(viewed["steps"][0]["status"], "changes_requested");
    let mails = smtp.wait_for(3, WAIT).await;
    let notice = mail_to(&mails, DRAFTER);
    assert!(
        notice.subject().starts_with("Changes requested"),
        "{}",
        notice.subject()
    );
    assert!(notice.text().contains(comment), "{}", notice.text());
    assert!(notice.text().contains(A1));
    // The other approver's link closed with the review.
    assert_eq!(open(&app, &link_for(&app, &mails, A2)).await.0, 410);

    // The drafter left (`user disable`) while a second note was in review: the note's
    // subject and the comment are not mailed to them.
    let (other, mails) = submitted(&app, &smtp).await;
    let drafter: notesd::address::EmailAddress = DRAFTER.parse().expect("an address");
    app.service
        .add_user(&drafter, "Test Drafter", notesd::access::Role::Drafter, &[])
        .await
        .expect("the drafter is a person");
    app.service.disable_user(&drafter).await.expect("disabled");
    let (status, page) = decide(&app, &link_for(&app, &mails, A1), "reject", comment).await;
    assert_eq!(status, 200, "{page}");
    // (The drafter's token ended with them: read as the admin.)
    let viewed: Value = app
        .client
        .get(app.url(&format!("/api/notes/{other}")))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .expect("GET the note")
        .json()
        .await
        .expect("a note");
    assert_eq!(viewed["state"], "changes_requested");
    let pool = app_store(&db).await;
    let (queued,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM outbox WHERE recipient = $1 AND note_id = $2")
            .bind(DRAFTER)
            .bind(other.parse::<i64>().expect("an id"))
            .fetch_one(&pool)
            .await
            .expect("a count");
    assert_eq!(queued, 0, "no notice for a disabled drafter");
    app.stop().await;
}

#[tokio::test]
async fn approval_mail_waits_for_the_smtp_server_to_come_back() {
    let smtp = SmtpServer::start().await;
    let port = smtp.addr.port();
    let db = TestDb::sqlite();
    let app = TestApp::spawn(&chain_settings(&db, &smtp)).await;
    stop_smtp(smtp).await;

    let id = app.register(&spec(&["JAI"])).await["id"].to_string();
    assert_eq!(
        app.post(&format!("/api/notes/{id}/submit")).await.status(),
        200
    );
    // Both approval mails were tried, and deferred.
    let db = &db;
    app.until_mail("both approval mails deferred", move || async move {
        outbox_rows(db, &["deferred"]).await == 2
    })
    .await;
    let trail = audit(&app, &id).await;
    assert!(!trail.iter().any(|e| e["action"] == "mailed"), "{trail:?}");

    let smtp = SmtpServer::start_on(port).await;
    let mails = smtp.wait_for(2, WAIT).await;
    let mut to: Vec<&str> = mails.iter().map(|m| m.to[0].as_str()).collect();
    to.sort();
    assert_eq!(to, [A1, A2]);
    app.stop().await;
}

async fn two_approvers_at_once(db: TestDb) {
    let smtp = SmtpServer::start().await;
    let app = TestApp::spawn(&chain_settings(&db, &smtp)).await;
    let (id, mails) = submitted(&app, &smtp).await;
    assert_eq!(
        decide(&app, &link_for(&app, &mails, A1), "approve", "")
            .await
            .0,
        200
    );
    let mails = smtp.wait_for(4, WAIT).await;
    let (b1, b2) = (link_for(&app, &mails, B1), link_for(&app, &mails, B2));
    let (c1, c2) = (
        csrf_of(&open(&app, &b1).await.1),
        csrf_of(&open(&app, &b2).await.1),
    );
    let (r1, r2) = tokio::join!(
        post_form(&app, &b1, "approve", "", &c1),
        post_form(&app, &b2, "approve", "", &c2)
    );
    assert_eq!((r1.0, r2.0), (StatusCode::OK, StatusCode::OK));
    let viewed = note(&app, &id).await;
    assert_eq!(viewed["state"], "issued");
    let approvals = audit(&app, &id)
        .await
        .into_iter()
        .filter(|e| e["action"] == "approved" && e["detail"] == "step coreper")
        .count();
    assert_eq!(approvals, 2);

    // The same link posted twice at once counts once.
    let (id, mails) = submitted(&app, &smtp).await;
    let a1 = link_for(&app, &mails, A1);
    let csrf = csrf_of(&open(&app, &a1).await.1);
    let (r1, r2) = tokio::join!(
        post_form(&app, &a1, "approve", "", &csrf),
        post_form(&app, &a1, "approve", "", &csrf)
    );
    let mut statuses = [r1.0.as_u16(), r2.0.as_u16()];
    statuses.sort();
    assert_eq!(statuses, [200, 410]);
    let approvals = audit(&app, &id)
        .await
        .into_iter()
        .filter(|e| e["action"] == "approved")
        .count();
    assert_eq!(approvals, 1);
    app.stop().await;
    db.remove().await;
}

#[tokio::test]
async fn simultaneous_decisions_count_once_each_on_sqlite() {
    two_approvers_at_once(TestDb::sqlite()).await;
}

#[tokio::test]
async fn simultaneous_decisions_count_once_each_on_postgres() {
    if let Some(db) = TestDb::postgres("simultaneous_decisions_count_once_each_on_postgres").await {
        two_approvers_at_once(db).await;
    }
}

#[tokio::test]
async fn an_approver_who_has_not_decided_gets_one_reminder() {
    let smtp = SmtpServer::start().await;
    let db = TestDb::sqlite();
    let mut settings = chain_settings(&db, &smtp);
    settings.approval.remind_after = Duration::from_secs(3600);
    let app = TestApp::spawn(&settings).await;
    let (id, mails) = submitted(&app, &smtp).await;
    let first = link_for(&app, &mails, A1);
    // The clock is about to jump an hour: let the worker record the sends first, or their
    // leases would lapse with the jump and the mails go out again.
    wait_mailed(&app, &id, 2).await;

    // An hour and a minute later, each undecided approver gets one reminder with a new link.
    app.clock
        .set(crate::helpers::default_time() + jiff::SignedDuration::from_mins(61));
    let mails = smtp.wait_for(4, WAIT).await;
    let reminder = mail_to(&mails, A1);
    assert!(
        reminder.subject().starts_with("Reminder"),
        "{}",
        reminder.subject()
    );
    let second = link_for(&app, &mails, A1);
    assert_ne!(first, second);
    assert_eq!(
        open(&app, &first).await.0,
        200,
        "the first link still works"
    );
    assert_eq!(open(&app, &second).await.0, 200);

    // Deciding through one spends both; and there is no second reminder.
    assert_eq!(decide(&app, &second, "reject", "Not yet.").await.0, 200);
    assert_eq!(open(&app, &first).await.0, 410);
    // One more look for due reminders, as the worker's ticker makes, and every mail it
    // could have queued sent and recorded.
    app.service
        .send_reminders()
        .await
        .expect("a look for reminders");
    let db = &db;
    app.until_mail("every mail sent", move || async move {
        outbox_rows(db, &["queued", "deferred"]).await == 0
    })
    .await;
    let subjects: Vec<String> = smtp.to(A1).iter().map(|m| m.subject()).collect();
    assert_eq!(subjects.len(), 2, "{subjects:?}");
    assert_eq!(smtp.to(A2).len(), 2);
    app.stop().await;
}

#[tokio::test]
async fn the_embedded_default_writes_each_mail_as_an_eml_file() {
    let db = TestDb::sqlite();
    let settings = settings_for(&db);
    let dir = settings.mail.dir.clone();
    let app = TestApp::spawn(&settings).await;
    let id = app.register(&spec(&["JAI"])).await["id"].to_string();
    assert_eq!(
        app.post(&format!("/api/notes/{id}/submit")).await.status(),
        200
    );
    let eml = || {
        std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|e| e == "eml"))
    };
    let found = &eml;
    app.until_mail(
        &format!("an .eml file in {}", dir.display()),
        move || async move { found().is_some() },
    )
    .await;
    let file = eml().expect("the .eml file just seen");
    let text = std::fs::read_to_string(&file).expect("a readable .eml");
    assert!(text.contains("To: approver@presidency.example"), "{text}");
    assert!(text.contains("http://127.0.0.1:8080/approve/"), "{text}");
    assert!(text.contains("Content-Type: application/pdf"), "{text}");
    app.stop().await;
    let _ = std::fs::remove_dir_all(dir);
}
