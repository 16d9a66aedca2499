//! Scope per unit, tokens that expire or are revoked, and who is told of changes: a
//! drafter acts on the notes of their units (403 elsewhere) and reads only those (404,
//! exactly as for a missing note); admins act on all.

use std::time::Duration;

use notesd::access::Role;
use notesd::address::EmailAddress;
use notesd::service::TokenRequest;
use reqwest::Method;
use serde_json::{Value, json};

use crate::approval::{A1, A2, chain_settings, decide, link_for, mail_to};
use crate::helpers::{DRAFTER, TestApp, TestDb, UNIT, new_token, settings_for, spec};
use crate::smtp::SmtpServer;

/// A spec of `unit`.
fn spec_of(unit: &str) -> Value {
    let mut spec = spec(&["JAI"]);
    spec["unit"] = unit.into();
    spec
}

/// Sends a request with `token`; the status and the JSON answer (`null` when not JSON).
async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<&Value>,
) -> (u16, Value) {
    let mut request = app.client.request(method, app.url(path)).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(body);
    }
    let response = request.send().await.expect("the request is answered");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn message(answer: &Value) -> &str {
    answer["error"]["message"].as_str().unwrap_or_default()
}

async fn a_drafter_acts_and_reads_only_within_their_units(db: TestDb) {
    let app = TestApp::spawn(&settings_for(&db)).await;
    let (admin, drafter) = (app.admin_token.as_str(), app.token.as_str());
    let (status, other) = call(
        &app,
        Method::POST,
        "/api/notes",
        admin,
        Some(&spec_of("COSI.2")),
    )
    .await;
    assert_eq!(status, 201, "{other}");
    let own = app.register(&spec_of(UNIT)).await;
    let (other_id, own_id) = (other["id"].to_string(), own["id"].to_string());

    // Reading another unit's note answers exactly as for a note that does not exist.
    let (status, missing) = call(&app, Method::GET, "/api/notes/999999", drafter, None).await;
    assert_eq!(status, 404);
    assert_eq!(message(&missing), "no note with id 999999");
    for path in ["", "/pdf", "/audit", "/deliveries"] {
        let (status, answer) = call(
            &app,
            Method::GET,
            &format!("/api/notes/{other_id}{path}"),
            drafter,
            None,
        )
        .await;
        assert_eq!(status, 404, "GET {path}: {answer}");
        assert_eq!(answer["error"]["code"], missing["error"]["code"]);
        assert_eq!(message(&answer), format!("no note with id {other_id}"));
    }
    let listed = app.all_notes().await;
    let ids: Vec<&Value> = listed.iter().map(|n| &n["id"]).collect();
    assert_eq!(ids, [&own["id"]], "the list holds the drafter's unit only");

    // Acting on it is refused, naming the caller's units but not the note's (reading it
    // is 404: its unit must not leak either); and nothing changed.
    let acts = [
        (Method::PUT, String::new(), Some(spec_of("COSI.2"))),
        (Method::POST, "/submit".to_owned(), None),
        (Method::POST, "/withdraw".to_owned(), None),
        (Method::POST, "/revise".to_owned(), None),
    ];
    for (method, path, body) in &acts {
        let path = format!("/api/notes/{other_id}{path}");
        let (status, answer) = call(&app, method.clone(), &path, drafter, body.as_ref()).await;
        assert_eq!(status, 403, "{method} {path}: {answer}");
        assert!(!message(&answer).contains("COSI.2"), "{answer}");
        assert!(message(&answer).contains(UNIT), "{answer}");
    }
    let (_, unchanged) = call(
        &app,
        Method::GET,
        &format!("/api/notes/{other_id}"),
        admin,
        None,
    )
    .await;
    assert_eq!(
        (unchanged["version"].as_i64(), unchanged["state"].as_str()),
        (Some(1), Some("draft"))
    );

    // Registering for another unit, or moving one's note there, is refused too.
    let (status, answer) = call(
        &app,
        Method::POST,
        "/api/notes",
        drafter,
        Some(&spec_of("COSI.2")),
    )
    .await;
    assert_eq!(status, 403, "{answer}");
    assert!(message(&answer).contains("COSI.2"), "{answer}");
    let path = format!("/api/notes/{own_id}");
    let (status, answer) = call(&app, Method::PUT, &path, drafter, Some(&spec_of("COSI.2"))).await;
    assert_eq!(status, 403, "{answer}");

    // A drafter of both units, and an admin, see and act on both.
    let both = new_token(&app.service, "Both", Role::Drafter, None, &["COSI.2", UNIT]).await;
    for token in [both.as_str(), admin] {
        let (status, list) = call(&app, Method::GET, "/api/notes", token, None).await;
        assert_eq!(status, 200);
        assert_eq!(list["notes"].as_array().map(Vec::len), Some(2));
        let (status, answer) = call(
            &app,
            Method::GET,
            &format!("/api/notes/{other_id}/audit"),
            token,
            None,
        )
        .await;
        assert_eq!(status, 200, "{answer}");
    }
    let path = format!("/api/notes/{other_id}");
    let (status, answer) = call(&app, Method::PUT, &path, &both, Some(&spec_of("COSI.2"))).await;
    assert_eq!(status, 200, "{answer}");
    app.stop().await;
    db.remove().await;
}

