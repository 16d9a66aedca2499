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
    let out = notesd(dir.path(), &["migrate"], &env);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("cannot reach the database"), "{stderr}");
    // Fails at once: the refused connection is what is reported, not a pool that timed
    // out retrying it.
    assert!(stderr.contains("Connection refused"), "{stderr}");
    assert!(!stderr.contains("timed out"), "{stderr}");
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
            "--unit",
            "JAI.1",
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

/// An authenticated GET answered with JSON.
async fn get_json(client: &reqwest::Client, url: &str, token: &str) -> serde_json::Value {
    let response = client.get(url).bearer_auth(token).send().await;
    let response = response.unwrap_or_else(|e| panic!("GET {url}: {e}"));
    response.json().await.expect("a JSON answer")
}

/// Starts `notesd serve` in `dir` on a free port with `env`, keeping its log (stderr) for
/// the caller, and waits until it answers.
async fn start_serve(
    dir: &Path,
    client: &reqwest::Client,
    env: &[(&str, &str)],
) -> (std::process::Child, String) {
    start_serve_with(dir, client, &[], env).await
}

/// The same with extra arguments (`--config FILE`).
async fn start_serve_with(
    dir: &Path,
    client: &reqwest::Client,
    args: &[&str],
    env: &[(&str, &str)],
) -> (std::process::Child, String) {
    let port = free_port();
    let child = Command::new(BIN)
        .current_dir(dir)
        .args(args)
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
        &[
            "token", "create", "--name", "Anna", "--role", "drafter", "--unit", "JAI.1",
        ],
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
    let listed: serde_json::Value =
        get_json(&client, &format!("{base}/api/notes?limit=1000"), &token).await;
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

#[path = "common/smtp.rs"]
mod smtp;

/// A configuration that mails through `smtp_url`, with one approver and a list `many` of
/// `recipients` addresses.
fn distribution_config(smtp_url: &str, recipients: usize) -> String {
    let mut config = format!(
        "[http]\npublic_url = \"https://notes.example\"\n\
         [mail]\ntransport = \"smtp\"\nsmtp_url = \"{smtp_url}\"\nretry_initial = \"1s\"\nretry_max = \"2s\"\n\
         [approval]\n[[approval.steps]]\nname = \"Presidency\"\napprovers = [\"approver@presidency.example\"]\nrule = \"any\"\n"
    );
    for i in 0..recipients {
        config.push_str(&format!(
            "[[lists.many]]\ncode = \"R{i}\"\nname = \"Recipient {i}\"\nemails = [\"r{i}@many.example\"]\n"
        ));
    }
    config
}

/// Approves as the approver would: opens the link's page, then posts its form.
async fn approve_at(client: &reqwest::Client, link: &str) {
    let page = client.get(link).send().await.unwrap().text().await.unwrap();
    let start = page.find("name=\"csrf\" value=\"").expect("a form") + 19;
    let csrf: String = page[start..].chars().take_while(|c| *c != '"').collect();
    let decided = client
        .post(link)
        .form(&[("decision", "approve"), ("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(decided.status(), 200);
}

/// `--config` of the folders `slow_distribution` prepares.
const DISTRIBUTION_CONFIG: [&str; 2] = ["--config", "notesd.toml"];

/// A folder whose config distributes to `recipients` addresses through a relay that takes
/// 25 ms a message, so that a distribution lasts long enough to be cut; and a JAI.1
/// drafter token.
async fn slow_distribution(recipients: usize) -> (smtp::SmtpServer, tempfile::TempDir, String) {
    let server = smtp::SmtpServer::start().await;
    server.slow_down(Duration::from_millis(25));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("notesd.toml"),
        distribution_config(&server.url(), recipients),
    )
    .unwrap();
    let created = notesd(
        dir.path(),
        &[
            &DISTRIBUTION_CONFIG[..],
            &[
                "token", "create", "--name", "Anna", "--role", "drafter", "--unit", "JAI.1",
            ],
        ]
        .concat(),
        &[],
    );
    assert_eq!(created.status.code(), Some(0), "{}", text(&created.stderr));
    let token = text(&created.stdout).trim().to_owned();
    (server, dir, token)
}

/// Registers a note to the list `many`, submits it and approves it as the approver of
/// `distribution_config` (the first mail `server` receives); returns its id, issued.
async fn issue(
    client: &reqwest::Client,
    server: &smtp::SmtpServer,
    base: &str,
    token: &str,
) -> String {
    let spec = serde_json::json!({
        "language": "en", "from": "Presidency", "to": "Recipients", "subject": "Crash test",
        "codes": ["JAI"], "unit": "JAI.1", "initials": "AB/cd", "body": "Text.",
        "distribution": ["many"]
    });
    let note: serde_json::Value = client
        .post(format!("{base}/api/notes"))
        .bearer_auth(token)
        .json(&spec)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = note["id"].to_string();
    let submitted = client
        .post(format!("{base}/api/notes/{id}/submit"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(submitted.status(), 200);
    let mails = server.wait_for(1, Duration::from_secs(20)).await;
    let link = mails[0].approval_link().expect("an approval link");
    let link = link.replace("https://notes.example", base);
    approve_at(client, &link).await;
    id
}

#[tokio::test]
async fn verify_names_an_issued_note_and_refuses_a_tampered_copy() {
    let (server, dir, token) = slow_distribution(1).await;
    let client = reqwest::Client::new();
    let (child, base) = start_serve_with(dir.path(), &client, &DISTRIBUTION_CONFIG, &[]).await;
    let id = issue(&client, &server, &base, &token).await;
    let number = get_json(&client, &format!("{base}/api/notes/{id}"), &token).await["number"]
        .as_str()
        .expect("a number")
        .to_owned();
    let pdf = client
        .get(format!("{base}/api/notes/{id}/pdf"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
        .to_vec();
    let (code, _) = stop_and_log(child).await;
    assert_eq!(code, Some(0));

    let issued = dir.path().join("issued.pdf");
    std::fs::write(&issued, &pdf).unwrap();
    let args = |file: &'static str| [&DISTRIBUTION_CONFIG[..], &["verify", file]].concat();
    let (stdout, _) = expect(dir.path(), &args("issued.pdf"), 0);
    assert!(
        stdout.starts_with(&format!("{number}, version ")),
        "{stdout}"
    );
    assert!(stdout.contains("issued "), "{stdout}");

    let mut tampered = pdf;
    let middle = tampered.len() / 2;
    tampered[middle] ^= 0x01;
    std::fs::write(dir.path().join("tampered.pdf"), &tampered).unwrap();
    let (_, stderr) = expect(dir.path(), &args("tampered.pdf"), 1);
    assert!(stderr.contains("tampered.pdf: "), "{stderr}");
    assert!(stderr.contains("SHA-256"), "{stderr}");

    std::fs::write(dir.path().join("notes.txt"), "not a PDF").unwrap();
    let (_, stderr) = expect(dir.path(), &args("notes.txt"), 1);
    assert!(stderr.contains("not a PDF"), "{stderr}");
}

#[tokio::test]
async fn a_daemon_killed_mid_distribution_resumes_and_serves_everyone() {
    const RECIPIENTS: usize = 300;
    let (server, dir, token) = slow_distribution(RECIPIENTS).await;
    let config = DISTRIBUTION_CONFIG;
    let client = reqwest::Client::new();
    let (mut child, base) = start_serve_with(dir.path(), &client, &config, &[]).await;
    let id = issue(&client, &server, &base, &token).await;

    // About a third of the way: SIGKILL.
    server
        .wait_for(1 + RECIPIENTS / 3, Duration::from_secs(60))
        .await;
    child.kill().unwrap();
    child.wait().unwrap();
    let at_kill = server.received().len() - 1;
    assert!(
        at_kill < RECIPIENTS,
        "the distribution was cut ({at_kill} sent)"
    );

    let (child, base) = start_serve_with(dir.path(), &client, &config, &[]).await;
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let state: serde_json::Value =
            get_json(&client, &format!("{base}/api/notes/{id}"), &token).await;
        if state["state"] == "distributed" {
            break;
        }
        assert!(Instant::now() < deadline, "not distributed after restart");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let mut per_address = std::collections::HashMap::<String, usize>::new();
    for mail in server.received().iter().skip(1) {
        *per_address.entry(mail.to[0].clone()).or_default() += 1;
    }
    assert_eq!(per_address.len(), RECIPIENTS, "every recipient served");
    let duplicates: usize = per_address.values().map(|n| n - 1).sum();
    assert!(
        duplicates <= 8,
        "{duplicates} duplicates, more than the 8 in flight"
    );
    let report: serde_json::Value = get_json(
        &client,
        &format!("{base}/api/notes/{id}/deliveries"),
        &token,
    )
    .await;
    assert_eq!(report["summary"]["sent"], RECIPIENTS);
    // A try counts once its outcome is recorded: the rows the killed daemon had claimed but
    // not tried, or sent without recording, show the one try that was.
    for delivery in report["deliveries"].as_array().expect("deliveries") {
        assert_eq!(delivery["attempts"], 1, "{delivery}");
    }
    eprintln!("killed after {at_kill} of {RECIPIENTS}; {duplicates} duplicate(s) after restart");

    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut child = child;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            let out = child.wait_with_output().unwrap();
            panic!("SIGTERM did not stop the daemon: {}", text(&out.stderr));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(child.wait().unwrap().code(), Some(0));
}

/// Runs `notesd ARGS` in `dir`, expecting exit `code`; returns stdout and stderr.
fn expect(dir: &Path, args: &[&str], code: i32) -> (String, String) {
    let out = notesd(dir, args, &[]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(code), "{args:?}: {stdout}{stderr}");
    (stdout, stderr)
}

/// The line of `listing` whose second column is `name`.
fn row<'a>(listing: &'a str, name: &str) -> &'a str {
    listing
        .lines()
        .find(|l| l.split('\t').nth(1) == Some(name))
        .unwrap_or_else(|| panic!("no row for {name} in {listing}"))
}

#[test]
fn people_and_tokens_are_managed_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let anna = [
        "--email",
        "anna@presidency.example",
        "--name",
        "Anna Example",
    ];
    let (_, err) = expect(
        d,
        &[
            &["user", "add"],
            &anna[..],
            &["--role", "drafter", "--unit", "jai 1"],
        ]
        .concat(),
        1,
    );
    assert!(err.contains("--unit") && err.contains("jai 1"), "{err}");
    let add_anna = [
        &["user", "add"],
        &anna[..],
        &["--role", "drafter", "--unit", "JAI.1", "--unit", "COSI.2"],
    ]
    .concat();
    expect(d, &add_anna, 0);
    let (_, err) = expect(d, &add_anna, 1);
    assert!(err.contains("already"), "{err}");
    expect(
        d,
        &[
            "user",
            "add",
            "--email",
            "bob@presidency.example",
            "--name",
            "Bob",
            "--role",
            "admin",
        ],
        0,
    );
    let (people, _) = expect(d, &["user", "list"], 0);
    assert_eq!(
        people.lines().collect::<Vec<_>>(),
        [
            "anna@presidency.example\tAnna Example\tdrafter\tJAI.1,COSI.2\tenabled",
            "bob@presidency.example\tBob\tadmin\t-\tenabled",
        ]
    );

    let (token, _) = expect(
        d,
        &[
            "token",
            "create",
            "--name",
            "Anna",
            "--role",
            "drafter",
            "--email",
            "anna@presidency.example",
            "--unit",
            "JAI.1",
            "--expires",
            "90d",
        ],
        0,
    );
    assert!(
        token.trim().starts_with("ntd_") && token.lines().count() == 1,
        "{token}"
    );
    expect(
        d,
        &["token", "create", "--name", "Nobody", "--role", "drafter"],
        0,
    );
    expect(
        d,
        &[
            "token",
            "create",
            "--name",
            "X",
            "--role",
            "drafter",
            "--expires",
            "soon",
        ],
        2,
    );
    let (tokens, _) = expect(d, &["token", "list"], 0);
    assert!(!tokens.contains(token.trim()), "never the secret");
    let anna_row: Vec<&str> = row(&tokens, "Anna").split('\t').collect();
    assert_eq!(&anna_row[..4], ["1", "Anna", "drafter", "JAI.1"]);
    assert!(anna_row[4].starts_with("created "), "{tokens}");
    assert!(anna_row[5].starts_with("expires 20"), "{tokens}");
    assert_eq!(anna_row[6..], ["last used never", "active"]);
    assert!(row(&tokens, "Nobody").contains("\t-\t"), "{tokens}");

    let (report, _) = expect(d, &["check"], 0);
    assert!(
        report.lines().any(|l| l
            == "token 2 (Nobody) is a drafter with no unit: it can act on no note until it has one"),
        "{report}"
    );

    // Disabling a person (their address in any case) ends their tokens at once.
    expect(
        d,
        &["user", "disable", "--email", "Anna@Presidency.example"],
        0,
    );
    let (people, _) = expect(d, &["user", "list"], 0);
    assert!(
        people.lines().next().unwrap().ends_with("\tdisabled"),
        "{people}"
    );
    let (tokens, _) = expect(d, &["token", "list"], 0);
    assert!(row(&tokens, "Anna").contains("\trevoked "), "{tokens}");
    let (_, err) = expect(
        d,
        &[
            "token",
            "create",
            "--name",
            "Anna",
            "--role",
            "drafter",
            "--email",
            "anna@presidency.example",
            "--unit",
            "JAI.1",
        ],
        1,
    );
    assert!(err.contains("disabled"), "{err}");
    let (_, err) = expect(d, &["user", "disable", "--email", "nobody@x.example"], 1);
    assert!(err.contains("nobody@x.example"), "{err}");

    expect(d, &["token", "revoke", "2"], 0);
    let (report, _) = expect(d, &["check"], 0);
    assert!(
        !report.contains("no unit"),
        "a revoked token is no concern: {report}"
    );
    let (_, err) = expect(d, &["token", "revoke", "99"], 1);
    assert!(err.contains("no token with id 99"), "{err}");
}

#[tokio::test]
async fn scope_and_revocation_hold_on_a_running_daemon() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let create = |name: &str, role: &str, extra: &[&str]| {
        let args = [&["token", "create", "--name", name, "--role", role], extra].concat();
        expect(d, &args, 0).0.trim().to_owned()
    };
    let admin = create("Admin", "admin", &[]);
    let jai = create("Jai", "drafter", &["--unit", "JAI.1"]);
    let cosi = create(
        "Cosi",
        "drafter",
        &["--unit", "COSI.2", "--email", "cosi@presidency.example"],
    );
    expect(
        d,
        &[
            "user",
            "add",
            "--email",
            "cosi@presidency.example",
            "--name",
            "Cosi",
            "--role",
            "drafter",
            "--unit",
            "COSI.2",
        ],
        0,
    );
    let client = reqwest::Client::new();
    let (mut child, base) = start_serve(d, &client, &[]).await;
    let spec = serde_json::json!({
        "language": "en", "from": "Presidency", "to": "Delegations", "subject": "Scope",
        "codes": ["COSI"], "unit": "COSI.2", "initials": "AB/cd", "body": "Text."
    });
    let note: serde_json::Value = client
        .post(format!("{base}/api/notes"))
        .bearer_auth(&admin)
        .json(&spec)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let url = format!("{base}/api/notes/{}", note["id"]);

    // JAI.1 reads nothing of COSI.2 (404) and acts on nothing of it (403).
    let read = client.get(&url).bearer_auth(&jai).send().await.unwrap();
    assert_eq!(read.status(), 404);
    let edit = client
        .put(&url)
        .bearer_auth(&jai)
        .json(&spec)
        .send()
        .await
        .unwrap();
    assert_eq!(edit.status(), 403);
    let said = edit.text().await.unwrap();
    assert!(said.contains("JAI.1") && !said.contains("COSI.2"), "{said}");
    // COSI.2's drafter does, with the scheme in lower case.
    let read = client
        .get(&url)
        .header("authorization", format!("bearer {cosi}"))
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200);
    let (tokens, _) = expect(d, &["token", "list"], 0);
    assert!(row(&tokens, "Cosi").contains("\tlast used 20"), "{tokens}");
    assert!(row(&tokens, "Admin").contains("\tlast used 20"), "{tokens}");

    // Revoking or disabling from the command line takes effect on the running daemon.
    let jai_id = row(&tokens, "Jai").split('\t').next().unwrap().to_owned();
    expect(d, &["token", "revoke", &jai_id], 0);
    let refused = client.get(&url).bearer_auth(&jai).send().await.unwrap();
    assert_eq!(refused.status(), 401);
    let said = refused.text().await.unwrap();
    assert!(said.contains("revoked"), "{said}");
    expect(
        d,
        &["user", "disable", "--email", "cosi@presidency.example"],
        0,
    );
    let refused = client.get(&url).bearer_auth(&cosi).send().await.unwrap();
    assert_eq!(refused.status(), 401);
    child.kill().unwrap();
    child.wait().unwrap();
}

/// The exit code and log of a daemon stopped with SIGTERM, once it has exited; waited for
/// off the test's runtime, so that a mail server in this process keeps answering it.
async fn stop_and_log(child: std::process::Child) -> (Option<i32>, String) {
    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    (out.status.code(), text(&out.stderr))
}

#[tokio::test]
async fn link_secrets_never_reach_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let client = reqwest::Client::new();
    let (child, base) = start_serve(dir.path(), &client, &[("NOTESD__LOG__FORMAT", "json")]).await;
    for path in [
        "/approve/SECRETA",
        "/approve/SECRETB/pdf",
        "/approve//SECRETC",
        "/download/SECRETD",
        "//approve/SECRETE",
    ] {
        let response = client.get(format!("{base}{path}")).send().await.unwrap();
        assert!(response.status().is_client_error(), "{path}");
    }
    let (code, log) = stop_and_log(child).await;
    assert_eq!(code, Some(0), "{log}");
    assert!(log.contains("/approve/{token}/pdf"), "{log}");
    assert!(!log.contains("SECRET"), "{log}");
}

#[tokio::test]
async fn sigterm_with_stuck_clients_stops_within_the_grace() {
    use tokio::io::AsyncWriteExt;
    let dir = tempfile::tempdir().unwrap();
    let created = notesd(
        dir.path(),
        &["token", "create", "--name", "Anna", "--role", "drafter"],
        &[],
    );
    let token = text(&created.stdout).trim().to_owned();
    let client = reqwest::Client::new();
    // Only the grace can end these clients: every other bound is an hour.
    let env = [
        ("NOTESD__HTTP__SHUTDOWN_GRACE", "2s"),
        ("NOTESD__HTTP__HEADER_TIMEOUT", "1h"),
        ("NOTESD__HTTP__BODY_TIMEOUT", "1h"),
        ("NOTESD__HTTP__IDLE_TIMEOUT", "1h"),
    ];
    let (child, base) = start_serve(dir.path(), &client, &env).await;
    let address = base.trim_start_matches("http://");
    let mut half_header = tokio::net::TcpStream::connect(address).await.unwrap();
    half_header
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: notesd\r\nX-Slow: ")
        .await
        .unwrap();
    let mut slow_body = tokio::net::TcpStream::connect(address).await.unwrap();
    let head = format!(
        "POST /api/notes HTTP/1.1\r\nHost: notesd\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"subject\": "
    );
    slow_body.write_all(head.as_bytes()).await.unwrap();
    // The slow body is in a handler once the server answers another request after it.
    assert_eq!(
        client
            .get(format!("{base}/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    let started = Instant::now();
    let (code, log) = tokio::time::timeout(Duration::from_secs(30), stop_and_log(child))
        .await
        .expect("the daemon stopped");
    assert_eq!(code, Some(0), "{log}");
    assert!(log.contains("notesd stopped"), "{log}");
    assert!(
        log.contains("http.shutdown_grace is over"),
        "the slow body was cut at the grace: {log}"
    );
    eprintln!("stopped {:?} after SIGTERM", started.elapsed());
    drop((half_header, slow_body));
}

#[test]
fn check_refuses_links_in_clear_text_to_a_remote_host() {
    let dir = tempfile::tempdir().unwrap();
    let remote = [(
        "NOTESD__HTTP__PUBLIC_URL",
        "http://notes.presidency.example",
    )];
    let refused = notesd(dir.path(), &["check"], &remote);
    assert_eq!(refused.status.code(), Some(1));
    let err = text(&refused.stderr);
    assert!(
        err.contains("http.public_url") && err.contains("http.allow_insecure_links"),
        "{err}"
    );
    let serve = notesd(dir.path(), &["serve"], &remote);
    assert_eq!(serve.status.code(), Some(1), "serve refuses it too");
    let allowed = notesd(
        dir.path(),
        &["check"],
        &[remote[0], ("NOTESD__HTTP__ALLOW_INSECURE_LINKS", "true")],
    );
    assert_eq!(allowed.status.code(), Some(0), "{}", text(&allowed.stderr));
}

#[test]
fn backup_names_pg_dump_on_postgresql() {
    let dir = tempfile::tempdir().unwrap();
    let env = [(
        "NOTESD__DATABASE__URL",
        "postgres://postgres@127.0.0.1:5432/notesd",
    )];
    let out = notesd(dir.path(), &["backup", "copy.db"], &env);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("pg_dump"),
        "{}",
        text(&out.stderr)
    );
    assert!(!dir.path().join("copy.db").exists());
}

#[tokio::test]
async fn a_backup_taken_mid_distribution_restores_into_a_new_daemon() {
    use std::os::unix::fs::PermissionsExt;
    const RECIPIENTS: usize = 300;
    let (server, dir, token) = slow_distribution(RECIPIENTS).await;
    let config = DISTRIBUTION_CONFIG;
    let client = reqwest::Client::new();
    let (child, base) = start_serve_with(dir.path(), &client, &config, &[]).await;

    let spec = serde_json::json!({
        "language": "en", "from": "Presidency", "to": "Recipients", "subject": "Backup test",
        "codes": ["JAI"], "unit": "JAI.1", "initials": "AB/cd", "body": "Text.",
        "distribution": ["many"]
    });
    let mut ids = Vec::new();
    for subject in ["Backup test", "Edited before the backup"] {
        let note: serde_json::Value = client
            .post(format!("{base}/api/notes"))
            .bearer_auth(&token)
            .json(&spec)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = note["id"].to_string();
        let mut edited = spec.clone();
        edited["subject"] = subject.into();
        let put = client
            .put(format!("{base}/api/notes/{id}"))
            .bearer_auth(&token)
            .json(&edited)
            .send()
            .await
            .unwrap();
        assert_eq!(put.status(), 200);
        ids.push(id);
    }
    let id = ids[0].clone();
    let submitted = client
        .post(format!("{base}/api/notes/{id}/submit"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(submitted.status(), 200);
    let mails = server.wait_for(1, Duration::from_secs(20)).await;
    let link = mails[0]
        .approval_link()
        .expect("an approval link")
        .replace("https://notes.example", &base);
    approve_at(&client, &link).await;
    server
        .wait_for(1 + RECIPIENTS / 4, Duration::from_secs(60))
        .await;

    // What is recorded before the backup starts must all be in it.
    let read = |path: String| {
        let client = client.clone();
        let token = token.clone();
        async move { get_json(&client, &path, &token).await }
    };
    let notes_before = read(format!("{base}/api/notes?limit=1000")).await;
    let mut audits_before = Vec::new();
    for id in &ids {
        audits_before.push(read(format!("{base}/api/notes/{id}/audit")).await["audit"].clone());
    }
    let deliveries_before = read(format!("{base}/api/notes/{id}/deliveries")).await;
    let backup = notesd(
        dir.path(),
        &[&config[..], &["backup", "copy.db"]].concat(),
        &[],
    );
    assert_eq!(backup.status.code(), Some(0), "{}", text(&backup.stderr));
    let sent_at_backup = server.received().len() - 1;
    assert!(
        sent_at_backup < RECIPIENTS,
        "the backup was taken mid-distribution"
    );
    let mode = std::fs::metadata(dir.path().join("copy.db"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let again = notesd(
        dir.path(),
        &[&config[..], &["backup", "copy.db"]].concat(),
        &[],
    );
    assert_eq!(again.status.code(), Some(1));
    assert!(text(&again.stderr).contains("already exists"));
    let (code, log) = stop_and_log(child).await;
    assert_eq!(code, Some(0), "{log}");

    // A new daemon on the copy alone (its own folder) finds all of it.
    let restored = tempfile::tempdir().unwrap();
    std::fs::copy(
        dir.path().join("copy.db"),
        restored.path().join("notesd.db"),
    )
    .unwrap();
    std::fs::copy(
        dir.path().join("notesd.toml"),
        restored.path().join("notesd.toml"),
    )
    .unwrap();
    let env = [("NOTESD__DATABASE__URL", "sqlite://notesd.db")];
    let (child, base) = start_serve_with(restored.path(), &client, &config, &env).await;
    let notes_after = read(format!("{base}/api/notes?limit=1000")).await;
    assert_eq!(notes_after["notes"].as_array().unwrap().len(), 2);
    for (before, after) in notes_before["notes"]
        .as_array()
        .unwrap()
        .iter()
        .zip(notes_after["notes"].as_array().unwrap())
    {
        for key in ["id", "number", "codes", "version", "spec", "created_at"] {
            assert_eq!(before[key], after[key], "{key}");
        }
    }
    for (id, before) in ids.iter().zip(&audits_before) {
        let after = read(format!("{base}/api/notes/{id}/audit")).await["audit"].clone();
        let after = after.as_array().unwrap();
        for entry in before.as_array().unwrap() {
            assert!(after.contains(entry), "{entry} lost");
        }
    }
    let deliveries_after = read(format!("{base}/api/notes/{id}/deliveries")).await;
    let after = deliveries_after["deliveries"].as_array().unwrap();
    assert_eq!(after.len(), RECIPIENTS);
    for delivery in deliveries_before["deliveries"].as_array().unwrap() {
        let restored = after
            .iter()
            .find(|d| d["recipient"] == delivery["recipient"])
            .unwrap_or_else(|| panic!("{delivery} lost"));
        if delivery["status"] == "sent" {
            assert_eq!(restored["status"], "sent", "{restored}");
            assert_eq!(restored["sent_at"], delivery["sent_at"]);
        }
    }
    let (code, log) = stop_and_log(child).await;
    assert_eq!(code, Some(0), "{log}");
}

#[test]
fn seal_cert_create_writes_a_private_certificate_once_and_check_opens_it() {
    let dir = tempfile::tempdir().unwrap();
    let create = ["seal-cert", "create", "--self-signed", "seal.p12"];

    let unset = notesd(dir.path(), &create, &[]);
    assert_eq!(unset.status.code(), Some(1));
    assert!(
        text(&unset.stderr).contains("NOTESD_SEAL_PASSWORD"),
        "names the variable to set: {}",
        text(&unset.stderr)
    );
    assert!(!dir.path().join("seal.p12").exists());

    let password = [("NOTESD_SEAL_PASSWORD", "a long passphrase")];
    let mut named = create.to_vec();
    named.extend(["--name", "Presidency of the Council (trial)"]);
    let made = notesd(dir.path(), &named, &password);
    assert_eq!(made.status.code(), Some(0), "{}", text(&made.stderr));
    let path = dir.path().join("seal.p12");
    let bytes = std::fs::read(&path).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "a key readable by its owner only");
    }
    let seal = notesd::seal::Seal::from_pkcs12(&bytes, "a long passphrase", jiff::Timestamp::now())
        .expect("the file opens with its password");
    assert_eq!(seal.subject(), "CN=Presidency of the Council (trial)");

    let again = notesd(dir.path(), &create, &password);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        text(&again.stderr).contains("already exists"),
        "{}",
        text(&again.stderr)
    );
    assert_eq!(
        std::fs::read(&path).unwrap(),
        bytes,
        "the key is never overwritten"
    );

    std::fs::write(
        dir.path().join("sealed.toml"),
        "[seal]\npkcs12 = \"seal.p12\"\n",
    )
    .unwrap();
    let opened = notesd(dir.path(), &["check", "--config", "sealed.toml"], &password);
    assert_eq!(opened.status.code(), Some(0), "{}", text(&opened.stderr));
    assert!(
        text(&opened.stdout).contains(
            "issued PDFs are sealed by CN=Presidency of the Council (trial), whose certificate expires"
        ),
        "{}",
        text(&opened.stdout)
    );
    let wrong = notesd(
        dir.path(),
        &["check", "--config", "sealed.toml"],
        &[("NOTESD_SEAL_PASSWORD", "not it")],
    );
    assert_eq!(wrong.status.code(), Some(1));
    assert!(
        text(&wrong.stderr)
            .contains("seal.pkcs12: seal.p12: not a PKCS#12 file, or not its password"),
        "{}",
        text(&wrong.stderr)
    );
    let no_password = notesd(dir.path(), &["check", "--config", "sealed.toml"], &[]);
    assert_eq!(no_password.status.code(), Some(1));
    assert!(
        text(&no_password.stderr)
            .contains("NOTESD_SEAL_PASSWORD (seal.password_env), which is not set"),
        "{}",
        text(&no_password.stderr)
    );
}
