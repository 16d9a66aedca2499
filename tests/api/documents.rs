use std::process::Command;

use sha2::{Digest, Sha256};

use crate::helpers::{TestApp, TestDb, seed_spec, settings_for, spec};

/// The text poppler extracts from a PDF.
pub fn pdftotext(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("note.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils)");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn a_draft_pdf_is_served_with_its_number_and_the_draft_mark() {
    let db = TestDb::sqlite();
    let app = TestApp::spawn(&settings_for(&db)).await;
    let note = app.register(&seed_spec("fr")).await;
    let id = note["id"].to_string();

    let response = app.get(&format!("/api/notes/{id}/pdf")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    assert_eq!(
        response.headers()["content-disposition"],
        "inline; filename=\"5001-26.pdf\""
    );
    let bytes = response.bytes().await.unwrap();
    assert!(bytes.starts_with(b"%PDF-"));

    let text = pdftotext(&bytes);
    assert!(text.contains("DRAFT"), "{text}");
    assert!(text.contains("5001/26"), "{text}");
    assert!(text.contains("JAI 1 JAIEX 1 COLAC 1"), "{text}");
    assert!(
        text.contains("Bruxelles, le 3 mars 2022 (OR. fr)"),
        "{text}"
    );

    // The same version renders to the same bytes (compared by SHA-256 of the bytes
    // themselves, not dumped).
    let again = app.get(&format!("/api/notes/{id}/pdf")).await;
    let digest = |b: &[u8]| notesd::secret::hex(&Sha256::digest(b));
    assert!(
        digest(&again.bytes().await.unwrap()) == digest(&bytes),
        "a re-render differs"
    );

    let missing = app.get("/api/notes/999/pdf").await;
    assert_eq!(missing.status(), 404);
    let anonymous = app.get_anonymous(&format!("/api/notes/{id}/pdf")).await;
    assert_eq!(anonymous.status(), 401);
    app.stop().await;
}

#[tokio::test]
async fn a_template_note_that_lacks_a_field_says_which() {
    let db = TestDb::sqlite();
    let app = TestApp::spawn(&settings_for(&db)).await;
    let mut body = spec(&["JAI"]);
    body.as_object_mut().unwrap().remove("body");
    body["template"] = "i-a-item-note".into();
    body["fields"] = serde_json::json!({"background": "The Working Party examined the text."});
    let note = app.register(&body).await;
    let response = app.get(&format!("/api/notes/{}/pdf", note["id"])).await;
    assert_eq!(response.status(), 422);
    let error: serde_json::Value = response.json().await.unwrap();
    assert_eq!(error["error"]["code"], "render_failed");
    let message = error["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("i-a-item-note.hbs") && message.contains("outcome"),
        "{message}"
    );
    app.stop().await;
}

#[tokio::test]
async fn metrics_and_the_openapi_description_are_served() {
    let db = TestDb::sqlite();
    let app = TestApp::spawn(&settings_for(&db)).await;
    app.register(&spec(&["JAI"])).await;
    assert_eq!(app.get_note("999").await.status(), 404);

    let metrics = app.get_anonymous("/metrics").await;
    assert_eq!(metrics.status(), 200);
    let text = metrics.text().await.unwrap();
    assert!(text.contains("notesd_notes{state=\"draft\"} 1"), "{text}");
    assert!(text.contains("notesd_notes{state=\"issued\"} 0"), "{text}");
    assert!(
        text.contains("notesd_outbox_messages{status=\"failed\"} 0"),
        "{text}"
    );
    assert!(
        text.contains("notesd_http_requests_total{status=\"2xx\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("notesd_http_requests_total{status=\"4xx\"} 1"),
        "{text}"
    );

    let openapi: serde_json::Value = app
        .get_anonymous("/api/openapi.json")
        .await
        .json()
        .await
        .unwrap();
    assert!(openapi["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/notes",
        "/api/notes/{id}",
        "/api/notes/{id}/pdf",
        "/api/notes/{id}/submit",
        "/api/notes/{id}/deliveries",
        "/approve/{token}",
    ] {
        assert!(openapi["paths"][path].is_object(), "{path}");
    }
    app.stop().await;
}