#[tokio::test]
async fn a_drafter_acts_and_reads_only_within_their_units_on_sqlite() {
    a_drafter_acts_and_reads_only_within_their_units(TestDb::sqlite()).await;
}

#[tokio::test]
async fn a_drafter_acts_and_reads_only_within_their_units_on_postgres() {
    if let Some(db) =
        TestDb::postgres("a_drafter_acts_and_reads_only_within_their_units_on_postgres").await
    {
        a_drafter_acts_and_reads_only_within_their_units(db).await;
    }
}

#[tokio::test]
async fn a_drafter_token_without_a_unit_can_act_on_nothing_and_says_so() {
    let db = TestDb::sqlite();
    let app = TestApp::spawn(&settings_for(&db)).await;
    let own = app.register(&spec_of(UNIT)).await;
    let nobody = new_token(&app.service, "Nobody", Role::Drafter, None, &[]).await;
    let (status, answer) = call(
        &app,
        Method::POST,
        "/api/notes",
        &nobody,
        Some(&spec_of(UNIT)),
    )
    .await;
    assert_eq!(status, 403, "{answer}");
    assert!(
        message(&answer).ends_with(
            "(Nobody) is a drafter with no unit: it can act on no note until it has one"
        ),
        "{answer}"
    );
    let (status, _) = call(
        &app,
        Method::GET,
        &format!("/api/notes/{}", own["id"]),
        &nobody,
        None,
    )
    .await;
    assert_eq!(status, 404);
    let (_, list) = call(&app, Method::GET, "/api/notes", &nobody, None).await;
    assert_eq!(list["notes"], json!([]));
    app.stop().await;
}

async fn revoked_and_expired_tokens_get_401_saying_which(db: TestDb) {
    let app = TestApp::spawn(&settings_for(&db)).await;
    let units = [UNIT.to_owned()];
    let request = |name, expires_in| TokenRequest {
        name,
        role: Role::Drafter,
        email: None,
        units: &units,
        expires_in,
    };
    let (_, brief) = app
        .service
        .create_token(request("Brief", Some(Duration::from_secs(3600))))
        .await
        .expect("a token");
    let (revoked_id, revoked) = app
        .service
        .create_token(request("Gone", None))
        .await
        .expect("a token");
    for token in [&brief, &revoked] {
        assert_eq!(
            call(&app, Method::GET, "/api/notes", token, None).await.0,
            200
        );
    }

    app.service.revoke_token(revoked_id).await.expect("revoked");
    let (status, answer) = call(&app, Method::GET, "/api/notes", &revoked, None).await;
    assert_eq!(status, 401);
    assert!(
        message(&answer).contains(&format!("token {revoked_id} was revoked")),
        "{answer}"
    );

    app.clock
        .set(crate::helpers::default_time() + jiff::SignedDuration::from_hours(2));
    let (status, answer) = call(&app, Method::GET, "/api/notes", &brief, None).await;
    assert_eq!(status, 401);
    assert!(message(&answer).contains("expired"), "{answer}");

    let (status, answer) = call(&app, Method::GET, "/api/notes", "ntd_nonsense", None).await;
    assert_eq!(status, 401);
    assert_eq!(message(&answer), "the API token is not known");
    // The others still work.
    assert_eq!(
        call(&app, Method::GET, "/api/notes", &app.token, None)
            .await
            .0,
        200
    );
    app.stop().await;
    db.remove().await;
}

