//! Load and soak, bounded (issue 10): the built `notesd` binary on loopback, its mail going
//! to a real SMTP server in this process, under
//! - 64 clients looping over approval pages, registrations and draft PDF GETs;
//! - 500 slow clients: half of them send half a header and wait, half announce a body and
//!   send a few bytes of it; each reconnects when the server cuts it off;
//!
//! for NOTESD_BENCH_SECONDS (default 60). It reports requests per second, p99 latency, the
//! errors (anything but the expected status), and the daemon's RSS idle, after a sixth of
//! the run (connections open, caches warm) and at the end. First, 20 concurrent
//! unauthenticated 10 MB POSTs to `/approve/x`, with the daemon's peak RSS.
//!
//! `cargo bench --bench soak` (the daemon is the binary of the same profile).

#[path = "../tests/common/smtp.rs"]
mod smtp;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use smtp::SmtpServer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const BIN: &str = env!("CARGO_BIN_EXE_notesd");
const CLIENTS: usize = 64;
const SLOW_CLIENTS: usize = 500;
const LINKS: usize = 16;

/// The daemon's resident memory in KB, from /proc.
fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn notesd(dir: &Path, env: &[(String, String)], args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .current_dir(dir)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .args(args)
        .output()
        .expect("notesd runs")
}

struct Daemon {
    child: Child,
    base: String,
    token: String,
}

async fn start(dir: &Path, smtp: &SmtpServer) -> Daemon {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let env = vec![
        ("NOTESD__HTTP__BIND".to_owned(), format!("127.0.0.1:{port}")),
        ("NOTESD__HTTP__PUBLIC_URL".to_owned(), base.clone()),
        ("NOTESD__MAIL__TRANSPORT".to_owned(), "smtp".to_owned()),
        ("NOTESD__MAIL__SMTP_URL".to_owned(), smtp.url()),
        ("NOTESD__LOG__FORMAT".to_owned(), "json".to_owned()),
        ("RUST_LOG".to_owned(), "notesd=warn".to_owned()),
    ];
    let created = notesd(
        dir,
        &env,
        &[
            "token", "create", "--name", "Bench", "--role", "drafter", "--unit", "JAI.1",
        ],
    );
    assert!(created.status.success(), "{created:?}");
    let token = String::from_utf8_lossy(&created.stdout).trim().to_owned();
    let child = Command::new(BIN)
        .current_dir(dir)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve starts");
    let client = reqwest::Client::new();
    while !client
        .get(format!("{base}/healthz"))
        .send()
        .await
        .is_ok_and(|r| r.status() == 200)
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Daemon { child, base, token }
}

fn spec(subject: &str) -> Value {
    json!({
        "language": "en", "from": "Presidency", "to": "Delegations", "subject": subject,
        "codes": ["JAI"], "unit": "JAI.1", "initials": "AB/cd",
        "body": "Delegations will find attached a text.\n\n1. A point.\n2. Another point."
    })
}

/// What the 64 clients do, in turn.
#[derive(Clone, Copy)]
enum Work {
    ApprovalPage,
    Register,
    NotePdf,
    LinkPdf,
}

#[derive(Default)]
struct Tally {
    requests: AtomicU64,
    errors: AtomicU64,
    slow_cut: AtomicU64,
}

