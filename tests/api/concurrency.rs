//! Numbers and counters stay unique and contiguous however registrations interleave,
//! within one instance and across two instances sharing a database.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::helpers::{TestApp, TestDb, settings_for, spec};

const REGISTRATIONS: usize = 64;

/// The codes of registration `i`: every note has JAI, some have COSI and CRIMORG too, so
/// that the code series advance at different paces.
fn codes_of(i: usize) -> Vec<&'static str> {
    let mut codes = vec!["JAI"];
    if i.is_multiple_of(2) {
        codes.push("COSI");
    }
    if i.is_multiple_of(3) {
        codes.insert(0, "CRIMORG");
    }
    codes
}

/// Registers `REGISTRATIONS` notes at once, spread round-robin over `apps`.
async fn register_concurrently(apps: &[&TestApp]) -> Vec<Value> {
    let tasks: Vec<_> = (0..REGISTRATIONS)
        .map(|i| {
            let app = apps[i % apps.len()];
            let (client, url, token) =
                (app.client.clone(), app.url("/api/notes"), app.token.clone());
            tokio::spawn(async move {
                let response = client
                    .post(url)
                    .bearer_auth(token)
                    .json(&spec(&codes_of(i)))
                    .send()
                    .await;
                let response = response.expect("the request is answered");
                assert_eq!(response.status(), 201);
                response.json::<Value>().await.expect("a note")
            })
        })
        .collect();
    let mut notes = Vec::with_capacity(tasks.len());
    for task in tasks {
        notes.push(task.await.expect("the task completes"));
    }
    notes
}

/// Every number 5001..5064 exactly once; each code's counters 1..n exactly once, where n
/// is how many notes carry the code.
fn assert_unique_and_contiguous(notes: &[Value]) {
    let mut serials: Vec<u32> = notes
        .iter()
        .map(|n| {
            let number = n["number"].as_str().expect("a number");
            number
                .strip_suffix("/26")
                .expect("this year")
                .parse()
                .expect("digits")
        })
        .collect();
    serials.sort_unstable();
    let expected: Vec<u32> = (5001..5001 + REGISTRATIONS as u32).collect();
    assert_eq!(serials, expected);

    let mut counters: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    for note in notes {
        for code in note["codes"].as_array().expect("codes") {
            let (name, counter) = code
                .as_str()
                .and_then(|c| c.split_once(' '))
                .expect("CODE n");
            counters
                .entry(name.to_owned())
                .or_default()
                .push(counter.parse().expect("digits"));
        }
    }
    let expected_count =
        |pred: fn(usize) -> bool| (0..REGISTRATIONS).filter(|i| pred(*i)).count() as u32;
    let wanted = [
        ("COSI", expected_count(|i| i % 2 == 0)),
        ("CRIMORG", expected_count(|i| i % 3 == 0)),
        ("JAI", REGISTRATIONS as u32),
    ];
    assert_eq!(counters.len(), wanted.len());
    for (code, count) in wanted {
        let mut got = counters[code].clone();
        got.sort_unstable();
        assert_eq!(got, (1..=count).collect::<Vec<_>>(), "{code}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_registrations_on_sqlite_get_unique_contiguous_numbers() {
    let db = TestDb::sqlite();
    let app = TestApp::spawn(&settings_for(&db)).await;
    let notes = register_concurrently(&[&app]).await;
    assert_unique_and_contiguous(&notes);
    assert_unique_and_contiguous(&app.all_notes().await);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_on_one_sqlite_file_share_the_series() {
    let db = TestDb::sqlite();
    let settings = settings_for(&db);
    let (a, b) = (
        TestApp::spawn(&settings).await,
        TestApp::spawn(&settings).await,
    );
    let notes = register_concurrently(&[&a, &b]).await;
    assert_unique_and_contiguous(&notes);
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_on_one_postgres_database_share_the_series() {
    let Some(db) =
        TestDb::postgres("two_instances_on_one_postgres_database_share_the_series").await
    else {
        return;
    };
    let settings = settings_for(&db);
    let (a, b) = (
        TestApp::spawn(&settings).await,
        TestApp::spawn(&settings).await,
    );
    let notes = register_concurrently(&[&a, &b]).await;
    assert_unique_and_contiguous(&notes);
    assert_unique_and_contiguous(&b.all_notes().await);
    a.stop().await;
    b.stop().await;
    db.remove().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_registration_edit_and_rollover() {
    let Some(db) = TestDb::postgres("postgres_registration_edit_and_rollover").await else {
        return;
    };
    let app = TestApp::spawn_at(&settings_for(&db), "2026-12-31T22:59:00Z".parse().unwrap()).await;
    let note = app.register(&spec(&["JAI"])).await;
    assert_eq!(note["number"], "5001/26");
    app.clock.set("2026-12-31T23:30:00Z".parse().unwrap());
    assert_eq!(app.register(&spec(&["JAI"])).await["number"], "5001/27");
    let response = app.put_note(&note["id"].to_string(), &spec(&["JAI"])).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap()["version"], 2);
    app.stop().await;
    db.remove().await;
}
