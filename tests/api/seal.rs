//! The Presidency's seal: with `seal.pkcs12` set, an issued note is sealed, as fetched
//! through the API and as delivered by email; pyHanko (tests/seal/validate.py) finds the
//! seal intact, the signer as configured and the AdES basic validation passed, and a copy with one byte changed fails it,
//! in pyHanko, in `POST /api/verify` and in `notesd verify`. Both key types a seal
//! certificate has are tried: ECDSA P-256 (`notesd seal-cert create`) and RSA (OpenSSL).

use std::path::{Path, PathBuf};
use std::process::Command;

use jiff::Timestamp;
use notesd::config::Settings;
use serde_json::Value;

use crate::approval::{A1, decide, link_for, note};
use crate::distribution::{SECOND, distributed, distribution_settings, issued, issued_pdf};
use crate::helpers::{TestApp, TestDb};
use crate::smtp::SmtpServer;

/// The seal's password is read from the environment; a variable the test runner always
/// sets serves, since changing the environment of a multi-threaded test process is unsound.
const PASSWORD_ENV: &str = "CARGO_PKG_NAME";
const PASSWORD: &str = env!("CARGO_PKG_NAME");
const SIGNER: &str = "Presidency of the Council (test)";

/// A folder of the test's own for the PKCS#12 file, the certificate and the PDFs.
fn workdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary folder")
}

/// A self-signed P-256 certificate for `SIGNER`, as `notesd seal-cert create` makes it,
/// in `dir`.
fn self_signed_p12(dir: &Path) -> PathBuf {
    let p12 = dir.join("seal.p12");
    let bytes = notesd::seal::self_signed(SIGNER, PASSWORD).expect("a test certificate");
    std::fs::write(&p12, bytes).expect("written");
    p12
}

/// Settings sealing with `p12`, on `db`, mail through `smtp`.
fn sealing(db: &TestDb, smtp: &SmtpServer, p12: &Path) -> Settings {
    let mut settings = distribution_settings(db, smtp);
    settings.seal.pkcs12 = Some(p12.to_owned());
    settings.seal.password_env = PASSWORD_ENV.to_owned();
    settings
}

