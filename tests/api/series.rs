//! The number series at their limits: the last revision index, a year past the two-digit
//! pivot, and a stored row this daemon cannot read.

use serde_json::Value;

use crate::helpers::{TestApp, TestDb, settings_for, spec};

/// Runs `sql` with the note's id bound as `$1`, as an operator or a bug might.
async fn alter(db: &TestDb, sql: &'static str, id: &Value) {
    let pool = sqlx::AnyPool::connect(&db.url())
        .await
        .expect("the database");
    sqlx::query(sql)
        .bind(id.as_i64().expect("a note id"))
        .execute(&pool)
        .await
        .expect("the update");
    pool.close().await;
}

async fn revise(app: &TestApp, id: &Value) -> (u16, Value) {
    let response = app.post(&format!("/api/notes/{id}/revise")).await;
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON body"))
}

#[tokio::test]
async fn a_thousandth_revision_is_refused_and_the_list_stays_readable() {
    let db = TestDb::sqlite();
    let app = TestApp::spawn(&settings_for(&db)).await;
    let note = app.register(&spec(&["JAI"])).await;
    alter(
        &db,
        "UPDATE notes SET state = 'issued', revision = 999 WHERE id = $1",
        &note["id"],
    )
    .await;

    let (status, body) = revise(&app, &note["id"]).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "series_exhausted", "{body}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("revision 999"), "{message}");

    let list = app.list("").await;
    assert_eq!(list.status(), 200);
    let list: Value = list.json().await.expect("a list");
    assert_eq!(list["notes"].as_array().map(Vec::len), Some(1), "{list}");
    app.stop().await;
}

/// Spoils one of two notes with `sql`: the list shows the other, and reading the spoilt
/// one says it is unreadable and names `what` cannot be read.
async fn unreadable_is_left_out_and_named(sql: &'static str, what: &str) {
    let db = TestDb::sqlite();
    let app = TestApp::spawn(&settings_for(&db)).await;
    let good = app.register(&spec(&["JAI"])).await;
    let bad = app.register(&spec(&["JAI"])).await;
    alter(&db, sql, &bad["id"]).await;

    let list = app.list("").await;
    assert_eq!(list.status(), 200);
    let notes = app.all_notes().await;
    let ids: Vec<&Value> = notes.iter().map(|n| &n["id"]).collect();
    assert_eq!(ids, [&good["id"]]);

    let response = app.get_note(&bad["id"].to_string()).await;
    assert_eq!(response.status(), 500);
    let body: Value = response.json().await.expect("a JSON error");
    assert_eq!(body["error"]["code"], "unreadable", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains(&format!("({what})")),
        "{body}"
    );
    app.stop().await;
}

#[tokio::test]
async fn one_unreadable_note_is_left_out_of_the_list_and_named_on_its_own() {
    unreadable_is_left_out_and_named(
        "UPDATE notes SET number = 'not a number' WHERE id = $1",
        "number",
    )
    .await;
}

#[tokio::test]
async fn a_stored_spec_that_no_longer_parses_makes_only_its_note_unreadable() {
    unreadable_is_left_out_and_named(
        "UPDATE notes SET spec = '{\"subject\": \"no language\"}' WHERE id = $1",
        "spec",
    )
    .await;
}

#[tokio::test]
async fn a_note_of_2050_keeps_its_year_and_revises_in_its_own_series() {
    let db = TestDb::sqlite();
    let at = "2050-03-01T09:00:00Z".parse().expect("a time");
    let app = TestApp::spawn_at(&settings_for(&db), at).await;
    let note = app.register(&spec(&["JAI"])).await;
    assert_eq!(note["number"], "5001/50");
    let read: Value = app
        .get_note(&note["id"].to_string())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(read["register_id"], "ST 5001 2050 INIT", "{read}");

    alter(
        &db,
        "UPDATE notes SET state = 'issued' WHERE id = $1",
        &note["id"],
    )
    .await;
    let (status, first) = revise(&app, &note["id"]).await;
    assert_eq!(status, 201, "{first}");
    let (status, second) = revise(&app, &note["id"]).await;
    assert_eq!(status, 201, "{second}");
    assert_eq!(second["number"], "5001/2/50 REV 2");
    assert_eq!(second["register_id"], "ST 5001 2050 REV 2");
    app.stop().await;
}
