//! Bad input gets the right status and a message naming the field, and leaves the
//! registry exactly as it was: no note stored, no number or counter burned.

use serde_json::{Value, json};

use crate::helpers::{TestApp, TestDb, settings_for, spec};

/// `spec(["JAI"])` with `patch` applied; a null value removes the key.
fn patched(patch: &Value) -> Value {
    let mut body = spec(&["JAI"]);
    for (key, value) in patch.as_object().expect("an object") {
        if value.is_null() {
            body.as_object_mut().expect("an object").remove(key);
        } else {
            body[key] = value.clone();
        }
    }
    body
}

async fn error_of(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.expect("errors are JSON");
    assert!(body["error"]["code"].is_string(), "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    (status, body["error"].clone())
}

#[tokio::test]
async fn every_invalid_field_is_a_422_naming_it_and_nothing_is_stored() {
    let db = TestDb::sqlite();
    let app = TestApp::spawn(&settings_for(&db)).await;
    app.register(&spec(&["JAI"])).await;

    let cases = [
        (json!({"language": null}), "language", "required"),
        (
            json!({"language": "xx"}),
            "language",
            "official EU language",
        ),
        (
            json!({"original_language": "EN"}),
            "original_language",
            "official EU language",
        ),
        (json!({"kind": "memo"}), "kind", "unknown kind"),
        (json!({"place": "strasbourg"}), "place", "luxembourg"),
        (json!({"date": "2022-02-30"}), "date", "YYYY-MM-DD"),
        (
            json!({"number": "6762/22"}),
            "number",
            "allocated by the registry",
        ),
        (json!({"from": ""}), "from", "empty"),
        (json!({"to": null}), "to", "required"),
        (json!({"subject": 42}), "subject", "invalid type"),
        (json!({"codes": []}), "codes", "at least one"),
        (
            json!({"codes": ["JAI 274"]}),
            "codes[0]",
            "allocated by the registry",
        ),
        (
            json!({"codes": ["JAI", "JIA"]}),
            "codes[1]",
            "did you mean `JAI`",
        ),
        (json!({"codes": ["JAI", "JAI"]}), "codes[1]", "twice"),
        (
            json!({"previous": ["6314/2/22 REV 1"]}),
            "previous[0]",
            "must equal",
        ),
        (
            json!({"marking": "RESTREINT UE/EU RESTRICTED"}),
            "marking",
            "classified",
        ),
        (
            json!({"interinstitutional_file": "2021/0123 (XYZ)"}),
            "interinstitutional_file",
            "XYZ",
        ),
        (json!({"unit": "?"}), "unit", "Secretariat unit"),
        (json!({"initials": null}), "initials", "required"),
        (
            json!({"distribution": ["public"]}),
            "distribution[0]",
            "unknown list `public`",
        ),
        (json!({"body": null}), "body", "required"),
        (
            json!({"template": "nope", "body": null}),
            "template",
            "unknown template",
        ),
        (json!({"colour": "red"}), "colour", "unknown field"),
    ];
    for (patch, field, message) in &cases {
        let (status, error) = error_of(app.post_note(&patched(patch)).await).await;
        assert_eq!(status, 422, "{patch}: {error}");
        assert_eq!(error["code"], "invalid_field");
        assert_eq!(error["field"], *field, "{patch}: {error}");
        let text = error["message"].as_str().unwrap_or_default();
        assert!(text.contains(message), "{patch}: {error}");
    }

    assert_eq!(app.all_notes().await.len(), 1, "no refused note was stored");
    let next = app.register(&spec(&["JAI"])).await;
    assert_eq!(next["number"], "5002/26", "no refusal burned a number");
    assert_eq!(
        next["codes"],
        json!(["JAI 2"]),
        "no refusal burned a counter"
    );
    app.stop().await;
}

#[tokio::test]
async fn malformed_oversized_and_unauthenticated_requests() {
    let db = TestDb::sqlite();
    let app = TestApp::spawn(&settings_for(&db)).await;
    let post = |body: reqwest::Body| {
        app.client
            .post(app.url("/api/notes"))
            .bearer_auth(&app.token)
            .header("content-type", "application/json")
            .body(body)
    };

    let (status, error) = error_of(post("{\"language\": ".into()).send().await.unwrap()).await;
    assert_eq!(
        (status, error["code"].as_str()),
        (400, Some("malformed_json")),
        "{error}"
    );
    assert!(
        error["message"].as_str().unwrap().contains("line 1"),
        "{error}"
    );

    let (status, error) = error_of(post("".into()).send().await.unwrap()).await;
    assert_eq!(status, 400, "{error}");

    let (status, error) = error_of(post("[1,2]".into()).send().await.unwrap()).await;
    assert_eq!(status, 422, "{error}");

    let big = format!("{{\"body\": \"{}\"}}", "x".repeat(10_000_001));
    let (status, error) = error_of(post(big.into()).send().await.unwrap()).await;
    assert_eq!(
        (status, error["code"].as_str()),
        (413, Some("payload_too_large")),
        "{error}"
    );

    let anonymous = app
        .client
        .post(app.url("/api/notes"))
        .json(&spec(&["JAI"]))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.headers()["www-authenticate"], "Bearer");
    let (status, _) = error_of(anonymous).await;
    assert_eq!(status, 401);
    let forged = app
        .client
        .get(app.url("/api/notes"))
        .bearer_auth("ntd_forged")
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(forged).await.0, 401);
    let basic = app
        .client
        .get(app.url("/api/notes/1"))
        .basic_auth("a", Some("b"))
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(basic).await.0, 401);

    assert!(app.all_notes().await.is_empty());
    assert_eq!(app.register(&spec(&["JAI"])).await["number"], "5001/26");
    app.stop().await;
}