/// What pyHanko finds in `pdf`, trusting `certificate`.
fn pyhanko(dir: &Path, certificate: &Path, name: &str, pdf: &[u8]) -> Value {
    let file = dir.join(name);
    std::fs::write(&file, pdf).expect("the PDF written");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/seal/validate.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(certificate)
        .arg(&file)
        .output()
        .expect("python3 runs (scripts/test installs pyHanko)");
    assert!(
        out.status.success(),
        "pyHanko could not run: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("pyHanko's findings as JSON")
}

/// `notesd verify FILE` against the test's database and seal: its exit code and output.
fn cli_verify(dir: &Path, db: &TestDb, p12: &Path, name: &str, pdf: &[u8]) -> (i32, String) {
    let file = dir.join(name);
    std::fs::write(&file, pdf).expect("the PDF written");
    let config = dir.join("notesd.toml");
    std::fs::write(
        &config,
        format!(
            "[database]\nurl = \"{}\"\n\n[seal]\npkcs12 = \"{}\"\npassword_env = \"NOTESD_SEAL_PASSWORD\"\n",
            db.url(),
            p12.display()
        ),
    )
    .expect("the configuration written");
    let out = Command::new(env!("CARGO_BIN_EXE_notesd"))
        .args(["verify", "--config"])
        .arg(&config)
        .arg(&file)
        .env("NOTESD_SEAL_PASSWORD", PASSWORD)
        .output()
        .expect("notesd runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

async fn api_verify(app: &TestApp, pdf: &[u8]) -> Value {
    let response = app
        .client
        .post(app.url("/api/verify"))
        .header("content-type", "application/pdf")
        .body(pdf.to_vec())
        .send()
        .await
        .expect("POST /api/verify");
    assert_eq!(response.status(), 200);
    response.json().await.expect("a JSON answer")
}

/// The sealed file is still the PDF/A-2b the renderer wrote (tests/render.rs checks each
/// requirement on it), with the seal's field added as PDF/A allows an annotation: printable,
/// with an appearance.
fn still_archival(pdf: &[u8]) {
    let document = lopdf::Document::load_mem(pdf).expect("a readable PDF");
    let catalog = document.catalog().expect("a catalog");
    for key in [
        &b"Metadata"[..],
        b"OutputIntents",
        b"StructTreeRoot",
        b"MarkInfo",
        b"Lang",
    ] {
        assert!(catalog.has(key), "{} kept", String::from_utf8_lossy(key));
    }
    let metadata = catalog
        .get_deref(b"Metadata", &document)
        .and_then(lopdf::Object::as_stream)
        .expect("the XMP stream");
    let xmp = String::from_utf8_lossy(&metadata.content);
    assert!(xmp.contains("<pdfaid:part>2</pdfaid:part>"), "{xmp}");
    let form = catalog
        .get_deref(b"AcroForm", &document)
        .and_then(lopdf::Object::as_dict)
        .expect("the seal's form");
    assert_eq!(
        form.get(b"SigFlags").and_then(lopdf::Object::as_i64).ok(),
        Some(3)
    );
    let field = form
        .get(b"Fields")
        .and_then(lopdf::Object::as_array)
        .ok()
        .and_then(|f| f.first())
        .and_then(|f| document.dereference(f).ok())
        .and_then(|(_, f)| f.as_dict().ok())
        .expect("the seal's field");
    assert_eq!(
        field.get(b"F").and_then(lopdf::Object::as_i64).ok(),
        Some(132)
    );
    assert!(field.has(b"AP"), "an appearance");
    assert!(document.trailer.has(b"ID"), "the document ID kept");
}

/// `pdf` with one byte of its first page's content changed.
fn tampered(pdf: &[u8]) -> Vec<u8> {
    let mut copy = pdf.to_vec();
    let at = copy
        .windows(6)
        .position(|w| w == b"stream")
        .expect("a stream")
        + 20;
    copy[at] ^= 0x01;
    copy
}

/// Issues a note under the seal of `p12` (trusting `certificate`) and checks the seal
/// everywhere a delegation or an operator would.
async fn issued_and_sealed(dir: &Path, p12: &Path, certificate: &Path) {
    let smtp = SmtpServer::start().await;
    let db = TestDb::sqlite();
    // The service's clock at the real time: the certificate was made a moment ago.
    let app = TestApp::spawn_at(&sealing(&db, &smtp, p12), Timestamp::now()).await;
    let id = issued(&app, &smtp).await;
    let number = note(&app, &id).await["number"]
        .as_str()
        .expect("a number")
        .to_owned();
    let (pdf, sha256) = issued_pdf(&app, &id).await;
    distributed(&app, &id).await;
    let delivered = smtp.to(SECOND);
    let attached = delivered
        .last()
        .expect("the delivery to the second delegation")
        .attachments();
    assert_eq!(attached.len(), 1);
    assert_eq!(
        attached[0].1, pdf,
        "the delegations receive the sealed bytes"
    );
    assert!(
        delivered[0].text().contains(&sha256),
        "the delivery states the SHA-256 of the sealed bytes"
    );

    for (name, bytes) in [("fetched.pdf", &pdf), ("delivered.pdf", &attached[0].1)] {
        let found = pyhanko(dir, certificate, name, bytes);
        assert_eq!(found["signatures"], 1, "{found}");
        assert_eq!(found["intact"], true, "{name}: {found}");
        assert_eq!(found["valid"], true, "{name}: {found}");
        assert_eq!(found["trusted"], true, "{name}: {found}");
        assert_eq!(found["bottom_line"], true, "{name}: {found}");
        assert_eq!(found["coverage"], "ENTIRE_FILE", "{name}: {found}");
        assert_eq!(found["subfilter"], "/ETSI.CAdES.detached", "{found}");
        assert_eq!(found["md_algorithm"], "sha256", "{found}");
        assert_eq!(
            found["ades"], "AdESPassed.OK",
            "AdES basic validation: {found}"
        );
        assert_eq!(found["key_usage_ok"], true, "{found}");
        assert!(
            found["signer"].as_str().is_some_and(|s| s.contains(SIGNER)),
            "{found}"
        );
    }
    let qpdf = Command::new("qpdf")
        .arg("--check")
        .arg(dir.join("fetched.pdf"))
        .output()
        .expect("qpdf runs");
    assert!(
        qpdf.status.success(),
        "{}",
        String::from_utf8_lossy(&qpdf.stdout)
    );

    still_archival(&pdf);

    let found = api_verify(&app, &pdf).await;
    assert_eq!(found["issued"], true, "{found}");
    assert_eq!(found["sealed"], true, "{found}");
    assert_eq!(found["number"], number.as_str());
    assert_eq!(found["sha256"], sha256.as_str());
    assert_eq!(found["reason"], Value::Null, "{found}");

    let altered = tampered(&pdf);
    let found = pyhanko(dir, certificate, "tampered.pdf", &altered);
    assert!(
        found["intact"] == false || found["error"].is_string(),
        "pyHanko must not find a changed file intact: {found}"
    );
    assert_ne!(found["bottom_line"], true, "{found}");
    assert_ne!(found["ades"], "AdESPassed.OK", "{found}");
    let found = api_verify(&app, &altered).await;
    assert_eq!(found["issued"], false, "{found}");
    assert_eq!(found["sealed"], false, "{found}");
    let reason = found["reason"].as_str().expect("a reason");
    assert!(reason.starts_with("altered"), "{reason}");
    app.stop().await;

    let (code, out) = cli_verify(dir, &db, p12, "fetched.pdf", &pdf);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(&number) && out.contains("seal intact"),
        "{out}"
    );
    let (code, out) = cli_verify(dir, &db, p12, "tampered.pdf", &altered);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("altered"), "{out}");
}

#[tokio::test]
async fn a_note_issued_under_a_self_signed_p256_seal_is_sealed_and_checks() {
    let dir = workdir();
    let p12 = self_signed_p12(dir.path());
    let seal = notesd::seal::Seal::from_pkcs12(
        &std::fs::read(&p12).expect("read"),
        PASSWORD,
        Timestamp::now(),
    )
    .expect("the seal opens");
    let certificate = dir.path().join("seal.der");
    std::fs::write(&certificate, seal.certificate()).expect("written");
    issued_and_sealed(dir.path(), &p12, &certificate).await;
}

#[tokio::test]
async fn a_note_issued_under_an_openssl_rsa_seal_is_sealed_and_checks() {
    let dir = workdir();
    let (p12, certificate) = openssl_rsa_p12(dir.path());
    issued_and_sealed(dir.path(), &p12, &certificate).await;
}

/// An RSA key and certificate as an operator's PKI tools make them: OpenSSL 3's defaults
/// (PBES2, AES-256, PBKDF2 and an HMAC-SHA-256 MAC).
fn openssl_rsa_p12(dir: &Path) -> (PathBuf, PathBuf) {
    let key = dir.join("rsa.key");
    let certificate = dir.join("rsa.pem");
    let p12 = dir.join("rsa.p12");
    let run = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("openssl runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "rsa.key",
        "-out",
        "rsa.pem",
        "-days",
        "30",
        "-subj",
        &format!("/CN={SIGNER}/O=Council of the European Union"),
        "-addext",
        "keyUsage=critical,digitalSignature,nonRepudiation",
    ]);
    run(&[
        "pkcs12",
        "-export",
        "-inkey",
        "rsa.key",
        "-in",
        "rsa.pem",
        "-out",
        "rsa.p12",
        "-passout",
        &format!("pass:{PASSWORD}"),
    ]);
    assert!(key.exists() && p12.exists());
    (p12, certificate)
}

