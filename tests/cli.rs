//! The `notesd` binary as an operator runs it: exit codes, messages, `serve` until SIGTERM.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_notesd");

fn notesd(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(BIN);
    command.current_dir(dir).args(args);
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().expect("notesd runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn check_accepts_the_defaults_and_names_every_bad_key() {
    let dir = tempfile::tempdir().unwrap();
    let ok = notesd(dir.path(), &["check"], &[]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stderr));
    assert!(text(&ok.stdout).contains("configuration is valid"));

    std::fs::write(
        dir.path().join("bad.toml"),
        "[http]\nbind = \"nowhere\"\n[mail]\nconcurrency = 0\n",
    )
    .unwrap();
    let bad = notesd(dir.path(), &["check", "--config", "bad.toml"], &[]);
    assert_eq!(bad.status.code(), Some(1));
    let err = text(&bad.stderr);
    assert!(
        err.contains("http.bind: `nowhere`") && err.contains("mail.concurrency: 0"),
        "{err}"
    );

    let env = notesd(
        dir.path(),
        &["--config", "bad.toml", "check"],
        &[("NOTESD__HTTP__BIND", "127.0.0.1:9")],
    );
    assert!(
        !text(&env.stderr).contains("http.bind"),
        "the environment overrides the file"
    );

    let missing = notesd(dir.path(), &["check", "--config", "nope.toml"], &[]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(text(&missing.stderr).contains("nope.toml"));
}

#[test]
fn usage_errors_exit_2_and_help_explains() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        notesd(dir.path(), &["frobnicate"], &[]).status.code(),
        Some(2)
    );
    let bad_role = notesd(
        dir.path(),
        &["token", "create", "--name", "x", "--role", "boss"],
        &[],
    );
    assert_eq!(bad_role.status.code(), Some(2));
    let help = notesd(dir.path(), &["token", "create", "--help"], &[]);
    assert_eq!(help.status.code(), Some(0));
    assert!(text(&help.stdout).contains("--role"));
}

#[test]
fn an_unreachable_database_exits_3() {
    let dir = tempfile::tempdir().unwrap();
    let env = [(
        "NOTESD__DATABASE__URL",
        "postgres://postgres@127.0.0.1:1/notesd",
    )];
    let started = Instant::now();
    let out = notesd(dir.path(), &["migrate"], &env);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("cannot reach the database"));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "fails at once, not after a pool timeout"
    );
}

#[test]
fn token_create_validates_its_email() {
    let dir = tempfile::tempdir().unwrap();
    let out = notesd(
        dir.path(),
        &[
            "token", "create", "--name", "A", "--role", "drafter", "--email", "nope",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("--email"));
    assert!(
        !dir.path().join("var").exists(),
        "nothing was created for a refused command"
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn serve_creates_its_database_answers_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let migrate = notesd(dir.path(), &["migrate"], &[]);
    assert_eq!(migrate.status.code(), Some(0), "{}", text(&migrate.stderr));
    assert!(
        dir.path().join("var/notesd.db").is_file(),
        "the default SQLite file is created"
    );

    let created = notesd(
        dir.path(),
        &[
            "token",
            "create",
            "--name",
            "Anna",
            "--role",
            "drafter",
            "--email",
            "anna@presidency.example",
        ],
        &[],
    );
    assert_eq!(created.status.code(), Some(0), "{}", text(&created.stderr));
    let token = text(&created.stdout).trim().to_owned();
    assert!(token.starts_with("ntd_"), "{token}");

    let client = reqwest::Client::new();
    let (child, base) = start_serve(dir.path(), &client, &[("NOTESD__LOG__FORMAT", "json")]).await;
    let spec: serde_json::Value =
        serde_json::from_str(include_str!("data/6762-22-fr.json")).unwrap();
    let mut spec = spec;
    spec.as_object_mut().unwrap().remove("number");
    spec["codes"] = serde_json::json!(["JAI", "COSI"]);
    let response = client
        .post(format!("{base}/api/notes"))
        .bearer_auth(&token)
        .json(&spec)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let note: serde_json::Value = response.json().await.unwrap();
    assert_eq!(note["created_by"], "Anna");
    assert!(note["number"].as_str().unwrap().starts_with("5001/"));

    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "SIGTERM is a clean stop");
    let log = text(&out.stderr);
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|l| {
            serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON log line ({e}): {l}"))
        })
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l["fields"]["message"] == "SIGTERM received, stopping"),
        "{log}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l["fields"]["message"] == "notesd stopped"),
        "{log}"
    );
    assert!(!log.contains(&token), "the token never reaches the log");
}

/// Starts `notesd serve` in `dir` on a free port with `env`, keeping its log (stderr) for
/// the caller, and waits until it answers.
async fn start_serve(
    dir: &Path,
    client: &reqwest::Client,
    env: &[(&str, &str)],
) -> (std::process::Child, String) {
    let port = free_port();
    let child = Command::new(BIN)
        .current_dir(dir)
        .arg("serve")
        .env("NOTESD__HTTP__BIND", format!("127.0.0.1:{port}"))
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve starts");
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !client
        .get(format!("{base}/healthz"))
        .send()
        .await
        .is_ok_and(|r| r.status() == 200)
    {
        assert!(Instant::now() < deadline, "serve did not answer /healthz");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (child, base)
}

#[tokio::test]
async fn a_killed_daemon_loses_no_registered_note() {
    let dir = tempfile::tempdir().unwrap();
    let created = notesd(
        dir.path(),
        &["token", "create", "--name", "Anna", "--role", "drafter"],
        &[],
    );
    let token = text(&created.stdout).trim().to_owned();
    let client = reqwest::Client::new();
    let spec = serde_json::json!({
        "language": "en", "from": "Presidency", "to": "Delegations", "subject": "Crash test",
        "codes": ["JAI"], "unit": "JAI.1", "initials": "AB/cd", "body": "Text."
    });

    let (mut child, base) = start_serve(dir.path(), &client, &[]).await;
    let mut numbers = Vec::new();
    for _ in 0..20 {
        let response = client
            .post(format!("{base}/api/notes"))
            .bearer_auth(&token)
            .json(&spec)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        numbers.push(response.json::<serde_json::Value>().await.unwrap()["number"].clone());
    }
    // SIGKILL: no shutdown, no checkpoint; every answered registration must survive.
    child.kill().unwrap();
    child.wait().unwrap();

    let (mut child, base) = start_serve(dir.path(), &client, &[]).await;
    let listed: serde_json::Value = client
        .get(format!("{base}/api/notes?limit=1000"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut stored: Vec<serde_json::Value> = listed["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["number"].clone())
        .collect();
    stored.reverse();
    assert_eq!(stored, numbers);
    let next: serde_json::Value = client
        .post(format!("{base}/api/notes"))
        .bearer_auth(&token)
        .json(&spec)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let last = numbers.last().unwrap().as_str().unwrap();
    let serial: u32 = last.split('/').next().unwrap().parse().unwrap();
    assert_eq!(
        next["number"].as_str().unwrap().split('/').next().unwrap(),
        (serial + 1).to_string(),
        "numbering continues"
    );
    child.kill().unwrap();
    child.wait().unwrap();
}
