//! The served OpenAPI document is the contract: every route the router answers is in it,
//! and what the API answers validates against its schemas.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestDb, settings_for, spec};

/// The methods a route might take; HEAD is left out, axum answers it for every GET.
const METHODS: [Method; 5] = [
    Method::GET,
    Method::POST,
    Method::PUT,
    Method::PATCH,
    Method::DELETE,
];

async fn document(app: &TestApp) -> Value {
    let response = app.get_anonymous("/api/openapi.json").await;
    assert_eq!(response.status(), 200);
    response.json().await.expect("the document is JSON")
}

/// A path of the router with its parameters filled in with values that name nothing.
fn concrete(path: &str) -> String {
    path.replace("{id}", "999999")
        .replace("{token}", "no-such-link")
        .replace("{recipient}", "nobody@example.org")
}

#[tokio::test]
async fn every_method_of_every_route_is_in_the_document() {
    let db = TestDb::sqlite();
    let app = TestApp::spawn(&settings_for(&db)).await;
    let document = document(&app).await;
    assert_eq!(document["openapi"], "3.1.0");
    let paths = document["paths"].as_object().expect("paths");

    let routes = notesd::http::route_paths();
    for route in &routes {
        for method in METHODS {
            let status = app
                .client
                .request(method.clone(), app.url(&concrete(route)))
                .bearer_auth(&app.admin_token)
                .send()
                .await
                .unwrap_or_else(|e| panic!("{method} {route}: {e}"))
                .status();
            let documented = paths
                .get(*route)
                .and_then(|item| item.get(method.as_str().to_lowercase()))
                .is_some();
            if status == 405 {
                assert!(
                    !documented,
                    "{method} {route} is documented but answers 405"
                );
            } else {
                assert!(
                    documented,
                    "{method} {route} answers {status} but is not documented"
                );
            }
        }
    }
    for path in paths.keys() {
        assert!(
            routes.contains(&path.as_str()),
            "{path} is documented but the router has no such route"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn every_api_operation_requires_the_bearer_token_and_says_which_errors_it_returns() {
    let db = TestDb::sqlite();
    let app = TestApp::spawn(&settings_for(&db)).await;
    let document = document(&app).await;
    assert_eq!(
        document["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    for (path, item) in document["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("a path item") {
            let security = operation.get("security").unwrap_or(&document["security"]);
            let responses = operation["responses"].as_object().expect("responses");
            if path.starts_with("/api/notes") {
                assert_eq!(security, &json!([{"bearer": []}]), "{method} {path}");
                assert!(responses.contains_key("401"), "{method} {path}");
            } else {
                assert_eq!(security, &json!([]), "{method} {path} is public");
            }
        }
    }
    let edit = &document["paths"]["/api/notes/{id}"]["put"];
    assert!(edit["responses"]["412"].is_object());
    assert!(edit["responses"]["200"]["headers"]["ETag"].is_object());
    let header = |p: &Value| p["in"] == "header" && p["name"] == "If-Match";
    assert!(
        edit["parameters"]
            .as_array()
            .expect("parameters")
            .iter()
            .any(header)
    );
    app.stop().await;
}

/// Fails with every way `body` departs from the schema of `method path`'s `status` answer.
fn assert_conforms(document: &Value, path: &str, method: &str, status: u16, body: &Value) {
    let mut response = &document["paths"][path][method]["responses"][status.to_string()];
    if let Some(name) = response["$ref"].as_str() {
        let name = name.trim_start_matches("#/components/responses/");
        response = &document["components"]["responses"][name];
    }
    let schema = &response["content"]["application/json"]["schema"];
    assert!(
        schema.is_object(),
        "{method} {path} documents no JSON body for {status}"
    );
    // The whole document as the root, so that its `#/components/...` references resolve.
    let mut root = document.clone();
    root["allOf"] = json!([schema]);
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&root)
        .unwrap_or_else(|e| panic!("the schema of {method} {path} {status}: {e}"));
    let errors: Vec<String> = validator
        .iter_errors(body)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "{method} {path} {status}: {errors:#?}\n{body:#}"
    );
}

#[tokio::test]
async fn what_the_api_answers_validates_against_the_document() {
    let db = TestDb::sqlite();
    let app = TestApp::spawn(&settings_for(&db)).await;
    let document = document(&app).await;

    let note = app.register(&spec(&["JAI"])).await;
    assert_conforms(&document, "/api/notes", "post", 201, &note);
    let id = note["id"].to_string();

    let submitted = app.post(&format!("/api/notes/{id}/submit")).await;
    assert_eq!(submitted.status(), 200);
    let submitted: Value = submitted.json().await.expect("JSON");
    assert!(
        !submitted["steps"].as_array().expect("steps").is_empty(),
        "{submitted}"
    );
    assert_conforms(&document, "/api/notes/{id}/submit", "post", 200, &submitted);

    let list: Value = app.list("").await.json().await.expect("JSON");
    assert_conforms(&document, "/api/notes", "get", 200, &list);
    let one: Value = app.get_note(&id).await.json().await.expect("JSON");
    assert_conforms(&document, "/api/notes/{id}", "get", 200, &one);
    let audit: Value = app
        .get(&format!("/api/notes/{id}/audit"))
        .await
        .json()
        .await
        .expect("JSON");
    assert_conforms(&document, "/api/notes/{id}/audit", "get", 200, &audit);
    let deliveries: Value = app
        .get(&format!("/api/notes/{id}/deliveries"))
        .await
        .json()
        .await
        .expect("JSON");
    assert_conforms(
        &document,
        "/api/notes/{id}/deliveries",
        "get",
        200,
        &deliveries,
    );

    let missing = app.get_note("999999").await;
    assert_eq!(missing.status(), 404);
    let error: Value = missing.json().await.expect("JSON");
    assert_conforms(&document, "/api/notes/{id}", "get", 404, &error);
    let invalid = app.post_note(&json!({"language": "xx"})).await;
    assert_eq!(invalid.status(), 422);
    let error: Value = invalid.json().await.expect("JSON");
    assert!(error["error"]["field"].is_string(), "{error}");
    assert_conforms(&document, "/api/notes", "post", 422, &error);

    // Verification, without a token: a finding, and a refusal of what is not a PDF.
    for (body, status) in [(&b"%PDF-1.7\n"[..], 200), (&b"GIF89a"[..], 422)] {
        let answer = app
            .client
            .post(app.url("/api/verify"))
            .header("content-type", "application/pdf")
            .body(body)
            .send()
            .await
            .expect("POST /api/verify");
        assert_eq!(answer.status(), status);
        let answer: Value = answer.json().await.expect("JSON");
        assert_conforms(&document, "/api/verify", "post", status, &answer);
    }
    app.stop().await;
}
