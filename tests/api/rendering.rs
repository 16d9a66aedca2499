//! The render is bounded (issue 10, findings 1, 6 and 8): `render.max_pages` refused
//! with a 422 wherever a note is saved, at most `render.concurrency` renders at once with
//! the drafts kept, a note that cannot be printed refused at submit, and the final PDF
//! rendered outside the decision's transaction. Renders are held with
//! `Service::hold_renders`, so nothing here depends on timing.

use std::time::Duration;

use serde_json::{Value, json};

use crate::approval::{A1, B1, B2, audit, chain_settings, decide, link_for, note, submitted};
use crate::helpers::{TestApp, TestDb, settings_for, spec};
use crate::smtp::SmtpServer;

const WAIT: Duration = Duration::from_secs(10);

/// A body of `n` paragraphs, about a third of a page each.
fn long_body(n: usize) -> String {
    vec!["Delegations will find attached the text of the declaration. ".repeat(8); n].join("\n\n")
}

async fn error_of(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.expect("errors are JSON");
    (status, body["error"].clone())
}

#[tokio::test]
async fn a_note_past_max_pages_is_refused_when_saved_and_where_rendered() {
    let db = TestDb::sqlite();
    let mut settings = settings_for(&db);
    settings.render.max_pages = 3.try_into().expect("not zero");
    let app = TestApp::spawn(&settings).await;
    let mut body = spec(&["JAI"]);
    body["body"] = long_body(6).into();
    let fits = app.register(&body).await;
    let pdf = app.get(&format!("/api/notes/{}/pdf", fits["id"])).await;
    assert_eq!(pdf.status(), 200);

    body["body"] = long_body(40).into();
    let (status, error) = error_of(app.post_note(&body).await).await;
    assert_eq!(status, 422, "{error}");
    assert_eq!(error["code"], "render_failed");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains("more than 3 pages") && message.contains("render.max_pages"),
        "{message}"
    );
    let (status, _) = error_of(app.put_note(&fits["id"].to_string(), &body).await).await;
    assert_eq!(status, 422);
    // The same through a template's fields.
    let mut templated = spec(&["JAI"]);
    templated.as_object_mut().unwrap().remove("body");
    templated["template"] = "note".into();
    templated["fields"] = json!({ "text": long_body(40) });
    let (status, _) = error_of(app.post_note(&templated).await).await;
    assert_eq!(status, 422);
    assert_eq!(app.all_notes().await.len(), 1, "nothing more was stored");
    app.stop().await;

    // A note stored before the limit was lowered is refused where it is rendered.
    settings.render.max_pages = 1.try_into().expect("not zero");
    let app = TestApp::spawn(&settings).await;
    let (status, error) = error_of(app.get(&format!("/api/notes/{}/pdf", fits["id"])).await).await;
    assert_eq!(status, 422, "{error}");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("more than 1 pages"),
        "{error}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_note_that_cannot_be_printed_is_refused_at_submit_with_the_reason() {
    let db = TestDb::sqlite();
    let app = TestApp::spawn(&settings_for(&db)).await;
    let mut body = spec(&["JAI"]);
    body.as_object_mut().unwrap().remove("body");
    body["template"] = "i-a-item-note".into();
    body["fields"] = json!({"background": "The Working Party examined the text."});
    let id = app.register(&body).await["id"].to_string();
    let (status, error) = error_of(app.post(&format!("/api/notes/{id}/submit")).await).await;
    assert_eq!(status, 422, "{error}");
    assert_eq!(error["code"], "render_failed");
    assert!(
        error["message"].as_str().unwrap().contains("outcome"),
        "{error}"
    );
    let viewed: Value = app.get_note(&id).await.json().await.unwrap();
    assert_eq!(viewed["state"], "draft");
    let trail: Value = app
        .get(&format!("/api/notes/{id}/audit"))
        .await
        .json()
        .await
        .unwrap();
    assert!(
        !trail["audit"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "submitted"),
        "{trail}"
    );
    app.stop().await;
}

#[tokio::test]
async fn drafts_are_rendered_in_a_bounded_gate_and_kept_by_version() {
    let db = TestDb::sqlite();
    let mut settings = settings_for(&db);
    settings.render.concurrency = 1;
    let app = TestApp::spawn(&settings).await;
    let first = app.register(&spec(&["JAI"])).await["id"].to_string();
    let second = app.register(&spec(&["COSI"])).await["id"].to_string();
    let pdf = |id: &str| {
        let (client, url, token) = (
            app.client.clone(),
            app.url(&format!("/api/notes/{id}/pdf")),
            app.token.clone(),
        );
        async move {
            let response = client.get(url).bearer_auth(token).send().await.unwrap();
            assert_eq!(response.status(), 200);
            response.bytes().await.unwrap()
        }
    };
    let rendered = pdf(&first).await;

    let mut hold = app.service.hold_renders().await.unwrap();
    // A version rendered before is served without a render slot, byte for byte.
    assert_eq!(pdf(&first).await, rendered);
    // One never rendered waits for a slot...
    let waiting = tokio::spawn(pdf(&second));
    hold.until_waiting(1).await;
    assert!(!waiting.is_finished());
    // ...and is rendered once the slot is free.
    drop(hold);
    assert!(waiting.await.unwrap().starts_with(b"%PDF"));
    app.stop().await;
}

#[tokio::test]
async fn the_issuing_decision_renders_before_its_transaction() {
    let db = TestDb::sqlite();
    let smtp = SmtpServer::start().await;
    let app = TestApp::spawn(&chain_settings(&db, &smtp)).await;
    let (id, mails) = submitted(&app, &smtp).await;
    assert_eq!(
        decide(&app, &link_for(&app, &mails, A1), "approve", "")
            .await
            .0,
        200
    );
    smtp.wait_for_to(B1, 1, WAIT).await;
    let mails = smtp.wait_for_to(B2, 1, WAIT).await;
    assert_eq!(
        decide(&app, &link_for(&app, &mails, B1), "approve", "")
            .await
            .0,
        200
    );

    let other = app.register(&spec(&["COSI"])).await["id"].to_string();
    // The approval page shows the draft's pages, a render of its own: opened first.
    let last = link_for(&app, &mails, B2);
    let page = app
        .client
        .get(&last)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = crate::approval::csrf_of(&page);
    // B2's approval issues the note: its final PDF waits for a render slot...
    let mut hold = app.service.hold_renders().await.unwrap();
    let decision = tokio::spawn({
        let app_client = app.client.clone();
        async move {
            app_client
                .post(&last)
                .form(&[("decision", "approve"), ("comment", ""), ("csrf", &csrf)])
                .send()
                .await
                .unwrap()
                .status()
        }
    });
    hold.until_waiting(1).await;
    // ...holding no transaction: SQLite's only writer is free for another change.
    let withdrawn = app.post(&format!("/api/notes/{other}/withdraw")).await;
    assert_eq!(withdrawn.status(), 200);
    assert_eq!(note(&app, &id).await["state"], "in_review");
    assert!(!decision.is_finished());

    drop(hold);
    assert_eq!(decision.await.unwrap(), 200);
    let issued = note(&app, &id).await;
    assert_eq!(issued["state"], "issued");
    let trail = audit(&app, &id).await;
    let approvals = trail.iter().filter(|e| e["action"] == "approved").count();
    assert_eq!(approvals, 3, "each decision once, the retried one included");
    assert_eq!(trail.iter().filter(|e| e["action"] == "issued").count(), 1);
    let pdf = app.get(&format!("/api/notes/{id}/pdf")).await;
    assert_eq!(pdf.status(), 200);
    app.stop().await;
}
