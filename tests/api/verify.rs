//! Verification for delegations: an issued PDF, fetched through the API, is recognised by
//! `POST /api/verify` and the `/verify` page; a copy with one byte changed, a revised note
//! and a file that is no PDF are each told apart.

use serde_json::Value;

use crate::approval::{PUBLIC_URL, note};
use crate::distribution::{approved, distributed, distribution_settings, issued, issued_pdf};
use crate::helpers::{TestApp, TestDb};
use crate::smtp::SmtpServer;

async fn verify(app: &TestApp, bytes: &[u8]) -> (u16, Value) {
    let response = app
        .client
        .post(app.url("/api/verify"))
        .header("content-type", "application/pdf")
        .body(bytes.to_vec())
        .send()
        .await
        .expect("POST /api/verify");
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON answer"))
}

/// `pdf` posted as a browser posts the page's form.
async fn upload(app: &TestApp, pdf: &[u8]) -> (u16, String) {
    let boundary = "notesd-test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"pdf\"; filename=\"note.pdf\"\r\n\
         Content-Type: application/pdf\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(pdf);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let response = app
        .client
        .post(app.url("/verify"))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .expect("POST /verify");
    let status = response.status().as_u16();
    (status, response.text().await.expect("a page"))
}

/// `bytes` with the first occurrence of `from` replaced by `to`, of the same length.
fn replaced(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let at = bytes
        .windows(from.len())
        .position(|w| w == from)
        .expect("the text to replace");
    let mut out = bytes.to_vec();
    out[at..at + to.len()].copy_from_slice(to);
    out
}

#[tokio::test]
async fn an_issued_pdf_is_recognised_and_an_altered_one_is_not() {
    let smtp = SmtpServer::start().await;
    let db = TestDb::sqlite();
    let settings = distribution_settings(&db, &smtp);
    let app = TestApp::spawn(&settings).await;
    let id = issued(&app, &smtp).await;
    let number = note(&app, &id).await["number"].as_str().unwrap().to_owned();
    let (pdf, sha256) = issued_pdf(&app, &id).await;

    let (status, found) = verify(&app, &pdf).await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["issued"], true, "{found}");
    assert_eq!(found["number"], number.as_str());
    assert_eq!(found["version"], note(&app, &id).await["version"]);
    assert!(found["issued_at"].is_string(), "{found}");
    assert_eq!(found["sha256"], sha256.as_str());
    assert_eq!(found["sealed"], false);
    assert_eq!(found["reason"], Value::Null);

    // One byte changed where it leaves the file readable (its XMP, the one dictionary-like
    // text not in a compressed object stream): it still names the note.
    let altered = replaced(&pdf, b"<dc:format>application", b"<dc:format>applicatioN");
    let (status, found) = verify(&app, &altered).await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["issued"], false);
    assert_eq!(found["number"], Value::Null);
    let reason = found["reason"].as_str().expect("a reason");
    assert!(reason.starts_with("altered"), "{reason}");
    assert!(reason.contains(&number), "{reason}");
    // One byte changed anywhere: not issued, whatever else can be read of it.
    let mut flipped = pdf.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x01;
    let (status, found) = verify(&app, &flipped).await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["issued"], false);
    assert!(found["reason"].is_string(), "{found}");

    let (status, refused) = verify(&app, b"GIF89a, not a PDF").await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["error"]["code"], "not_a_pdf");
    // Whole PDFs are taken, past the 64 KiB of the other routes without sign-in, up to 10 MB.
    let mut large = pdf.clone();
    large.resize(1_000_000, b' ');
    let (status, found) = verify(&app, &large).await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["issued"], false);
    large.resize(notesd::http::MAX_BODY + 1, b' ');
    let (status, refused) = verify(&app, &large).await;
    assert_eq!(status, 413, "{refused}");

    // The page, without signing in: the same findings.
    let page = app.get_anonymous("/verify").await;
    assert_eq!(page.status(), 200);
    assert!(
        page.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'")
    );
    let form = page.text().await.unwrap();
    assert!(form.contains("enctype=\"multipart/form-data\""), "{form}");
    let (status, shown) = upload(&app, &pdf).await;
    assert_eq!(status, 200, "{shown}");
    assert!(shown.contains(&format!("This is note <strong>{number}</strong>")));
    let (status, shown) = upload(&app, &altered).await;
    assert_eq!(status, 200, "{shown}");
    assert!(shown.contains("This is not an issued note"), "{shown}");
    let (status, shown) = upload(&app, b"plain text").await;
    assert_eq!(status, 422, "{shown}");
    assert!(shown.contains("not a PDF"), "{shown}");

    // The delivery states the digest and where to verify.
    distributed(&app, &id).await;
    let delegation = &settings.lists["delegations"][0].emails[0];
    let mail = smtp.to(delegation).pop().expect("a delivery");
    let verify_url = format!("{PUBLIC_URL}/verify");
    for body in [mail.text(), mail.html()] {
        assert!(body.contains(&sha256), "{body}");
        assert!(body.contains(&verify_url), "{body}");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_revised_note_is_issued_but_says_a_revision_was_issued_since() {
    revised(TestDb::sqlite()).await;
}

#[tokio::test]
async fn a_revised_note_says_so_on_postgres() {
    if let Some(db) = TestDb::postgres("a_revised_note_says_so_on_postgres").await {
        revised(db).await;
    }
}

async fn revised(db: TestDb) {
    let smtp = SmtpServer::start().await;
    let app = TestApp::spawn(&distribution_settings(&db, &smtp)).await;
    let id = issued(&app, &smtp).await;
    let (pdf, _) = issued_pdf(&app, &id).await;
    distributed(&app, &id).await;
    let revision: Value = app
        .post(&format!("/api/notes/{id}/revise"))
        .await
        .json()
        .await
        .expect("the revision");
    let rev_id = revision["id"].to_string();
    let rev_number = revision["number"].as_str().expect("a number").to_owned();

    // A revision in preparation is nobody's business yet.
    let (_, found) = verify(&app, &pdf).await;
    assert_eq!(found["issued"], true);
    assert_eq!(found["reason"], Value::Null);

    approved(&app, &smtp, &rev_id).await;
    let (status, found) = verify(&app, &pdf).await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["issued"], true, "{found}");
    let reason = found["reason"].as_str().expect("a reason");
    assert!(reason.contains(&rev_number), "{reason}");
    app.stop().await;
    db.remove().await;
}