#[tokio::test]
async fn a_note_issued_before_the_seal_was_configured_is_not_accepted_under_it() {
    let dir = workdir();
    let p12 = self_signed_p12(dir.path());
    let smtp = SmtpServer::start().await;
    let db = TestDb::sqlite();
    let unsealed = TestApp::spawn_at(&distribution_settings(&db, &smtp), Timestamp::now()).await;
    let id = issued(&unsealed, &smtp).await;
    let (pdf, _) = issued_pdf(&unsealed, &id).await;
    let found = api_verify(&unsealed, &pdf).await;
    assert_eq!(
        (found["issued"].clone(), found["sealed"].clone()),
        (true.into(), false.into())
    );
    unsealed.stop().await;

    let sealed = TestApp::spawn_at(&sealing(&db, &smtp, &p12), Timestamp::now()).await;
    let found = api_verify(&sealed, &pdf).await;
    assert_eq!(found["issued"], true, "{found}");
    assert_eq!(found["sealed"], false, "{found}");
    let reason = found["reason"].as_str().expect("a reason");
    assert!(reason.contains("carries no seal"), "{reason}");
    sealed.stop().await;
    let (code, out) = cli_verify(dir.path(), &db, &p12, "unsealed.pdf", &pdf);
    assert_eq!(
        code, 1,
        "an issued note without the configured seal is refused: {out}"
    );
    assert!(out.contains("carries no seal"), "{out}");
}

#[tokio::test]
async fn a_certificate_expired_since_issues_nothing_and_spends_no_link() {
    let dir = workdir();
    let p12 = self_signed_p12(dir.path());
    let smtp = SmtpServer::start().await;
    let db = TestDb::sqlite();
    // Four years on, the three-year certificate the daemon started with has expired.
    let later = Timestamp::now() + jiff::SignedDuration::from_hours(24 * 366 * 4);
    let app = TestApp::spawn_at(&sealing(&db, &smtp, &p12), later).await;
    let id = app.register(&crate::helpers::spec(&["JAI"])).await["id"].to_string();
    let submitted = app.post(&format!("/api/notes/{id}/submit")).await;
    assert_eq!(submitted.status(), 200);
    let mails = smtp
        .wait_for_to(A1, 1, std::time::Duration::from_secs(10))
        .await;
    let link = link_for(&app, &mails, A1);
    let (status, page) = decide(&app, &link, "approve", "").await;
    assert_eq!(status, 503, "{page}");
    assert!(page.contains("cannot be sealed"), "{page}");
    assert!(
        page.contains("is valid from"),
        "the reason is given: {page}"
    );
    assert_eq!(note(&app, &id).await["state"], "in_review");
    let (status, _) = decide(&app, &link, "approve", "").await;
    assert_eq!(
        status, 503,
        "the link was not spent: the approval can be given again"
    );
    app.stop().await;
}