/// 20 unauthenticated 10 MB POSTs at once to an unknown link, the daemon's RSS sampled
/// meanwhile. The server answers 413 on the declared length and closes, so a client still
/// sending may see its connection reset instead: both are refusals.
async fn big_posts(client: &reqwest::Client, base: &str, pid: u32) {
    let before = rss_kb(pid);
    let peak = Arc::new(AtomicU64::new(before));
    let sampling = Arc::new(AtomicBool::new(true));
    let sampler = tokio::spawn({
        let (peak, sampling) = (peak.clone(), sampling.clone());
        async move {
            while sampling.load(Ordering::Relaxed) {
                peak.fetch_max(rss_kb(pid), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
    });
    let accepted = Arc::new(AtomicUsize::new(0));
    let body = Arc::new(vec![b'a'; 10_000_000]);
    let mut posts = Vec::new();
    for _ in 0..20 {
        let (client, url, body, accepted) = (
            client.clone(),
            format!("{base}/approve/x"),
            body.clone(),
            accepted.clone(),
        );
        posts.push(tokio::spawn(async move {
            let response = client
                .post(url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body.to_vec())
                .send()
                .await;
            if response.is_ok_and(|r| r.status() != 413) {
                accepted.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for post in posts {
        let _ = post.await;
    }
    sampling.store(false, Ordering::Relaxed);
    let _ = sampler.await;
    println!(
        "20 x 10 MB POST /approve/x: {} not refused; daemon RSS {} MB before, peak {} MB",
        accepted.load(Ordering::Relaxed),
        before / 1024,
        peak.load(Ordering::Relaxed) / 1024
    );
}

#[tokio::main]
async fn main() {
    let seconds: u64 = std::env::var("NOTESD_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let dir = tempfile::tempdir().expect("a folder");
    let smtp = SmtpServer::start().await;
    let mut daemon = start(dir.path(), &smtp).await;
    let pid = daemon.child.id();
    let client = reqwest::Client::new();

    // Notes in review, and their approval links from the mails.
    let mut ids = Vec::new();
    for i in 0..LINKS {
        let note: Value = client
            .post(format!("{}/api/notes", daemon.base))
            .bearer_auth(&daemon.token)
            .json(&spec(&format!("Soak note {i}")))
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .expect("a note")
            .json()
            .await
            .expect("JSON");
        let id = note["id"].to_string();
        client
            .post(format!("{}/api/notes/{id}/submit", daemon.base))
            .bearer_auth(&daemon.token)
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .expect("submitted");
        ids.push(id);
    }
    let mails = smtp.wait_for(LINKS, Duration::from_secs(60)).await;
    let links: Vec<String> = mails.iter().filter_map(|m| m.approval_link()).collect();
    assert_eq!(links.len(), LINKS);
    let ids = Arc::new(ids);
    let links = Arc::new(links);

    big_posts(&client, &daemon.base, pid).await;
    let rss_idle = rss_kb(pid);
    let stop = Arc::new(AtomicBool::new(false));
    let tally = Arc::new(Tally::default());
    let address = daemon.base.trim_start_matches("http://").to_owned();

    let mut slow = Vec::new();
    for i in 0..SLOW_CLIENTS {
        let (stop, tally, address) = (stop.clone(), tally.clone(), address.clone());
        let token = daemon.token.clone();
        slow.push(tokio::spawn(async move {
            let opening = if i % 2 == 0 {
                "GET /healthz HTTP/1.1\r\nHost: notesd\r\nX-Slow: ".to_owned()
            } else {
                format!(
                    "POST /api/notes HTTP/1.1\r\nHost: notesd\r\nAuthorization: Bearer {token}\r\n\
                     Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{{\"subject\": "
                )
            };
            while !stop.load(Ordering::Relaxed) {
                let Ok(mut stream) = TcpStream::connect(&address).await else {
                    continue;
                };
                if stream.write_all(opening.as_bytes()).await.is_err() {
                    continue;
                }
                let mut sink = Vec::new();
                tokio::select! {
                    _ = stream.read_to_end(&mut sink) => {
                        tally.slow_cut.fetch_add(1, Ordering::Relaxed);
                    }
                    () = async { while !stop.load(Ordering::Relaxed) {
                        tokio::time::sleep(Duration::from_millis(200)).await;
                    } } => {}
                }
            }
        }));
    }

    let latencies = Arc::new(std::sync::Mutex::new(Vec::<Duration>::new()));
    let mut workers = Vec::new();
    for c in 0..CLIENTS {
        let (stop, tally, latencies) = (stop.clone(), tally.clone(), latencies.clone());
        let (ids, links, base, token) = (
            ids.clone(),
            links.clone(),
            daemon.base.clone(),
            daemon.token.clone(),
        );
        let client = client.clone();
        workers.push(tokio::spawn(async move {
            let kinds = [
                Work::ApprovalPage,
                Work::Register,
                Work::NotePdf,
                Work::LinkPdf,
            ];
            let mut own = Vec::new();
            let mut n = c;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let started = Instant::now();
                let (request, expected) = match kinds[n % kinds.len()] {
                    Work::ApprovalPage => (client.get(&links[n % links.len()]), 200),
                    Work::Register => (
                        client
                            .post(format!("{base}/api/notes"))
                            .bearer_auth(&token)
                            .json(&spec("Registered under load")),
                        201,
                    ),
                    Work::NotePdf => (
                        client
                            .get(format!("{base}/api/notes/{}/pdf", ids[n % ids.len()]))
                            .bearer_auth(&token),
                        200,
                    ),
                    Work::LinkPdf => (client.get(format!("{}/pdf", links[n % links.len()])), 200),
                };
                let ok = match request.send().await {
                    Ok(response) => response.status() == expected && response.bytes().await.is_ok(),
                    Err(_) => false,
                };
                own.push(started.elapsed());
                tally.requests.fetch_add(1, Ordering::Relaxed);
                if !ok {
                    tally.errors.fetch_add(1, Ordering::Relaxed);
                }
            }
            latencies.lock().expect("latencies").extend(own);
        }));
    }

    // Start is measured once every slow client holds its connection and the caches are
    // warm, a sixth into the run; the rest of the run must not grow it.
    let started = Instant::now();
    let warm_up = Duration::from_secs(seconds) / 6;
    tokio::time::sleep(warm_up).await;
    let rss_start = rss_kb(pid);
    tokio::time::sleep(Duration::from_secs(seconds) - warm_up).await;
    let rss_end = rss_kb(pid);
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        let _ = worker.await;
    }
    let elapsed = started.elapsed();
    for task in slow {
        task.abort();
    }
    let mut latencies = std::mem::take(&mut *latencies.lock().expect("latencies"));
    latencies.sort();
    let p99 = latencies
        .get(latencies.len().saturating_sub(1) * 99 / 100)
        .copied()
        .unwrap_or_default();
    let requests = tally.requests.load(Ordering::Relaxed);
    println!(
        "soak {seconds} s: {CLIENTS} clients + {SLOW_CLIENTS} slow clients: {requests} requests, \
         {:.0} requests/s, p99 {:.1} ms, {} errors, {} slow connections cut by the server",
        requests as f64 / elapsed.as_secs_f64(),
        p99.as_secs_f64() * 1000.0,
        tally.errors.load(Ordering::Relaxed),
        tally.slow_cut.load(Ordering::Relaxed),
    );
    println!(
        "daemon RSS: {} MB idle, {} MB after {warm_up:?} of load, {} MB at end ({:+.1}%)",
        rss_idle / 1024,
        rss_start / 1024,
        rss_end / 1024,
        (rss_end as f64 - rss_start as f64) * 100.0 / rss_start.max(1) as f64
    );

    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    let _ = daemon.child.wait();
}
