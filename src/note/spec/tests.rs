//! The spec parser as a whole: defaults, every bad field named, round trips.

use serde_json::{Map, Value};

use super::fields::{MAX_BODY, MAX_FIELDS};
use super::*;
use serde_json::json;

fn vocabulary() -> Vocabulary {
    Vocabulary {
        codes: ["JAI", "JAIEX", "COSI", "CFSP/PESC"]
            .iter()
            .map(|c| c.parse().unwrap())
            .collect(),
        lists: ["delegations".to_owned()].into(),
        templates: ["cover-declaration".to_owned()].into(),
    }
}

fn minimal() -> Value {
    json!({
        "language": "en",
        "from": "Presidency",
        "to": "Delegations",
        "subject": "Joint Declaration",
        "codes": ["JAI", "COSI"],
        "unit": "JAI.1",
        "initials": "AB/cd",
        "body": "Delegations will find attached …",
    })
}

fn today() -> Date {
    Date::constant(2026, 11, 22)
}

fn parse(value: Value) -> Result<NoteSpec, SpecError> {
    NoteSpec::from_json(value, &vocabulary(), today())
}

fn error_of(mut patch: Value) -> SpecError {
    let mut spec = minimal();
    let fields = patch.as_object_mut().unwrap();
    for (k, v) in std::mem::take(fields) {
        if v.is_null() {
            spec.as_object_mut().unwrap().remove(&k);
        } else {
            spec[k] = v;
        }
    }
    parse(spec).unwrap_err()
}

#[test]
fn defaults_are_filled_in() {
    let spec = parse(minimal()).unwrap();
    assert_eq!(spec.kind, NoteKind::Note);
    assert_eq!(spec.original_language, Language::En);
    assert_eq!(spec.date, today());
    assert_eq!(spec.place, Place::Brussels);
    assert_eq!(spec.distribution, ["delegations"]);
    assert_eq!(
        spec.codes.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
        ["JAI", "COSI"]
    );
}

#[test]
fn the_seed_spec_parses_without_its_number_and_counters() {
    let mut seed: Value =
        serde_json::from_str(include_str!("../../../tests/data/6762-22-fr.json")).unwrap();
    let object = seed.as_object_mut().unwrap();
    object.remove("number");
    object["codes"] = json!(["JAI", "JAIEX", "COSI"]);
    let spec = parse(seed).unwrap();
    assert_eq!(spec.language, Language::Fr);
    assert_eq!(spec.previous[0].to_string(), "6314/1/22");
    assert_eq!(spec.date, Date::constant(2022, 3, 3));
}

#[test]
fn to_json_then_from_json_gives_the_same_spec() {
    let mut value = minimal();
    value["marking"] = json!("limite");
    value["previous"] = json!(["6314/1/22"]);
    value["interinstitutional_file"] = json!("2021/0123(COD)");
    value["commission_doc"] = json!("COM(2021) 123 final");
    let spec = parse(value).unwrap();
    let again = parse(spec.to_json()).unwrap();
    assert_eq!(again, spec);
    assert_eq!(spec.to_json()["marking"], "LIMITE");
    assert_eq!(spec.to_json()["interinstitutional_file"], "2021/0123 (COD)");
}

#[test]
fn templates_take_fields() {
    let mut value = minimal();
    value.as_object_mut().unwrap().remove("body");
    value["template"] = json!("cover-declaration");
    value["fields"] = json!({"declaration": "text"});
    let spec = parse(value).unwrap();
    assert!(
        matches!(spec.content, Content::Template { ref name, .. } if name == "cover-declaration")
    );
}

