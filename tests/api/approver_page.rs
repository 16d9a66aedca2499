//! The approver's page, improved with the desk: the draft's pages on the page, the changes
//! since the version this approver saw in an earlier round, and handing the link on to a
//! configured deputy, who gets a link of their own while the audit trail says who handed
//! on to whom.

use std::time::Duration;

use serde_json::json;

use crate::approval::{
    A1, A2, audit, chain_settings, csrf_of, decide, link_for, note, open, submitted,
};
use crate::helpers::{TestApp, TestDb, spec};
use crate::smtp::SmtpServer;

const DEPUTY: &str = "deputy@unit.example";
const WAIT: Duration = Duration::from_secs(10);

#[tokio::test]
async fn a_second_round_shows_the_draft_and_what_changed_since_the_approver_saw_it() {
    let smtp = SmtpServer::start().await;
    let db = TestDb::sqlite();
    let app = TestApp::spawn(&chain_settings(&db, &smtp)).await;
    let (id, mails) = submitted(&app, &smtp).await;
    let first = link_for(&app, &mails, A1);
    let (status, page) = open(&app, &first).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("<svg ") && page.contains("class=\"page\""),
        "the draft's pages"
    );
    assert!(
        !page.contains("Changes since"),
        "nothing to compare in the first round"
    );
    let (status, _) = decide(&app, &first, "reject", "Say when.").await;
    assert_eq!(status, 200);

    let mut edited = spec(&["JAI"]);
    edited["body"] = "Delegations will find attached the revised text, agreed on 3 March.".into();
    let response = app.put_note(&id, &edited).await;
    assert_eq!(response.status(), 200);
    let response = app.post(&format!("/api/notes/{id}/submit")).await;
    assert_eq!(response.status(), 200);
    let mails = smtp.wait_for_to(A1, 2, WAIT).await;
    let second = link_for(&app, &mails, A1);
    let (status, page) = open(&app, &second).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Changes since version 1"), "{page}");
    assert!(page.contains("<ins>") && page.contains("<del>"), "{page}");
    assert!(page.contains("3 March"), "{page}");
    assert_eq!(note(&app, &id).await["state"], "in_review");
    app.stop().await;
}

#[tokio::test]
async fn an_approver_hands_the_link_on_to_a_configured_deputy() {
    let smtp = SmtpServer::start().await;
    let db = TestDb::sqlite();
    let mut settings = chain_settings(&db, &smtp);
    settings
        .approval
        .deputies
        .insert(A1.to_owned(), vec![DEPUTY.to_owned()]);
    let app = TestApp::spawn(&settings).await;
    let (id, mails) = submitted(&app, &smtp).await;
    let link = link_for(&app, &mails, A1);
    let (_, page) = open(&app, &link).await;
    assert!(page.contains(DEPUTY), "the deputy is offered");
    let csrf = csrf_of(&page);
    let forward = format!("{link}/forward");
    let post = |deputy: &'static str, csrf: String| {
        let client = app.client.clone();
        let forward = forward.clone();
        async move {
            let response = client
                .post(forward)
                .form(&[("deputy", deputy), ("csrf", &csrf)])
                .send()
                .await
                .expect("POST forward");
            (
                response.status().as_u16(),
                response.text().await.unwrap_or_default(),
            )
        }
    };
    // Not a deputy of this approver; a form from elsewhere.
    assert_eq!(post("a2@unit.example", csrf.clone()).await.0, 422);
    assert_eq!(post(DEPUTY, "forged".to_owned()).await.0, 403);
    // A2 has no deputy: no form on their page.
    let (_, other) = open(&app, &link_for(&app, &mails, A2)).await;
    assert!(!other.contains("/forward"), "{other}");

    let (status, page) = post(DEPUTY, csrf.clone()).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(
        open(&app, &link).await.0,
        410,
        "the approver's link is spent"
    );
    assert_eq!(
        post(DEPUTY, csrf).await.0,
        410,
        "and cannot be handed on twice"
    );
    let mails = smtp.wait_for_to(DEPUTY, 1, WAIT).await;
    let deputy_link = link_for(&app, &mails, DEPUTY);
    let (status, page) = decide(&app, &deputy_link, "approve", "").await;
    assert_eq!(status, 200, "{page}");
    let trail = audit(&app, &id).await;
    let handed = trail
        .iter()
        .find(|e| e["action"] == "handed on")
        .expect("an audit entry for the hand-on");
    assert_eq!(handed["actor"], json!(A1));
    let detail = handed["detail"].as_str().unwrap_or_default();
    assert!(detail.contains(A1) && detail.contains(DEPUTY), "{detail}");
    // The deputy decided at A1's step, which needed any one approver: the next step opened.
    let viewed = note(&app, &id).await;
    assert_eq!(viewed["steps"][0]["status"], "approved", "{viewed}");
    app.stop().await;
}
