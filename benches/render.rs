//! In-process render of the note the peers rendered (shared/bench/peers/note-spec.json,
//! copied to tests/data/peer-note-spec.json): a fresh document each time, fonts and
//! labels already loaded as in the daemon. Also prints the PDF's size.
//!
//! `cargo bench --bench render`

use criterion::{Criterion, criterion_group, criterion_main};
use notesd::config::Settings;
use notesd::note::NoteSpec;
use notesd::render::{NoteDocument, Renderer, Templates};

fn render(c: &mut Criterion) {
    let settings = Settings::load(None).expect("built-in configuration");
    let templates = Templates::load(None).expect("built-in templates");
    let vocabulary = settings.vocabulary(templates.names());
    let value: serde_json::Value =
        serde_json::from_str(include_str!("../tests/data/peer-note-spec.json")).expect("JSON");
    let today = jiff::civil::Date::constant(2022, 3, 3);
    let note = NoteSpec::standalone_from_json(value, &vocabulary, today).expect("a valid spec");
    let renderer = Renderer::new(templates);
    let created = jiff::Timestamp::from_second(1_646_300_000).expect("a time");
    let document = NoteDocument {
        spec: &note.spec,
        number: &note.number,
        codes: &note.codes,
    };

    let pdf = renderer.render(&document, false, created).expect("renders");
    println!("peer note: {} bytes", pdf.len());
    c.bench_function("render peer note", |b| {
        b.iter(|| {
            renderer
                .render(std::hint::black_box(&document), false, created)
                .expect("renders")
        })
    });
}

criterion_group!(benches, render);
criterion_main!(benches);
