//! Fuzzing on stable Rust with proptest: the number grammar and the spec parser take any
//! input without panicking, and what parses prints back to the same value. (The markup
//! parser and the layout, private to `render`, have theirs in `src/render/layout.rs`.)
//!
//! CI runs 256 cases per target from a fixed seed, so a run is quick and reproducible.
//! A longer run, with a new seed each time:
//!
//! `PROPTEST_CASES=100000 PROPTEST_RNG_SEED=random cargo test --release --lib --test fuzz -- fuzz references_ any_json`
//!
//! (any number as `PROPTEST_RNG_SEED` replays that seed; a failure prints its input.)

use jiff::civil::Date;
use notesd::note::{NoteSpec, Vocabulary};
use notesd::reference::{CodeName, DistributionCode, DocNumber, InterinstitutionalFile};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use serde_json::{Map, Value, json};

/// 256 cases from a fixed seed unless `PROPTEST_CASES` and `PROPTEST_RNG_SEED` say
/// otherwise (`random` for a new seed).
fn config() -> Config {
    let from_env = Config::default();
    let rng_seed = match std::env::var("PROPTEST_RNG_SEED").as_deref() {
        Ok("random") => RngSeed::Random,
        Ok(_) => from_env.rng_seed,
        Err(_) => RngSeed::Fixed(10),
    };
    Config {
        rng_seed,
        failure_persistence: None,
        ..from_env
    }
}

/// Strings that look like references: their words, digits and separators, often valid.
fn reference_like() -> impl Strategy<Value = String> {
    let word = prop_oneof![
        "[0-9]{1,6}",
        Just("/".to_owned()),
        Just(" ".to_owned()),
        Just("REV".to_owned()),
        Just("ADD".to_owned()),
        Just("COR".to_owned()),
        Just("DCL".to_owned()),
        Just("(COD)".to_owned()),
        "[A-Z]{1,6}",
        "\\PC",
    ];
    prop_oneof![
        proptest::collection::vec(word, 0..10).prop_map(|w| w.concat()),
        (1u32..100_000, 0u16..100, 0u16..1000, 0u16..1000)
            .prop_map(|(n, yy, k, a)| { format!("{n}/{k}/{yy:02} ADD {a} REV {k}") }),
        (1u32..100_000, 0u16..100).prop_map(|(n, yy)| format!("{n}/{yy:02}")),
        any::<String>(),
    ]
}

/// Parsing `input` as `T` never panics, and a value that parses prints to text that
/// parses back to it.
fn round_trips<T>(input: &str) -> Result<(), TestCaseError>
where
    T: std::str::FromStr + std::fmt::Display + PartialEq + std::fmt::Debug,
    T::Err: std::fmt::Display,
{
    if let Ok(value) = input.parse::<T>() {
        let printed = value.to_string();
        match printed.parse::<T>() {
            Ok(again) => prop_assert_eq!(again, value, "{:?} printed as {:?}", input, printed),
            Err(e) => prop_assert!(false, "{input:?} printed as {printed:?}: {e}"),
        }
    }
    Ok(())
}

/// Any JSON value, nested a little.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        any::<String>().prop_map(Value::from),
        reference_like().prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            proptest::collection::btree_map("[a-z_]{1,12}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

const KEYS: &[&str] = &[
    "kind",
    "language",
    "original_language",
    "date",
    "place",
    "number",
    "from",
    "to",
    "previous",
    "commission_doc",
    "subject",
    "codes",
    "marking",
    "interinstitutional_file",
    "unit",
    "initials",
    "distribution",
    "body",
    "template",
    "fields",
];

/// A valid spec with some of its keys replaced by arbitrary values or removed.
fn spec_like() -> impl Strategy<Value = Value> {
    let patch = proptest::collection::vec(
        (
            proptest::sample::select(KEYS),
            proptest::option::of(json_value()),
        ),
        0..6,
    );
    patch.prop_map(|patch| {
        let mut spec = json!({
            "language": "en",
            "from": "Presidency",
            "to": "Delegations",
            "subject": "Joint Declaration",
            "codes": ["JAI", "COSI"],
            "unit": "JAI.1",
            "initials": "AB/cd",
            "body": "Delegations will find attached …",
        });
        if let Some(object) = spec.as_object_mut() {
            for (key, value) in patch {
                match value {
                    Some(value) => object.insert(key.to_owned(), value),
                    None => object.remove(key),
                };
            }
        }
        spec
    })
}

fn vocabulary() -> Vocabulary {
    Vocabulary {
        codes: ["JAI", "COSI", "CFSP/PESC"]
            .iter()
            .filter_map(|c| c.parse().ok())
            .collect(),
        lists: ["delegations".to_owned()].into(),
        templates: ["note".to_owned()].into(),
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn references_parse_without_panic_and_round_trip(input in reference_like()) {
        round_trips::<DocNumber>(&input)?;
        round_trips::<DistributionCode>(&input)?;
        round_trips::<CodeName>(&input)?;
        round_trips::<InterinstitutionalFile>(&input)?;
    }

    #[test]
    fn any_json_is_a_spec_or_an_error_naming_a_field(value in prop_oneof![json_value(), spec_like()]) {
        let today = Date::constant(2026, 12, 3);
        match NoteSpec::from_json(value.clone(), &vocabulary(), today) {
            // What was accepted reads back as the same spec, as the registry stores it.
            Ok(spec) => prop_assert_eq!(NoteSpec::from_stored(spec.to_json(), today), Ok(spec)),
            Err(e) => prop_assert!(!e.message.is_empty(), "{value}: {e:?}"),
        }
        let _ = NoteSpec::standalone_from_json(value, &vocabulary(), today);
    }
}