#[tokio::test]
async fn revoked_and_expired_tokens_get_401_saying_which_on_sqlite() {
    revoked_and_expired_tokens_get_401_saying_which(TestDb::sqlite()).await;
}

#[tokio::test]
async fn revoked_and_expired_tokens_get_401_saying_which_on_postgres() {
    if let Some(db) =
        TestDb::postgres("revoked_and_expired_tokens_get_401_saying_which_on_postgres").await
    {
        revoked_and_expired_tokens_get_401_saying_which(db).await;
    }
}

#[tokio::test]
async fn the_bearer_scheme_is_accepted_in_any_case() {
    let db = TestDb::sqlite();
    let app = TestApp::spawn(&settings_for(&db)).await;
    for scheme in ["bearer", "BEARER", "Bearer"] {
        let response = app
            .client
            .get(app.url("/api/notes"))
            .header("authorization", format!("{scheme} {}", app.token))
            .send()
            .await
            .expect("answered");
        assert_eq!(response.status(), 200, "{scheme}");
    }
    app.stop().await;
}

/// The registrant is told of changes requested, not whoever submitted the note.
#[tokio::test]
async fn changes_requested_are_told_to_whoever_registered_the_note() {
    let smtp = SmtpServer::start().await;
    let db = TestDb::sqlite();
    let app = TestApp::spawn(&chain_settings(&db, &smtp)).await;
    let id = app.register(&spec(&["JAI"])).await["id"].to_string();
    const COLLEAGUE: &str = "colleague@presidency.example";
    let colleague: EmailAddress = COLLEAGUE.parse().expect("an address");
    let submitter = new_token(
        &app.service,
        "Colleague",
        Role::Drafter,
        Some(&colleague),
        &[UNIT],
    )
    .await;
    let (status, answer) = call(
        &app,
        Method::POST,
        &format!("/api/notes/{id}/submit"),
        &submitter,
        None,
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    smtp.wait_for_to(A1, 1, Duration::from_secs(10)).await;
    let mails = smtp.wait_for_to(A2, 1, Duration::from_secs(10)).await;
    let (status, _) = decide(
        &app,
        &link_for(&app, &mails, A1),
        "reject",
        "Shorter, please.",
    )
    .await;
    assert_eq!(status, 200);
    let told = smtp.wait_for_to(DRAFTER, 1, Duration::from_secs(10)).await;
    assert!(mail_to(&told, DRAFTER).text().contains("Shorter, please."));
    let trail = crate::approval::audit(&app, &id).await;
    let decision = trail.iter().find(|e| e["action"] == "changes requested");
    let decision = decision.expect("the decision is in the trail");
    assert_eq!(decision["actor_id"], format!("approver:{A1}"));
    assert!(
        smtp.to(COLLEAGUE).is_empty(),
        "the submitter is not told instead"
    );
    let trail = crate::approval::audit(&app, &id).await;
    let submitted = trail
        .iter()
        .find(|e| e["action"] == "submitted")
        .expect("submitted");
    assert!(
        submitted["detail"]
            .as_str()
            .unwrap_or_default()
            .contains(DRAFTER),
        "the trail says who will be told: {submitted}"
    );
    app.stop().await;
}

#[tokio::test]
async fn every_api_entry_names_its_actor_by_id_with_client_and_user_agent() {
    let db = TestDb::sqlite();
    let app = TestApp::spawn(&settings_for(&db)).await;
    let send = |method: Method, path: String, body: Option<Value>| {
        let mut request = app
            .client
            .request(method, app.url(&path))
            .bearer_auth(&app.token)
            .header("user-agent", "scope-test/2.0");
        if let Some(body) = body {
            request = request.json(&body);
        }
        async move { request.send().await.expect("answered").status().as_u16() }
    };
    assert_eq!(
        send(Method::POST, "/api/notes".into(), Some(spec(&["JAI"]))).await,
        201
    );
    let path = "/api/notes/1";
    assert_eq!(
        send(Method::PUT, path.into(), Some(spec(&["JAI"]))).await,
        200
    );
    assert_eq!(
        send(Method::POST, format!("{path}/submit"), None).await,
        200
    );
    assert_eq!(
        send(Method::POST, format!("{path}/withdraw"), None).await,
        200
    );

    let trail = crate::approval::audit(&app, "1").await;
    let by_caller: Vec<&Value> = trail
        .iter()
        .filter(|e| e["actor"] == "Test Drafter")
        .collect();
    let actions: Vec<&Value> = by_caller.iter().map(|e| &e["action"]).collect();
    assert_eq!(actions, ["registered", "edited", "submitted", "withdrawn"]);
    for entry in by_caller {
        assert_eq!(entry["actor_id"], "token:1", "{entry}");
        assert_eq!(entry["client"], "127.0.0.1", "{entry}");
        assert_eq!(entry["user_agent"], "scope-test/2.0", "{entry}");
    }
    app.stop().await;
}

async fn an_edit_must_start_from_the_version_if_match_names(db: TestDb) {
    let app = TestApp::spawn(&settings_for(&db)).await;
    let id = app.register(&spec(&["JAI"])).await["id"].to_string();
    let read = app.get_note(&id).await;
    assert_eq!(read.headers()["etag"], "\"1\"");
    let put = |tag: Option<&'static str>| {
        let mut request = app
            .client
            .put(app.url(&format!("/api/notes/{id}")))
            .bearer_auth(&app.token)
            .json(&spec(&["JAI"]));
        if let Some(tag) = tag {
            request = request.header("if-match", tag);
        }
        async move { request.send().await.expect("answered") }
    };
    let saved = put(Some("\"1\"")).await;
    assert_eq!(saved.status(), 200);
    assert_eq!(saved.headers()["etag"], "\"2\"");

    // Someone else's edit was based on version 1: refused, and nothing is saved.
    let stale = put(Some("\"1\"")).await;
    assert_eq!(stale.status(), 412);
    let answer: Value = stale.json().await.expect("an error");
    assert_eq!(answer["error"]["code"], "stale_version");
    assert_eq!(put(Some("W/\"7\"")).await.status(), 412);
    let note: Value = app.get_note(&id).await.json().await.expect("a note");
    assert_eq!(note["version"], 2);

    // A bare number, the weak form and no If-Match at all are all accepted.
    assert_eq!(put(Some("2")).await.status(), 200);
    assert_eq!(put(Some("W/\"3\"")).await.status(), 200);
    assert_eq!(put(None).await.status(), 200);
    app.stop().await;
    db.remove().await;
}