#[test]
fn every_bad_field_is_named() {
    let cases = [
        (json!({"language": null}), "language", "is required"),
        (
            json!({"language": "xx"}),
            "language",
            "official EU language",
        ),
        (json!({"language": 7}), "language", "invalid type"),
        (
            json!({"original_language": "EN"}),
            "original_language",
            "`EN`",
        ),
        (json!({"kind": "memo"}), "kind", "unknown kind"),
        (json!({"place": "strasbourg"}), "place", "brussels"),
        (json!({"date": "3 March 2022"}), "date", "YYYY-MM-DD"),
        (json!({"date": "2022-02-30"}), "date", "YYYY-MM-DD"),
        (json!({"date": "1900-01-01"}), "date", "plausible"),
        (
            json!({"number": "6762/22"}),
            "number",
            "allocated by the registry",
        ),
        (json!({"from": "  "}), "from", "must not be empty"),
        (json!({"to": null}), "to", "is required"),
        (json!({"subject": "a\nb"}), "subject", "line break"),
        (
            json!({"subject": "x".repeat(2001)}),
            "subject",
            "longer than",
        ),
        (json!({"codes": []}), "codes", "at least one"),
        (json!({"codes": null}), "codes", "is required"),
        (
            json!({"codes": ["JAI 274"]}),
            "codes[0]",
            "allocated by the registry",
        ),
        (
            json!({"codes": ["JAI", "JIA"]}),
            "codes[1]",
            "did you mean `JAI`",
        ),
        (
            json!({"codes": ["JAI", "ZZZZZZZ"]}),
            "codes[1]",
            "knows: CFSP/PESC, COSI",
        ),
        (json!({"codes": ["jai"]}), "codes[0]", "upper-case"),
        (json!({"codes": ["JAI", "JAI"]}), "codes[1]", "twice"),
        (json!({"codes": "JAI"}), "codes", "invalid type"),
        (
            json!({"previous": ["6314/22 REV 1"]}),
            "previous[0]",
            "6314/1/22 REV 1",
        ),
        (
            json!({"marking": "SECRET UE/EU SECRET"}),
            "marking",
            "accredited",
        ),
        (json!({"marking": "PUBLIC"}), "marking", "LIMITE"),
        (
            json!({"interinstitutional_file": "2021/123"}),
            "interinstitutional_file",
            "yyyy/nnnn",
        ),
        (json!({"unit": "jai 1"}), "unit", "Secretariat unit"),
        (json!({"initials": ""}), "initials", "must not be empty"),
        (
            json!({"distribution": ["delegatoins"]}),
            "distribution[0]",
            "did you mean `delegations`",
        ),
        (json!({"body": null}), "body", "is required"),
        (json!({"body": ""}), "body", "must not be empty"),
        (
            json!({"template": "cover-declaration"}),
            "template",
            "not both",
        ),
        (json!({"fields": {}}), "fields", "only go with"),
        (json!({"colour": "red"}), "colour", "unknown field"),
    ];
    for (patch, field, message) in cases {
        let e = error_of(patch.clone());
        assert_eq!(e.field, field, "{patch}: {e}");
        assert!(e.message.contains(message), "{patch}: {e}");
    }
}

#[test]
fn invisible_and_bidirectional_characters_are_refused_where_they_have_no_business() {
    let bidi = [
        '\u{202A}', '\u{202E}', '\u{2066}', '\u{2069}', '\u{200E}', '\u{200F}', '\u{061C}',
    ];
    for c in bidi {
        for field in [
            "subject",
            "from",
            "to",
            "initials",
            "commission_doc",
            "body",
        ] {
            let e = error_of(json!({ field: format!("Joint{c}Declaration") }));
            assert_eq!(e.field, field, "{c:?}");
            assert!(e.message.contains("bidirectional control"), "{e}");
        }
    }
    // Zero-width and other format characters: refused on one line, kept in the body.
    for c in ['\u{200B}', '\u{200D}', '\u{2060}', '\u{FEFF}', '\u{00AD}'] {
        for field in ["subject", "from", "to", "initials"] {
            let e = error_of(json!({ field: format!("Joint{c}Declaration") }));
            assert_eq!(e.field, field, "{c:?}");
            assert!(e.message.contains("invisible format character"), "{e}");
            assert!(e.message.contains(&format!("U+{:04X}", c as u32)), "{e}");
        }
        let mut value = minimal();
        value["body"] = json!(format!("Joint{c}Declaration"));
        assert!(parse(value).is_ok(), "{c:?} in the body");
    }
    assert_eq!(error_of(json!({"unit": "JAI\u{200B}.1"})).field, "unit");
    // Right-to-left letters themselves are not controls.
    let mut value = minimal();
    value["subject"] = json!("Declaration on \u{05E2}\u{05D1}\u{05E8}\u{05D9}\u{05EA}");
    assert!(parse(value).is_ok());
}

