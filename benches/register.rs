//! Registrations per second through the HTTP API with 32 concurrent clients, on SQLite and
//! (when `NOTESD_TEST_POSTGRES` names a server) on PostgreSQL. Client and server share
//! this process and the machine's cores, so the figures are a floor.
//!
//! `cargo bench --bench register` (NOTESD_BENCH_SECONDS sets each run's length, default 10).

use std::sync::Arc;
use std::time::{Duration, Instant};

use notesd::access::Role;
use notesd::app::Application;
use notesd::clock::SystemClock;
use notesd::config::Settings;
use notesd::service::TokenRequest;
use serde_json::json;
use sqlx::Connection;

const CLIENTS: usize = 32;

#[tokio::main]
async fn main() {
    let seconds = std::env::var("NOTESD_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let run = Duration::from_secs(seconds);
    let dir = tempfile::tempdir().expect("a temporary folder");
    let sqlite = format!("sqlite://{}/bench.db", dir.path().display());
    report("sqlite", &sqlite, run).await;

    match std::env::var("NOTESD_TEST_POSTGRES") {
        Ok(server) => {
            let server = server.trim_end_matches('/').to_owned();
            sqlx::any::install_default_drivers();
            let mut admin = sqlx::AnyConnection::connect(&format!("{server}/postgres"))
                .await
                .expect("PostgreSQL");
            let name = format!("notesd_bench_{}", std::process::id());
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut admin)
                .await
                .expect("create");
            report("postgres", &format!("{server}/{name}"), run).await;
            let drop = format!("DROP DATABASE {name} WITH (FORCE)");
            sqlx::raw_sql(sqlx::AssertSqlSafe(drop))
                .execute(&mut admin)
                .await
                .expect("drop");
        }
        Err(_) => println!(
            "postgres: skipped (set NOTESD_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432)"
        ),
    }
}

async fn report(label: &str, url: &str, run: Duration) {
    let mut settings = Settings::load(None).expect("built-in configuration");
    settings.database.url = url.to_owned().into();
    settings.http.bind = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    let app = Application::build(&settings, Arc::new(SystemClock))
        .await
        .expect("app starts");
    let base = format!("http://127.0.0.1:{}/api/notes", app.port());
    let token = app
        .service()
        .create_token(TokenRequest {
            name: "bench",
            role: Role::Drafter,
            email: None,
            units: &["JAI.1".to_owned()],
            expires_in: None,
        })
        .await
        .expect("token")
        .1;
    let server = tokio::spawn(app.run_until(std::future::pending()));

    let spec = json!({
        "language": "en", "from": "Presidency", "to": "Delegations",
        "subject": "Benchmark note", "codes": ["JAI", "COSI", "CRIMORG"],
        "unit": "JAI.1", "initials": "AB/cd", "body": "Delegations will find attached a text.",
    });
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CLIENTS)
        .build()
        .expect("client");
    // Warm up connections and caches.
    drive(&client, &base, &token, &spec, Duration::from_millis(500)).await;
    let started = Instant::now();
    let mut latencies = drive(&client, &base, &token, &spec, run).await;
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort_unstable();
    let pct = |p: f64| latencies[((latencies.len() as f64 - 1.0) * p) as usize].as_secs_f64() * 1e3;
    println!(
        "{label}: {} registrations in {elapsed:.1}s = {:.0}/s with {CLIENTS} clients; latency p50 {:.2} ms, p99 {:.2} ms",
        latencies.len(),
        latencies.len() as f64 / elapsed,
        pct(0.5),
        pct(0.99),
    );
    server.abort();
}

/// Each of `CLIENTS` tasks registers notes back to back until `run` has passed.
async fn drive(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    spec: &serde_json::Value,
    run: Duration,
) -> Vec<Duration> {
    let deadline = Instant::now() + run;
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (client, url, token, spec) = (
                client.clone(),
                url.to_owned(),
                token.to_owned(),
                spec.clone(),
            );
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                while Instant::now() < deadline {
                    let t = Instant::now();
                    let response = client
                        .post(&url)
                        .bearer_auth(&token)
                        .json(&spec)
                        .send()
                        .await
                        .expect("answered");
                    assert_eq!(response.status(), 201);
                    latencies.push(t.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.expect("client task"));
    }
    all
}
