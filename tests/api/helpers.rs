//! `TestApp`: the real application on port 0 with its own database (a fresh SQLite file or
//! a fresh PostgreSQL database), a token, a movable clock and one method per endpoint.

use std::sync::Arc;

use jiff::Timestamp;
use notesd::access::Role;
use notesd::app::Application;
use notesd::clock::ShiftedClock;
use notesd::config::Settings;
use notesd::service::{Service, TokenRequest};
use reqwest::Response;
use serde_json::{Value, json};
use sqlx::Connection;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Where a test's data lives; kept alive as long as the test needs it.
pub enum TestDb {
    Sqlite(tempfile::TempDir),
    Postgres { server: String, name: String },
}

impl TestDb {
    pub fn sqlite() -> Self {
        Self::Sqlite(tempfile::tempdir().expect("a temporary folder"))
    }

    /// A new, empty PostgreSQL database on the server named by `NOTESD_TEST_POSTGRES`.
    /// `None` (and a line saying the test is skipped) when no server is configured or
    /// reachable, unless `NOTESD_REQUIRE_POSTGRES=1`, which turns that into a failure.
    pub async fn postgres(test: &str) -> Option<Self> {
        let required = std::env::var("NOTESD_REQUIRE_POSTGRES").is_ok_and(|v| v == "1");
        let skip = |why: String| {
            assert!(!required, "NOTESD_REQUIRE_POSTGRES=1 but {why}");
            eprintln!("SKIPPED {test}: {why}");
            None
        };
        let Ok(url) = std::env::var("NOTESD_TEST_POSTGRES") else {
            return skip("NOTESD_TEST_POSTGRES is not set".to_owned());
        };
        let server = server_part(&url);
        sqlx::any::install_default_drivers();
        let mut admin = match sqlx::AnyConnection::connect(&format!("{server}/postgres")).await {
            Ok(c) => c,
            Err(e) => return skip(format!("cannot reach PostgreSQL at {server}: {e}")),
        };
        let name = format!("notesd_test_{}", rand_suffix());
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .expect("CREATE DATABASE");
        Some(Self::Postgres { server, name })
    }

    pub fn url(&self) -> String {
        match self {
            Self::Sqlite(dir) => format!("sqlite://{}/notesd.db", dir.path().display()),
            Self::Postgres { server, name } => format!("{server}/{name}"),
        }
    }

    /// Drops a PostgreSQL test database (after every app using it has stopped).
    pub async fn remove(self) {
        if let Self::Postgres { server, name } = self
            && let Ok(mut admin) = sqlx::AnyConnection::connect(&format!("{server}/postgres")).await
        {
            let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
            let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .execute(&mut admin)
                .await;
        }
    }
}

/// `postgres://user@host:port` from a URL that may name a database.
fn server_part(url: &str) -> String {
    let url = url.split('?').next().unwrap_or(url);
    let scheme_end = url.find("://").map_or(0, |i| i + 3);
    match url[scheme_end..].find('/') {
        Some(slash) => url[..scheme_end + slash].to_owned(),
        None => url.to_owned(),
    }
}

fn rand_suffix() -> String {
    notesd::secret::digest(&format!(
        "{:?}{}",
        std::time::SystemTime::now(),
        std::process::id()
    ))[..12]
        .to_owned()
}

pub fn settings_for(db: &TestDb) -> Settings {
    let mut settings = Settings::load(None).expect("the built-in configuration is valid");
    settings.database.url = db.url().into();
    settings.http.bind = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    // Mail goes to .eml files in a folder of the test's own, never the checkout's var/.
    settings.mail.dir = std::env::temp_dir().join(format!("notesd-test-mail-{}", rand_suffix()));
    settings
}

/// The drafter's address: the test token's, told when changes are requested.
pub const DRAFTER: &str = "drafter@presidency.example";

/// The unit of the test drafter, and of every fixture's spec.
pub const UNIT: &str = "JAI.1";

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub token: String,
    pub admin_token: String,
    pub clock: Arc<ShiftedClock>,
    /// The running application's use cases: for making more tokens and people, and for
    /// what no endpoint reaches (holding renders).
    pub service: Service,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<std::io::Result<()>>>,
}

/// 2026-11-22 10:00 in Brussels.
pub fn default_time() -> Timestamp {
    "2026-11-22T09:00:00Z".parse().expect("a valid timestamp")
}

impl TestApp {
    /// Starts the application as `notesd serve` would, with a drafter token.
    pub async fn spawn(settings: &Settings) -> Self {
        Self::spawn_at(settings, default_time()).await
    }