fn with_fields(fields: Value) -> Result<NoteSpec, SpecError> {
    let mut value = minimal();
    value.as_object_mut().unwrap().remove("body");
    value["template"] = json!("cover-declaration");
    value["fields"] = fields;
    parse(value)
}

#[test]
fn template_fields_have_the_limits_of_a_body() {
    let half = "x".repeat(MAX_BODY / 2);
    assert!(with_fields(json!({"title": "T", "declaration": half})).is_ok());
    let e = with_fields(json!({"a": half, "b": half, "c": "over"})).unwrap_err();
    assert_eq!(e.field, "fields");
    assert!(e.message.contains("2000000 characters"), "{e}");
    let e = with_fields(json!({"title": "A\u{202E}B"})).unwrap_err();
    assert_eq!(e.field, "fields.title");
    assert!(e.message.contains("bidirectional"), "{e}");
    let e = with_fields(json!({"points": ["ok", {"inner": "bell\u{7}"}]})).unwrap_err();
    assert_eq!(e.field, "fields.points[1].inner");
    let e = with_fields(json!({"ti\u{200B}tle": "T"})).unwrap_err();
    assert_eq!(e.field, "fields");
    assert!(e.message.contains("field name"), "{e}");
    let many: Map<String, Value> = (0..=MAX_FIELDS)
        .map(|i| (format!("f{i}"), json!("v")))
        .collect();
    let e = with_fields(Value::Object(many)).unwrap_err();
    assert!(e.message.contains("at most 100 fields"), "{e}");
    assert!(with_fields(json!({"declaration": "line one\n\u{200B}line two"})).is_ok());
}

#[test]
fn unknown_template_is_named() {
    let mut value = minimal();
    value.as_object_mut().unwrap().remove("body");
    value["template"] = json!("nope");
    let e = parse(value).unwrap_err();
    assert_eq!(e.field, "template");
    assert!(e.message.contains("cover-declaration"), "{e}");
}

#[test]
fn standalone_specs_carry_their_number_and_counters() {
    let seed: Value =
        serde_json::from_str(include_str!("../../../tests/data/6762-22-en.json")).unwrap();
    let mut vocabulary = vocabulary();
    for code in ["COLAC", "CRIMORG", "ENFOPOL", "CORDROGUE"] {
        vocabulary.codes.insert(code.parse().unwrap());
    }
    let standalone = NoteSpec::standalone_from_json(seed.clone(), &vocabulary, today()).unwrap();
    assert_eq!(standalone.number.to_string(), "6762/22");
    assert_eq!(standalone.codes[0].to_string(), "JAI 274");
    assert_eq!(standalone.spec.codes[0].as_str(), "JAI");
    let mut no_counter = seed.clone();
    no_counter["codes"] = json!(["JAI"]);
    let e = NoteSpec::standalone_from_json(no_counter, &vocabulary, today()).unwrap_err();
    assert_eq!(e.field, "codes[0]");
    let mut no_number = seed;
    no_number.as_object_mut().unwrap().remove("number");
    let e = NoteSpec::standalone_from_json(no_number, &vocabulary, today()).unwrap_err();
    assert_eq!(
        (e.field.as_str(), e.message.as_str()),
        ("number", "is required")
    );
}

#[test]
fn a_stored_spec_reads_back_whatever_the_configuration_names_now() {
    let mut stored = minimal();
    stored["codes"] = json!(["RETIRED"]);
    stored["distribution"] = json!(["old-list"]);
    stored.as_object_mut().unwrap().remove("body");
    stored["template"] = json!("old-template");
    let spec = NoteSpec::from_stored(stored.clone(), today()).unwrap();
    assert_eq!(spec.codes[0].as_str(), "RETIRED");
    assert!(NoteSpec::from_json(stored.clone(), &vocabulary(), today()).is_err());
    stored["language"] = json!("xx");
    assert_eq!(
        NoteSpec::from_stored(stored, today()).unwrap_err().field,
        "language"
    );
}

#[test]
fn a_spec_that_is_not_an_object_is_refused() {
    let e = parse(json!([1, 2])).unwrap_err();
    assert!(e.message.contains("invalid type"), "{e}");
}