#[tokio::test]
async fn an_edit_must_start_from_the_version_if_match_names_on_sqlite() {
    an_edit_must_start_from_the_version_if_match_names(TestDb::sqlite()).await;
}

#[tokio::test]
async fn an_edit_must_start_from_the_version_if_match_names_on_postgres() {
    if let Some(db) =
        TestDb::postgres("an_edit_must_start_from_the_version_if_match_names_on_postgres").await
    {
        an_edit_must_start_from_the_version_if_match_names(db).await;
    }
}

/// Every page of `GET /api/notes?{query}` with `token`, followed by its `next`.
async fn pages(app: &TestApp, token: &str, query: &str) -> Vec<Vec<Value>> {
    let mut pages = Vec::new();
    let mut path = format!("/api/notes?{query}");
    loop {
        let (status, page) = call(app, Method::GET, &path, token, None).await;
        assert_eq!(status, 200, "{page}");
        pages.push(page["notes"].as_array().cloned().unwrap_or_default());
        match page["next"].as_str() {
            Some(next) => path = format!("/api/notes?{query}&cursor={next}"),
            None => return pages,
        }
    }
}

fn ids(notes: &[Value]) -> Vec<i64> {
    notes.iter().filter_map(|n| n["id"].as_i64()).collect()
}

async fn list_pages_cover_every_note_once_newest_first(db: TestDb) {
    let app = TestApp::spawn(&settings_for(&db)).await;
    for i in 0..7 {
        let unit = if i % 3 == 0 { "COSI.2" } else { UNIT };
        let (status, _) = call(
            &app,
            Method::POST,
            "/api/notes",
            &app.admin_token,
            Some(&spec_of(unit)),
        )
        .await;
        assert_eq!(status, 201);
    }
    let admin = pages(&app, &app.admin_token, "limit=3").await;
    assert_eq!(admin.iter().map(Vec::len).collect::<Vec<_>>(), [3, 3, 1]);
    assert_eq!(ids(&admin.concat()), [7, 6, 5, 4, 3, 2, 1]);
    let first = &admin[0][0];
    assert!(
        first.get("spec").is_none(),
        "a summary, not the full spec: {first}"
    );
    assert_eq!(first["subject"], "Test note");
    assert_eq!(first["unit"], "COSI.2");
    assert_eq!(first["version"], 1);
    for field in ["number", "codes", "state", "created_at", "updated_at"] {
        assert!(first.get(field).is_some(), "{field} in {first}");
    }

    // A drafter pages through their unit's notes only, filtered in SQL: full pages.
    let drafter = pages(&app, &app.token, "limit=2&state=draft").await;
    assert_eq!(drafter.iter().map(Vec::len).collect::<Vec<_>>(), [2, 2]);
    assert_eq!(ids(&drafter.concat()), [6, 5, 3, 2]);

    let (status, answer) = call(
        &app,
        Method::GET,
        "/api/notes?cursor=nonsense",
        &app.token,
        None,
    )
    .await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(answer["error"]["field"], "cursor");
    app.stop().await;
    db.remove().await;
}