    pub async fn spawn_at(settings: &Settings, now: Timestamp) -> Self {
        let clock = Arc::new(ShiftedClock::new(now));
        let app = Application::build(settings, clock.clone())
            .await
            .expect("the application starts");
        let address = format!("http://127.0.0.1:{}", app.port());
        let drafter = DRAFTER.parse().expect("an address");
        let service = app.service().clone();
        let token = new_token(
            &service,
            "Test Drafter",
            Role::Drafter,
            Some(&drafter),
            &[UNIT],
        )
        .await;
        let admin_token = new_token(&service, "Test Admin", Role::Admin, None, &[]).await;
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until(async {
            let _ = stopped.await;
        }));
        Self {
            address,
            client: reqwest::Client::new(),
            token,
            admin_token,
            clock,
            service,
            stop: Some(stop),
            server: Some(server),
        }
    }

    /// Stops the server gracefully, as SIGTERM does, and waits until it has closed.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server
                .await
                .expect("the server task")
                .expect("the server stops cleanly");
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn post_note(&self, body: &Value) -> Response {
        self.client
            .post(self.url("/api/notes"))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await
            .expect("POST /api/notes")
    }

    /// Registers a note that must succeed and returns its JSON.
    pub async fn register(&self, body: &Value) -> Value {
        let response = self.post_note(body).await;
        let status = response.status();
        let json: Value = response.json().await.expect("a JSON body");
        assert_eq!(status, 201, "{json}");
        json
    }

    /// An authenticated GET of `path`.
    pub async fn get(&self, path: &str) -> Response {
        self.client
            .get(self.url(path))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"))
    }

    /// A GET of `path` without a token.
    pub async fn get_anonymous(&self, path: &str) -> Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"))
    }

    /// An authenticated POST of `path` without a body.
    pub async fn post(&self, path: &str) -> Response {
        self.client
            .post(self.url(path))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {path}: {e}"))
    }

    pub async fn get_note(&self, id: &str) -> Response {
        self.get(&format!("/api/notes/{id}")).await
    }

    pub async fn put_note(&self, id: &str, body: &Value) -> Response {
        self.client
            .put(self.url(&format!("/api/notes/{id}")))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await
            .expect("PUT /api/notes/{id}")
    }

    pub async fn list(&self, query: &str) -> Response {
        self.get(&format!("/api/notes{query}")).await
    }

    /// All notes, newest first.
    pub async fn all_notes(&self) -> Vec<Value> {
        let body: Value = self
            .list("?limit=1000")
            .await
            .json()
            .await
            .expect("a JSON list");
        body["notes"].as_array().cloned().unwrap_or_default()
    }
}

/// The longest a test waits for the mail worker to record anything: a guard against a
/// hang, far above what a passing test waits, never a measure of speed.
const MAIL_SILENCE: std::time::Duration = std::time::Duration::from_secs(60);

impl TestApp {
    /// Waits until `done` holds, asking again each time the mail worker has committed a
    /// batch of results: mail tests wait on that event instead of sleeping. `what` names the
    /// awaited state when the worker falls silent first.
    pub async fn until_mail<F, Fut>(&self, what: &str, done: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        until_mail_of(&[self], what, done).await;
    }
}

/// `TestApp::until_mail` for daemons sharing one database: asks again when any of their
/// workers has recorded a batch, since which of them records the awaited one is not known.
pub async fn until_mail_of<F, Fut>(apps: &[&TestApp], what: &str, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let (tick, mut ticks) = tokio::sync::watch::channel(());
    // Dropped on return, which ends the forwarding tasks.
    let mut forwards = tokio::task::JoinSet::new();
    for app in apps {
        // Subscribed before the first look, so no batch falls between the two.
        let mut recorded = app.service.mail_recorded();
        let tick = tick.clone();
        forwards.spawn(async move {
            while recorded.changed().await.is_ok() {
                tick.send_replace(());
            }
        });
    }
    loop {
        // Seen before looking, so a batch recorded while `done` runs wakes the next wait.
        ticks.borrow_and_update();
        if done().await {
            return;
        }
        tokio::time::timeout(MAIL_SILENCE, ticks.changed())
            .await
            .unwrap_or_else(|_| panic!("still waiting for {what}: no mail recorded"))
            .expect("the sender lives as long as this wait");
    }
}

/// A token that must be created, with the given units and no expiry.
pub async fn new_token(
    service: &Service,
    name: &str,
    role: Role,
    email: Option<&notesd::address::EmailAddress>,
    units: &[&str],
) -> String {
    let units: Vec<String> = units.iter().map(|u| (*u).to_owned()).collect();
    let (_, token) = service
        .create_token(TokenRequest {
            name,
            role,
            email,
            units: &units,
            expires_in: None,
        })
        .await
        .expect("a token");
    token
}

/// A minimal valid spec with the given codes.
pub fn spec(codes: &[&str]) -> Value {
    json!({
        "kind": "note",
        "language": "en",
        "from": "Presidency",
        "to": "Delegations",
        "subject": "Test note",
        "codes": codes,
        "unit": "JAI.1",
        "initials": "AB/cd",
        "body": "Delegations will find attached a text.",
    })
}

/// The seed note 6762/22 as a registry spec: without its number and counters.
pub fn seed_spec(language: &str) -> Value {
    let text = match language {
        "fr" => include_str!("../data/6762-22-fr.json"),
        _ => include_str!("../data/6762-22-en.json"),
    };
    let mut spec: Value = serde_json::from_str(text).expect("the seed is JSON");
    let object = spec.as_object_mut().expect("the seed is an object");
    object.remove("number");
    let codes: Vec<Value> = object["codes"]
        .as_array()
        .expect("codes")
        .iter()
        .map(|c| {
            c.as_str()
                .and_then(|c| c.split(' ').next())
                .unwrap_or_default()
                .into()
        })
        .collect();
    object.insert("codes".to_owned(), codes.into());
    spec
}
