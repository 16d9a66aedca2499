//! The web desk's two costs that must stay small (issue 12): the live preview of a 2-page
//! note (target: under 5 ms of server time), and the list page of a drafter whose units
//! hold 10,000 notes (target: under 20 ms). The preview is timed at `Service::preview`
//! (spec, render gate, layout, SVG), which is all `POST /preview` adds to form parsing;
//! the list through HTTP on loopback, client included, so its figure is an upper bound.
//!
//! `cargo bench --bench desk`

use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use notesd::access::Role;
use notesd::app::Application;
use notesd::clock::SystemClock;
use notesd::config::Settings;
use serde_json::json;
use sqlx::Connection;

fn desk(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let dir = tempfile::tempdir().expect("a temporary folder");
    let url = format!("sqlite://{}/bench.db", dir.path().display());
    let mut settings = Settings::load(None).expect("built-in configuration");
    settings.database.url = url.clone().into();
    settings.http.bind = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    settings.mail.dir = dir.path().join("mail");
    let app = runtime
        .block_on(Application::build(&settings, Arc::new(SystemClock)))
        .expect("app starts");
    let service = app.service().clone();
    let base = format!("http://127.0.0.1:{}", app.port());
    runtime.spawn(app.run_until(std::future::pending()));

    let email = "anna@presidency.example".parse().expect("an address");
    let units = ["JAI.1".to_owned()];
    let who = runtime.block_on(async {
        service
            .add_user(&email, "Anna", Role::Drafter, &units)
            .await
            .expect("a person");
        let user = service
            .store()
            .user(&email)
            .await
            .expect("read")
            .expect("found");
        user.principal(Default::default())
    });

    // A note of two pages: the i-a-item-note template with a long background.
    let spec = json!({
        "kind": "i-a-item-note", "language": "en", "from": "Presidency",
        "to": "Permanent Representatives Committee", "subject": "Preview benchmark",
        "codes": ["JAI", "COSI"], "unit": "JAI.1", "initials": "AB/cd",
        "template": "i-a-item-note",
        "fields": {
            "background": "The Presidency has worked on the text with the delegations. ".repeat(60),
            "outcome": "The working party reached agreement on the text.",
            "action": "adopt the decision",
        },
    });
    let pages = runtime
        .block_on(service.preview(&who, None, spec.clone()))
        .expect("a preview");
    assert_eq!(pages.len(), 2, "the benchmark note runs to two pages");

    // 10,000 notes of the drafter's unit: one registered, copied in one statement.
    runtime.block_on(async {
        let mut body = spec.clone();
        body["body"] = "Short.".into();
        body.as_object_mut().map(|b| b.remove("template"));
        body.as_object_mut().map(|b| b.remove("fields"));
        body["kind"] = "note".into();
        service.register(&who, body).await.expect("registered");
        let mut db = sqlx::SqliteConnection::connect(&url)
            .await
            .expect("the database");
        sqlx::raw_sql(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 9999) \
             INSERT INTO notes (number, year, serial, codes, state, version, spec, created_by, \
             created_at, updated_at, unit) \
             SELECT (serial + i) || '/' || (year % 100), year, serial + i, codes, state, version, \
             spec, created_by, created_at, updated_at, unit FROM notes, n WHERE notes.id = 1",
        )
        .execute(&mut db)
        .await
        .expect("10,000 notes");
    });
    let link = runtime
        .block_on(service.signin_link(&email))
        .expect("a link");
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client");
    let path = &link[link.find("/signin/").expect("a sign-in URL")..];
    let cookie = runtime.block_on(async {
        let response = client
            .post(format!("{base}{path}"))
            .send()
            .await
            .expect("signed in");
        let cookie = response.headers()["set-cookie"]
            .to_str()
            .expect("a cookie")
            .to_owned();
        cookie.split(';').next().unwrap_or_default().to_owned()
    });

    let mut group = c.benchmark_group("desk");
    group.bench_function("preview of a 2-page note", |b| {
        b.iter(|| {
            runtime
                .block_on(service.preview(&who, None, std::hint::black_box(spec.clone())))
                .expect("a preview")
        })
    });
    group.bench_function("list page of 10,000 notes (HTTP, client included)", |b| {
        b.iter(|| {
            runtime.block_on(async {
                let response = client
                    .get(format!("{base}/notes"))
                    .header("cookie", &cookie)
                    .send()
                    .await
                    .expect("the list");
                assert_eq!(response.status(), 200);
                response.text().await.expect("a page")
            })
        })
    });
    group.finish();
}

criterion_group!(benches, desk);
criterion_main!(benches);