#[tokio::test]
async fn list_pages_cover_every_note_once_newest_first_on_sqlite() {
    list_pages_cover_every_note_once_newest_first(TestDb::sqlite()).await;
}

#[tokio::test]
async fn list_pages_cover_every_note_once_newest_first_on_postgres() {
    if let Some(db) =
        TestDb::postgres("list_pages_cover_every_note_once_newest_first_on_postgres").await
    {
        list_pages_cover_every_note_once_newest_first(db).await;
    }
}

/// A token made for a person while `user disable` is under way for them: whichever
/// commits first, no token of theirs is left working. The disable is played by hand so it
/// can be held open while the token is asked for.
async fn a_token_made_while_its_person_is_disabled_is_refused(db: TestDb) {
    let app = TestApp::spawn(&settings_for(&db)).await;
    let email: EmailAddress = "leaving@presidency.example".parse().expect("an address");
    app.service
        .add_user(&email, "Leaving Drafter", Role::Drafter, &[UNIT.to_owned()])
        .await
        .expect("the person is added");
    sqlx::any::install_default_drivers();
    let mut disabling = <sqlx::AnyConnection as sqlx::Connection>::connect(&db.url())
        .await
        .expect("a connection");
    let begin = match db {
        TestDb::Sqlite(_) => "BEGIN IMMEDIATE",
        TestDb::Postgres { .. } => "BEGIN",
    };
    sqlx::raw_sql(begin)
        .execute(&mut disabling)
        .await
        .expect("BEGIN");
    sqlx::query("UPDATE users SET disabled = 1 WHERE email = $1")
        .bind(email.as_str())
        .execute(&mut disabling)
        .await
        .expect("disabled, not committed");

    let units = [UNIT.to_owned()];
    let service = app.service.clone();
    let asked = tokio::spawn(async move {
        let request = TokenRequest {
            name: "Late",
            role: Role::Drafter,
            email: Some(&email),
            units: &units,
            expires_in: None,
        };
        service.create_token(request).await.map(|(id, _)| id)
    });
    // The token is asked for while the disable is open; give it the time to reach the
    // database before the disable commits (if it does not wait, it has already returned).
    tokio::time::sleep(Duration::from_millis(300)).await;
    sqlx::raw_sql("COMMIT")
        .execute(&mut disabling)
        .await
        .expect("COMMIT");
    let made = asked.await.expect("the request ran");
    assert!(
        matches!(made, Err(notesd::service::TokenError::DisabledPerson(_))),
        "a token for a person disabled meanwhile: {made:?}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_token_made_while_its_person_is_disabled_is_refused_on_sqlite() {
    a_token_made_while_its_person_is_disabled_is_refused(TestDb::sqlite()).await;
}

#[tokio::test]
async fn a_token_made_while_its_person_is_disabled_is_refused_on_postgres() {
    if let Some(db) =
        TestDb::postgres("a_token_made_while_its_person_is_disabled_is_refused_on_postgres").await
    {
        a_token_made_while_its_person_is_disabled_is_refused(db).await;
    }
}
