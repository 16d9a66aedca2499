//! Withdrawal and the audit trail, through the API.

use serde_json::Value;

use crate::helpers::{TestApp, TestDb, settings_for, spec};

#[tokio::test]
async fn a_withdrawn_note_keeps_its_number_and_its_trail_says_what_happened() {
    let db = TestDb::sqlite();
    let app = TestApp::spawn(&settings_for(&db)).await;
    let note = app.register(&spec(&["JAI"])).await;
    let id = note["id"].to_string();
    let mut edited = spec(&["JAI"]);
    edited["subject"] = "Edited".into();
    assert_eq!(app.put_note(&id, &edited).await.status(), 200);

    let withdraw_path = format!("/api/notes/{id}/withdraw");
    let response = app.post(&withdraw_path).await;
    assert_eq!(response.status(), 200);
    let withdrawn: Value = response.json().await.unwrap();
    assert_eq!(withdrawn["state"], "withdrawn");
    assert_eq!(withdrawn["number"], note["number"]);

    // Nothing more can happen to it.
    let again = app.post(&withdraw_path).await;
    assert_eq!(again.status(), 409);
    let error: Value = again.json().await.unwrap();
    assert_eq!(
        error["error"]["message"],
        "cannot withdraw a note that is withdrawn"
    );
    assert_eq!(app.put_note(&id, &edited).await.status(), 409);

    // Its number is never reused.
    assert_eq!(app.register(&spec(&["JAI"])).await["number"], "5002/26");
    let listed: Value = app.list("?state=withdrawn").await.json().await.unwrap();
    assert_eq!(listed["notes"].as_array().unwrap().len(), 1);

    let trail: Value = app
        .get(&format!("/api/notes/{id}/audit"))
        .await
        .json()
        .await
        .unwrap();
    let entries = trail["audit"].as_array().unwrap();
    let actions: Vec<(&str, i64)> = entries
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap(),
                e["version"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        actions,
        [("registered", 1), ("edited", 2), ("withdrawn", 2)]
    );
    assert!(
        entries
            .iter()
            .all(|e| e["actor"] == "Test Drafter" && e["at"].is_string())
    );

    let missing = app.get("/api/notes/999/audit").await;
    assert_eq!(missing.status(), 404);
    let anonymous = app.get_anonymous(&format!("/api/notes/{id}/audit")).await;
    assert_eq!(anonymous.status(), 401);
    app.stop().await;
}

#[tokio::test]
async fn postgres_withdrawal_and_trail() {
    let Some(db) = TestDb::postgres("postgres_withdrawal_and_trail").await else {
        return;
    };
    let app = TestApp::spawn(&settings_for(&db)).await;
    let id = app.register(&spec(&["JAI"])).await["id"].to_string();
    let response = app.post(&format!("/api/notes/{id}/withdraw")).await;
    assert_eq!(response.status(), 200);
    let trail: Value = app
        .get(&format!("/api/notes/{id}/audit"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(trail["audit"].as_array().unwrap().len(), 2);
    app.stop().await;
    db.remove().await;
}
