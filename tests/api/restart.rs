use serde_json::Value;

use crate::helpers::{TestApp, TestDb, settings_for, spec};

#[tokio::test]
async fn a_restart_loses_nothing_and_numbering_continues() {
    let db = TestDb::sqlite();
    let settings = settings_for(&db);
    let app = TestApp::spawn(&settings).await;
    let first = app.register(&spec(&["JAI", "COSI"])).await;
    app.register(&spec(&["COSI"])).await;
    let mut edited = spec(&["JAI", "COSI"]);
    edited["subject"] = "Edited before the restart".into();
    assert_eq!(
        app.put_note(&first["id"].to_string(), &edited)
            .await
            .status(),
        200
    );
    let before = app.all_notes().await;
    app.stop().await;

    let app = TestApp::spawn(&settings).await;
    assert_eq!(app.all_notes().await, before);
    let third = app.register(&spec(&["COSI", "JAI"])).await;
    assert_eq!(third["number"], "5003/26");
    assert_eq!(third["codes"], serde_json::json!(["COSI 3", "JAI 2"]));
    let reloaded: Value = app
        .get_note(&first["id"].to_string())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(reloaded["spec"]["subject"], "Edited before the restart");
    assert_eq!(reloaded["version"], 2);
    app.stop().await;
}
