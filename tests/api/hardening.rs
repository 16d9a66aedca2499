//! Slow, idle and oversized clients, and what every answer tells caches: each test speaks
//! to the real server, several through a raw TCP socket as a hostile client would.

use std::time::Duration;

use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::approval::{A1, chain_settings, csrf_of, decide, link_for, open, submitted};
use crate::helpers::{TestApp, TestDb, settings_for};
use crate::smtp::SmtpServer;

/// Longer than any bound the tests configure: past it the server has not closed at all.
const NEVER: Duration = Duration::from_secs(60);
const SHORT: Duration = Duration::from_secs(1);
const LONG: Duration = Duration::from_secs(3_600);

async fn connect(app: &TestApp) -> TcpStream {
    let address = app.address.trim_start_matches("http://");
    TcpStream::connect(address).await.expect("a connection")
}

/// Everything the server sends until it closes the connection.
async fn until_closed(stream: &mut TcpStream) -> String {
    let mut received = Vec::new();
    match tokio::time::timeout(NEVER, stream.read_to_end(&mut received)).await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset, "{e}"),
        Err(_) => panic!("the server kept the connection open for {NEVER:?}"),
    }
    String::from_utf8_lossy(&received).into_owned()
}

async fn app_with(header: Duration, body: Duration, idle: Duration) -> (TestApp, TestDb) {
    let db = TestDb::sqlite();
    let mut settings = settings_for(&db);
    settings.http.header_timeout = header;
    settings.http.body_timeout = body;
    settings.http.idle_timeout = idle;
    (TestApp::spawn(&settings).await, db)
}

#[tokio::test]
async fn a_silent_connection_is_closed_after_the_idle_timeout() {
    let (app, _db) = app_with(LONG, LONG, SHORT).await;
    let mut stream = connect(&app).await;
    assert_eq!(until_closed(&mut stream).await, "");
    app.stop().await;
}

#[tokio::test]
async fn half_sent_headers_are_cut_off_after_the_header_timeout() {
    let (app, _db) = app_with(SHORT, LONG, LONG).await;
    let mut stream = connect(&app).await;
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: notesd\r\nX-Slow: ")
        .await
        .unwrap();
    let answer = until_closed(&mut stream).await;
    assert!(!answer.contains("200 OK"), "{answer}");
    app.stop().await;
}

