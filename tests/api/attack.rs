//! An attacker's and a careless operator's read of the hardening work (issue 10): each
//! test reproduces a finding of that review and fails on the code before its fix.

use notesd::access::Role;
use notesd::address::EmailAddress;
use notesd::config::SmtpUrl;

use crate::helpers::{TestApp, TestDb, UNIT, new_token, settings_for};

/// `GET /api/notes` with `token`: its status.
async fn list_status(app: &TestApp, token: &str) -> u16 {
    app.client
        .get(app.url("/api/notes"))
        .bearer_auth(token)
        .send()
        .await
        .expect("the request is answered")
        .status()
        .as_u16()
}

/// Disabling a person ends the tokens made with their address whatever its case, also
/// when the capitals are not ASCII ones (SQLite's `lower()` folds only A to Z).
async fn disabling_a_person_ends_their_tokens_in_any_case(db: TestDb) {
    let app = TestApp::spawn(&settings_for(&db)).await;
    let typed: EmailAddress = "Élodie.Martin@council.example".parse().expect("an address");
    let token = new_token(&app.service, "Élodie", Role::Drafter, Some(&typed), &[UNIT]).await;
    assert_eq!(list_status(&app, &token).await, 200);

    let person: EmailAddress = "élodie.martin@council.example".parse().expect("an address");
    app.service
        .add_user(&person, "Élodie Martin", Role::Drafter, &[UNIT.to_owned()])
        .await
        .expect("a person");
    let ended = app.service.disable_user(&person).await.expect("disabled");
    assert_eq!(ended, 1, "the token made with her address ends");
    assert_eq!(list_status(&app, &token).await, 401);
    app.stop().await;
    db.remove().await;
}

#[tokio::test]
async fn disabling_a_person_ends_their_tokens_in_any_case_on_sqlite() {
    disabling_a_person_ends_their_tokens_in_any_case(TestDb::sqlite()).await;
}

#[tokio::test]
async fn disabling_a_person_ends_their_tokens_in_any_case_on_postgres() {
    if let Some(db) =
        TestDb::postgres("disabling_a_person_ends_their_tokens_in_any_case_on_postgres").await
    {
        disabling_a_person_ends_their_tokens_in_any_case(db).await;
    }
}

/// An operator who leaves out the host (or the `@`) of `mail.smtp_url` must not find the
/// password in `notesd check`'s output or the daemon's log.
#[test]
fn a_malformed_smtp_url_is_never_repeated_with_its_password() {
    for url in [
        "smtps://notes:hunter2",
        "smtps://notes:hunter2/",
        "smtp://notes:hunter2?tls=required",
    ] {
        let error = SmtpUrl::parse(url)
            .expect_err("not a usable URL")
            .to_string();
        assert!(!error.contains("hunter2"), "{url}: {error}");
    }
}

/// A `mail.dir` others can write to (an operator's `/tmp/notesd-mail`): a symbolic link
/// planted under the name of the next `.eml.partial` (predictable: note and row ids) must
/// not make the daemon overwrite the file it points to, such as its own database.
#[cfg(unix)]
#[tokio::test]
async fn a_planted_link_in_the_mail_folder_is_replaced_not_followed() {
    let dir = tempfile::tempdir().expect("a folder");
    let victim = dir.path().join("notesd.db");
    std::fs::write(&victim, b"the registry").expect("written");
    let partial = dir.path().join(".notesd.1.1@council.example.eml.partial");
    std::os::unix::fs::symlink(&victim, &partial).expect("a link");

    notesd::files::write_private(&partial, b"From: notes@council.example")
        .await
        .expect("written");
    assert_eq!(std::fs::read(&victim).expect("read"), b"the registry");
    let written = std::fs::symlink_metadata(&partial).expect("the new file");
    assert!(written.file_type().is_file(), "a file, not the link");
    assert_eq!(
        std::fs::read(&partial).expect("read"),
        b"From: notes@council.example"
    );
}

/// Acting on another unit's note is 403 (INTERFACE.md), but the refusal must not name
/// that note's unit: reading it is 404 so that a drafter learns nothing of it, and note
/// ids are consecutive, so the message would map every note to its unit.
async fn a_refusal_to_act_does_not_name_the_notes_unit(db: TestDb) {
    let app = TestApp::spawn(&settings_for(&db)).await;
    let mut other = crate::helpers::spec(&["JAI"]);
    other["unit"] = "COSI.2".into();
    let created = app
        .client
        .post(app.url("/api/notes"))
        .bearer_auth(&app.admin_token)
        .json(&other)
        .send()
        .await
        .expect("the request is answered");
    assert_eq!(created.status().as_u16(), 201);
    let id = created.json::<serde_json::Value>().await.expect("JSON")["id"].clone();

    for action in ["submit", "withdraw", "revise"] {
        let response = app.post(&format!("/api/notes/{id}/{action}")).await;
        assert_eq!(response.status().as_u16(), 403, "{action}");
        let answer: serde_json::Value = response.json().await.expect("JSON");
        let message = answer["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(UNIT), "{action}: {message}");
        assert!(!message.contains("COSI"), "{action}: {message}");
    }
    app.stop().await;
    db.remove().await;
}

#[tokio::test]
async fn a_refusal_to_act_does_not_name_the_notes_unit_on_sqlite() {
    a_refusal_to_act_does_not_name_the_notes_unit(TestDb::sqlite()).await;
}

#[tokio::test]
async fn a_refusal_to_act_does_not_name_the_notes_unit_on_postgres() {
    if let Some(db) =
        TestDb::postgres("a_refusal_to_act_does_not_name_the_notes_unit_on_postgres").await
    {
        a_refusal_to_act_does_not_name_the_notes_unit(db).await;
    }
}
