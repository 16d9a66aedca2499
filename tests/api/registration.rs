use serde_json::{Value, json};

use crate::helpers::{TestApp, TestDb, seed_spec, settings_for, spec};

#[tokio::test]
async fn the_seed_note_is_registered_with_the_next_number_and_code_counters() {
    let db = TestDb::sqlite();
    let app = TestApp::spawn(&settings_for(&db)).await;

    let response = app.post_note(&seed_spec("en")).await;
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let note: Value = response.json().await.unwrap();

    assert_eq!(note["number"], "5001/26");
    assert_eq!(note["register_id"], "ST 5001 2026 INIT");
    assert_eq!(
        note["codes"],
        json!([
            "JAI 1",
            "JAIEX 1",
            "COLAC 1",
            "COSI 1",
            "CRIMORG 1",
            "ENFOPOL 1",
            "CORDROGUE 1"
        ])
    );
    assert_eq!(note["state"], "draft");
    assert_eq!(note["version"], 1);
    assert_eq!(note["steps"], json!([]));
    assert_eq!(note["created_by"], "Test Drafter");
    assert_eq!(note["spec"]["original_language"], "fr");
    assert_eq!(note["spec"]["previous"], json!(["6314/1/22"]));
    assert_eq!(location, format!("/api/notes/{}", note["id"]));

    let second = app.register(&spec(&["COSI", "JAI"])).await;
    assert_eq!(second["number"], "5002/26");
    assert_eq!(
        second["codes"],
        json!(["COSI 2", "JAI 2"]),
        "the drafter's order is kept"
    );

    let fetched: Value = app
        .get_note(&note["id"].to_string())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(fetched, note);
    app.stop().await;
}

#[tokio::test]
async fn defaults_are_filled_in_from_the_registration_day_in_brussels() {
    let db = TestDb::sqlite();
    let app = TestApp::spawn_at(&settings_for(&db), "2026-03-31T22:30:00Z".parse().unwrap()).await;
    let note = app.register(&spec(&["JAI"])).await;
    assert_eq!(
        note["spec"]["date"], "2026-04-01",
        "00:30 in Brussels is already April 1"
    );
    assert_eq!(note["spec"]["place"], "brussels");
    assert_eq!(note["spec"]["original_language"], "en");
    assert_eq!(note["spec"]["distribution"], json!(["delegations"]));
    app.stop().await;
}

#[tokio::test]
async fn first_number_comes_from_the_configuration() {
    let db = TestDb::sqlite();
    let mut settings = settings_for(&db);
    settings.registry.first_number = 9000;
    let app = TestApp::spawn(&settings).await;
    assert_eq!(app.register(&spec(&["JAI"])).await["number"], "9000/26");
    assert_eq!(app.register(&spec(&["JAI"])).await["number"], "9001/26");
    app.stop().await;
}

#[tokio::test]
async fn the_year_turns_in_brussels_and_the_series_restart() {
    let db = TestDb::sqlite();
    let app = TestApp::spawn_at(&settings_for(&db), "2026-12-31T22:00:00Z".parse().unwrap()).await;
    let last_of_2026 = app.register(&spec(&["JAI", "COSI"])).await;
    app.register(&spec(&["JAI"])).await;
    assert_eq!(last_of_2026["number"], "5001/26");

    // 23:30 UTC on New Year's Eve is 00:30 on 1 January 2027 in Brussels.
    app.clock.set("2026-12-31T23:30:00Z".parse().unwrap());
    let first_of_2027 = app.register(&spec(&["JAI"])).await;
    assert_eq!(first_of_2027["number"], "5001/27");
    assert_eq!(first_of_2027["register_id"], "ST 5001 2027 INIT");
    assert_eq!(first_of_2027["codes"], json!(["JAI 1"]));
    assert_eq!(first_of_2027["spec"]["date"], "2027-01-01");
    let second_of_2027 = app.register(&spec(&["COSI", "JAI"])).await;
    assert_eq!(second_of_2027["number"], "5002/27");
    assert_eq!(second_of_2027["codes"], json!(["COSI 1", "JAI 2"]));
    app.stop().await;
}

#[tokio::test]
async fn an_edit_is_a_new_version_with_the_same_number_and_counters() {
    let db = TestDb::sqlite();
    let app = TestApp::spawn(&settings_for(&db)).await;
    let note = app.register(&spec(&["JAI", "COSI"])).await;
    let id = note["id"].to_string();

    let mut edited = spec(&["JAI", "COSI"]);
    edited["subject"] = "A better subject".into();
    edited["marking"] = "LIMITE".into();
    let response = app.put_note(&id, &edited).await;
    assert_eq!(response.status(), 200);
    let saved: Value = response.json().await.unwrap();
    assert_eq!(saved["version"], 2);
    assert_eq!(saved["number"], note["number"]);
    assert_eq!(saved["codes"], note["codes"]);
    assert_eq!(saved["spec"]["subject"], "A better subject");
    assert_eq!(saved["spec"]["marking"], "LIMITE");
    assert_eq!(
        saved["spec"]["date"], note["spec"]["date"],
        "the date stays the registration day"
    );

    let again = app.put_note(&id, &spec(&["JAI", "COSI"])).await;
    assert_eq!(again.json::<Value>().await.unwrap()["version"], 3);

    // Codes left out of an edit stay as registered.
    let mut without_codes = spec(&[]);
    without_codes.as_object_mut().unwrap().remove("codes");
    let kept: Value = app
        .put_note(&id, &without_codes)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(kept["version"], 4);
    assert_eq!(kept["spec"]["codes"], json!(["JAI", "COSI"]));

    // Every version is kept.
    let store = notesd::store::Store::connect(&db.url()).await.unwrap();
    let versions = store.versions(note["id"].as_i64().unwrap()).await.unwrap();
    let subjects: Vec<&str> = versions
        .iter()
        .map(|(_, s)| s["subject"].as_str().unwrap())
        .collect();
    assert_eq!(
        subjects,
        ["Test note", "A better subject", "Test note", "Test note"]
    );
    assert_eq!(
        versions.iter().map(|(v, _)| *v).collect::<Vec<_>>(),
        [1, 2, 3, 4]
    );
    store.close().await;

    // The next registration continues the series: an edit took nothing.
    assert_eq!(
        app.register(&spec(&["JAI"])).await["codes"],
        json!(["JAI 2"])
    );
    app.stop().await;
}

#[tokio::test]
async fn notes_are_listed_newest_first_and_filtered_by_state() {
    let db = TestDb::sqlite();
    let app = TestApp::spawn(&settings_for(&db)).await;
    for _ in 0..3 {
        app.register(&spec(&["JAI"])).await;
    }
    let all = app.all_notes().await;
    let numbers: Vec<&str> = all.iter().map(|n| n["number"].as_str().unwrap()).collect();
    assert_eq!(numbers, ["5003/26", "5002/26", "5001/26"]);

    let drafts: Value = app.list("?state=draft&limit=2").await.json().await.unwrap();
    assert_eq!(drafts["notes"].as_array().unwrap().len(), 2);
    let issued: Value = app.list("?state=issued").await.json().await.unwrap();
    assert_eq!(issued["notes"], json!([]));
    app.stop().await;
}