#[tokio::test]
async fn unknown_notes_bad_queries_and_forbidden_edits() {
    let db = TestDb::sqlite();
    let app = TestApp::spawn(&settings_for(&db)).await;
    let note = app.register(&spec(&["JAI", "COSI"])).await;
    let id = note["id"].to_string();

    for missing in ["999", "abc", "-1"] {
        let (status, error) = error_of(app.get_note(missing).await).await;
        assert_eq!(
            (status, error["code"].as_str()),
            (404, Some("not_found")),
            "{missing}"
        );
        assert_eq!(
            error_of(app.put_note(missing, &spec(&["JAI"])).await)
                .await
                .0,
            404
        );
    }
    let (status, error) = error_of(app.list("?state=lost").await).await;
    assert_eq!(
        (status, error["field"].as_str()),
        (422, Some("state")),
        "{error}"
    );
    for limit in ["0", "1001", "ten"] {
        let (status, error) = error_of(app.list(&format!("?limit={limit}")).await).await;
        assert_eq!(
            (status, error["field"].as_str()),
            (422, Some("limit")),
            "{error}"
        );
    }

    // An edit may not change the codes, whose counters are allocated.
    let (status, error) = error_of(app.put_note(&id, &spec(&["JAI"])).await).await;
    assert_eq!(
        (status, error["field"].as_str()),
        (422, Some("codes")),
        "{error}"
    );
    let (status, error) = error_of(
        app.put_note(
            &id,
            &patched(&json!({"number": "1/26", "codes": ["JAI", "COSI"]})),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, error["field"].as_str()),
        (422, Some("number")),
        "{error}"
    );

    // Out of draft (set in the database, as the approval chain will), edits are refused.
    let pool = sqlx::AnyPool::connect(&db.url()).await.unwrap();
    sqlx::query("UPDATE notes SET state = 'in_review' WHERE id = $1")
        .bind(note["id"].as_i64().unwrap())
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let (status, error) = error_of(app.put_note(&id, &spec(&["JAI", "COSI"])).await).await;
    assert_eq!(
        (status, error["code"].as_str()),
        (409, Some("invalid_state")),
        "{error}"
    );
    assert!(
        error["message"].as_str().unwrap().contains("in_review"),
        "{error}"
    );

    let unchanged: Value = app.get_note(&id).await.json().await.unwrap();
    assert_eq!(unchanged["version"], 1);
    assert_eq!(unchanged["spec"], note["spec"]);

    let (status, _) = error_of(
        app.client
            .delete(app.url("/api/notes"))
            .bearer_auth(&app.token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 405);
    let (status, _) = error_of(app.get_anonymous("/api/nothing").await).await;
    assert_eq!(status, 404);
    app.stop().await;
}

#[tokio::test]
async fn bidirectional_and_invisible_characters_and_oversized_fields_are_422s() {
    let db = TestDb::sqlite();
    let app = TestApp::spawn(&settings_for(&db)).await;
    let note = app.register(&spec(&["JAI"])).await;
    let id = note["id"].to_string();
    let template =
        |fields: Value| patched(&json!({"body": null, "template": "note", "fields": fields}));
    let cases = [
        (
            json!({"subject": "Invoice \u{202E}fdp.exe"}),
            "subject",
            "bidirectional",
        ),
        (
            json!({"body": "Text \u{2067}isolated\u{2069}"}),
            "body",
            "bidirectional",
        ),
        (json!({"from": "Presi\u{200B}dency"}), "from", "U+200B"),
        (
            json!({"to": "Delegations\u{FEFF}"}),
            "to",
            "invisible format character",
        ),
        (json!({"initials": "AB/\u{00AD}cd"}), "initials", "U+00AD"),
    ];
    for (patch, field, message) in cases {
        let body = patched(&patch);
        for response in [app.post_note(&body).await, app.put_note(&id, &body).await] {
            let (status, error) = error_of(response).await;
            assert_eq!(status, 422, "{patch}: {error}");
            assert_eq!(error["field"], field, "{patch}: {error}");
            assert!(
                error["message"].as_str().unwrap().contains(message),
                "{error}"
            );
        }
    }
    let (status, error) = error_of(
        app.post_note(&template(json!({"text": "a\u{202D}b"})))
            .await,
    )
    .await;
    assert_eq!(
        (status, error["field"].as_str()),
        (422, Some("fields.text")),
        "{error}"
    );
    let long = "word ".repeat(400_001);
    let (status, error) = error_of(app.post_note(&template(json!({"text": long}))).await).await;
    assert_eq!(
        (status, error["field"].as_str()),
        (422, Some("fields")),
        "{error}"
    );
    // Zero-width characters keep their place in the body.
    let fine = app
        .post_note(&patched(
            &json!({"body": "zero\u{200B}width\u{200D}joiner"}),
        ))
        .await;
    assert_eq!(fine.status(), 201);
    assert_eq!(app.all_notes().await.len(), 2, "nothing else was stored");
    app.stop().await;
}
