//! In-process render of the note the peers rendered (shared/bench/peers/note-spec.json,
//! copied to tests/data/peer-note-spec.json): a fresh document each time, fonts and
//! labels already loaded as in the daemon. Also prints the PDF's size.
//!
//! A second case renders the hostile note of issue 10, finding 1: a body of 160,000
//! `U+200B U+200D` pairs that never fills a line (target: under 50 ms).
//!
//! `cargo bench --bench render`

use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use notesd::config::Settings;
use notesd::note::{NoteSpec, StandaloneSpec};
use notesd::render::{NoteDocument, Renderer, Templates};

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
}

criterion_group!(benches, render);
criterion_main!(benches);