#[tokio::test]
async fn a_kept_alive_connection_without_a_next_request_is_closed() {
    let (app, _db) = app_with(SHORT, LONG, LONG).await;
    let mut stream = connect(&app).await;
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: notesd\r\n\r\n")
        .await
        .unwrap();
    let answer = until_closed(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
    app.stop().await;
}

#[tokio::test]
async fn a_body_that_trickles_past_the_body_timeout_is_answered_408() {
    let (app, _db) = app_with(LONG, SHORT, LONG).await;
    let mut stream = connect(&app).await;
    let head = format!(
        "POST /api/notes HTTP/1.1\r\nHost: notesd\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"subject\": ",
        app.token
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let answer = until_closed(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("http.body_timeout"), "{answer}");
    app.stop().await;
}

#[tokio::test]
async fn public_routes_refuse_large_bodies_before_reading_them() {
    let smtp = SmtpServer::start().await;
    let db = TestDb::sqlite();
    let app = TestApp::spawn(&chain_settings(&db, &smtp)).await;
    let (_, mails) = submitted(&app, &smtp).await;
    let link = link_for(&app, &mails, A1);
    let csrf = csrf_of(&open(&app, &link).await.1);

    // A real link and a well-formed form, with a comment far over 10,000 characters.
    let comment = "x".repeat(100_000);
    let response = app
        .client
        .post(&link)
        .form(&[
            ("decision", "reject"),
            ("comment", &comment),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);

    // 10 MB to a link that does not exist, and to the liveness probe.
    for (method, path) in [
        (reqwest::Method::POST, "/approve/x"),
        (reqwest::Method::GET, "/healthz"),
    ] {
        let response = app
            .client
            .request(method, app.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(vec![b'a'; 10_000_000])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE, "{path}");
    }

    // The link still works for a form of normal size.
    let (status, page) = decide(&app, &link, "approve", "").await;
    assert_eq!(status, 200, "{page}");
    app.stop().await;
}

#[tokio::test]
async fn no_answer_may_be_stored_by_a_cache() {
    let smtp = SmtpServer::start().await;
    let db = TestDb::sqlite();
    let app = TestApp::spawn(&chain_settings(&db, &smtp)).await;
    let (id, mails) = submitted(&app, &smtp).await;
    let link = link_for(&app, &mails, A1);
    let not_a_form = app
        .client
        .post(&link)
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert!(not_a_form.status().is_client_error());
    let unknown_link = app
        .client
        .post(app.url("/approve/nope"))
        .form(&[("decision", "approve")])
        .send()
        .await
        .unwrap();
    assert_eq!(unknown_link.status(), 404);
    let responses = [
        app.get(&format!("/api/notes/{id}")).await,
        app.get(&format!("/api/notes/{id}/pdf")).await,
        app.list("").await,
        app.get_anonymous("/api/notes").await,
        not_a_form,
        unknown_link,
    ];
    for response in responses {
        assert_eq!(
            response
                .headers()
                .get("cache-control")
                .map(|v| v.to_str().unwrap()),
            Some("no-store"),
            "{} {}",
            response.url(),
            response.status()
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn a_spent_or_withdrawn_link_no_longer_serves_its_draft() {
    let smtp = SmtpServer::start().await;
    let db = TestDb::sqlite();
    let app = TestApp::spawn(&chain_settings(&db, &smtp)).await;

    let (_, mails) = submitted(&app, &smtp).await;
    let spent = link_for(&app, &mails, A1);
    let draft = app.client.get(format!("{spent}/pdf")).send().await.unwrap();
    assert_eq!(draft.status(), 200, "readable while the link is usable");
    let (status, page) = decide(&app, &spent, "approve", "").await;
    assert_eq!(status, 200, "{page}");
    let draft = app.client.get(format!("{spent}/pdf")).send().await.unwrap();
    assert_eq!(draft.status(), 410, "the spent link's PDF");

    let (id, mails) = submitted(&app, &smtp).await;
    let withdrawn = link_for(&app, &mails, A1);
    assert_eq!(
        app.post(&format!("/api/notes/{id}/withdraw"))
            .await
            .status(),
        200
    );
    let draft = app
        .client
        .get(format!("{withdrawn}/pdf"))
        .send()
        .await
        .unwrap();
    assert_eq!(draft.status(), 410, "a withdrawn note's PDF");
    app.stop().await;
}

#[tokio::test]
async fn an_approval_mail_still_queued_when_its_note_is_withdrawn_is_never_sent() {
    let smtp = SmtpServer::start().await;
    let db = TestDb::sqlite();
    let app = TestApp::spawn(&chain_settings(&db, &smtp)).await;
    // A1's relay is busy for a while: the approval mail waits in the outbox.
    smtp.script(A1, &["451 4.3.2 busy"; 4]);
    let id = app.register(&crate::helpers::spec(&["JAI"])).await["id"].to_string();
    assert_eq!(
        app.post(&format!("/api/notes/{id}/submit")).await.status(),
        200
    );
    app.until_mail("A1's approval mail deferred once", || async {
        smtp.attempts(A1) >= 1
    })
    .await;
    assert_eq!(
        app.post(&format!("/api/notes/{id}/withdraw"))
            .await
            .status(),
        200
    );
    let pool = crate::approval::app_store(&db).await;
    let a1_mail = || async {
        sqlx::query_as::<_, (String, Option<String>)>(
            "SELECT status, last_error FROM outbox WHERE recipient = $1",
        )
        .bind(A1)
        .fetch_one(&pool)
        .await
        .expect("A1's approval mail")
    };
    app.until_mail("A1's approval mail given up", || async {
        a1_mail().await.0 == "failed"
    })
    .await;
    let (_, error) = a1_mail().await;
    let error = error.expect("why");
    assert!(error.contains("has been withdrawn"), "{error}");
    assert!(smtp.to(A1).is_empty(), "a dead link is never mailed");
    app.stop().await;
}
