//! In-process render of the note the peers rendered (shared/bench/peers/note-spec.json,
//! copied to tests/data/peer-note-spec.json): a fresh document each time, fonts and
//! labels already loaded as in the daemon. Also prints the PDF's size.
//!
//! A second case renders the hostile note of issue 10, finding 1: a body of 160,000
//! `U+200B U+200D` pairs that never fills a line (target: under 50 ms).
//!
//! Then the seal, on the issued peer note: with a P-256 key (`notesd seal-cert create`) and
//! with an RSA 2048 key made by OpenSSL, as a Presidency's certificate may be.
//!
//! `cargo bench --bench render`

use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use notesd::config::Settings;
use notesd::note::{NoteSpec, StandaloneSpec};
use notesd::render::{NoteDocument, Renderer, Templates};
use notesd::seal::{Seal, self_signed};

fn note(value: serde_json::Value, settings: &Settings, templates: &Templates) -> StandaloneSpec {
    let vocabulary = settings.vocabulary(templates.names());
    let today = jiff::civil::Date::constant(2022, 3, 3);
    NoteSpec::standalone_from_json(value, &vocabulary, today).expect("a valid spec")
}

fn render(c: &mut Criterion) {
    let settings = Settings::load(None).expect("built-in configuration");
    let templates = Templates::load(None).expect("built-in templates");
    let peer: serde_json::Value =
        serde_json::from_str(include_str!("../tests/data/peer-note-spec.json")).expect("JSON");
    let mut hostile = peer.clone();
    hostile["body"] = "\u{200B}\u{200D}".repeat(160_000).into();
    let peer = note(peer, &settings, &templates);
    let hostile = note(hostile, &settings, &templates);
    let renderer = Renderer::new(templates, settings.render.max_pages());
    let created = jiff::Timestamp::from_second(1_646_300_000).expect("a time");

    // Ten samples keep the hostile case short even before the fix (15 s a render).
    for (name, note, samples) in [
        ("render peer note", &peer, 100),
        ("render 160k zero-width pairs", &hostile, 10),
    ] {
        let document = NoteDocument {
            spec: &note.spec,
            number: &note.number,
            codes: &note.codes,
        };
        let started = Instant::now();
        let pdf = renderer.render(&document, false, created).expect("renders");
        println!(
            "{name}: {} bytes, first render {:.1} ms",
            pdf.len(),
            started.elapsed().as_secs_f64() * 1000.0
        );
        let mut group = c.benchmark_group("render");
        group.sample_size(samples);
        group.bench_function(name, |b| {
            b.iter(|| {
                renderer
                    .render(std::hint::black_box(&document), false, created)
                    .expect("renders")
            })
        });
        group.finish();
    }

    let document = NoteDocument {
        spec: &peer.spec,
        number: &peer.number,
        codes: &peer.codes,
    };
    let pdf = renderer.render(&document, false, created).expect("renders");
    let now = jiff::Timestamp::now();
    let p256 = self_signed("Presidency of the Council", "bench").expect("a certificate");
    let mut seals = vec![("seal peer note, P-256", p256)];
    match openssl_rsa() {
        Some(rsa) => seals.push(("seal peer note, RSA 2048", rsa)),
        None => println!("openssl is not installed: the RSA seal is not measured"),
    }
    for (name, p12) in seals {
        let seal = Seal::from_pkcs12(&p12, "bench", now).expect("the seal opens");
        let sealed = seal.apply(&pdf, now).expect("sealed");
        println!(
            "{name}: {} bytes, {} more",
            sealed.len(),
            sealed.len() - pdf.len()
        );
        c.bench_function(name, |b| {
            b.iter(|| seal.apply(std::hint::black_box(&pdf), now).expect("sealed"))
        });
    }
}

/// A PKCS#12 file of an RSA 2048 key and certificate, by OpenSSL; `None` without it.
fn openssl_rsa() -> Option<Vec<u8>> {
    let dir = tempfile::tempdir().ok()?;
    let run = |args: &[&str]| {
        std::process::Command::new("openssl")
            .args(args)
            .current_dir(dir.path())
            .output()
            .is_ok_and(|out| out.status.success())
    };
    let made = run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "k.pem",
        "-out",
        "c.pem",
        "-days",
        "30",
        "-subj",
        "/CN=Presidency of the Council",
    ]) && run(&[
        "pkcs12",
        "-export",
        "-inkey",
        "k.pem",
        "-in",
        "c.pem",
        "-out",
        "s.p12",
        "-passout",
        "pass:bench",
    ]);
    made.then(|| std::fs::read(dir.path().join("s.p12")).ok())
        .flatten()
}

criterion_group!(benches, render);
criterion_main!(benches);
