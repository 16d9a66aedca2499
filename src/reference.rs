//! Council document references: numbers (`6762/22`, `6314/1/22 REV 1`, `9459/20 ADD 1`),
//! distribution codes with their yearly counters (`JAI 274`) and interinstitutional files
//! (`2021/0123 (COD)`).
//!
//! Everything here is pure: parse a string into a value that is known to be valid, print a
//! value back in the Council's own notation. Printing then parsing gives the same value.

use std::fmt;
use std::str::FromStr;

/// What is wrong with a reference that failed to parse, in words a drafter understands.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{input}` is not a valid {what}: {reason}")]
pub struct ReferenceError {
    input: String,
    what: &'static str,
    reason: String,
}

impl ReferenceError {
    fn new(input: &str, what: &'static str, reason: impl Into<String>) -> Self {
        // Keep messages short even when someone pastes a page of text into a field.
        let input = if input.chars().count() > 60 {
            input.chars().take(60).collect::<String>() + "…"
        } else {
            input.to_owned()
        };
        Self {
            input,
            what,
            reason: reason.into(),
        }
    }
}

/// A suffix that makes a document a companion of the base document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Suffix {
    /// `ADD n`: an addendum.
    Addendum(u16),
    /// `COR n`: a corrigendum.
    Corrigendum(u16),
    /// `DCL n`: a declassification notice.
    Declassification(u16),
}

impl Suffix {
    fn parts(self) -> (&'static str, u16) {
        match self {
            Self::Addendum(n) => ("ADD", n),
            Self::Corrigendum(n) => ("COR", n),
            Self::Declassification(n) => ("DCL", n),
        }
    }
}

/// How a revision is written. The Council writes a revision of `6314/22` as
/// `6314/1/22 REV 1`; references in other documents often shorten it to `6314/1/22`, and
/// revisions of addenda are seen both as `9645/2/24 ADD 1 REV 2` and `9645/24 ADD 1 REV 2`.
/// The form is kept so that a reference is printed exactly as it was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RevisionForm {
    /// `6314/1/22 REV 1`: k between the slashes and after the number.
    Full,
    /// `6314/1/22`: k between the slashes only (short form used in references).
    Short,
    /// `9645/24 ADD 1 REV 2`: k after the suffix only (seen on addenda and corrigenda).
    SuffixOnly,
}

/// A Council document number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DocNumber {
    serial: u32,
    year: u16,
    suffix: Option<Suffix>,
    revision: Option<(u16, RevisionForm)>,
}

/// Largest running number accepted; the Council's yearly series stays well below it.
const MAX_SERIAL: u32 = 99_999;
/// Largest addendum, corrigendum or revision index accepted.
const MAX_INDEX: u16 = 999;

/// A number that cannot be made: its series has no value left.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SeriesExhausted {
    #[error("the {year} series has reached {MAX_SERIAL}, the last five-digit document number")]
    Numbers { year: u16 },
    #[error(
        "document {base} already has revision {MAX_INDEX}, the last the Council's numbering \
         allows; register a new document instead"
    )]
    Revisions { base: DocNumber },
}

impl DocNumber {
    /// The original version of document `serial` of `year` (a four-digit year).
    pub fn new(serial: u32, year: u16) -> Self {
        Self {
            serial,
            year,
            suffix: None,
            revision: None,
        }
    }

    /// The number the registry allocated as `serial` of `year`'s series.
    pub fn allocated(serial: i64, year: u16) -> Result<Self, SeriesExhausted> {
        u32::try_from(serial)
            .ok()
            .filter(|s| (1..=MAX_SERIAL).contains(s))
            .map(|serial| Self::new(serial, year))
            .ok_or(SeriesExhausted::Numbers { year })
    }

    /// Revision `k` of this document, in the Council's full form (`6314/1/22 REV 1`).
    /// There is none past `REV 999`: a number that could be stored but never read back.
    pub fn revised(self, k: u16) -> Result<Self, SeriesExhausted> {
        if !(1..=MAX_INDEX).contains(&k) {
            return Err(SeriesExhausted::Revisions {
                base: Self::new(self.serial, self.year),
            });
        }
        Ok(Self {
            revision: Some((k, RevisionForm::Full)),
            ..self
        })
    }

    /// This number with its full year as recorded when it was allocated. `YY` alone is
    /// ambiguous across centuries, so a stored number never has its year guessed again;
    /// `None` when `year` does not end in the number's two digits.
    pub fn in_year(self, year: u16) -> Option<Self> {
        (year % 100 == self.year % 100).then_some(Self { year, ..self })
    }

    pub fn serial(&self) -> u32 {
        self.serial
    }

    /// The four-digit year.
    pub fn year(&self) -> u16 {
        self.year
    }

    pub fn suffix(&self) -> Option<Suffix> {
        self.suffix
    }

    pub fn revision(&self) -> Option<u16> {
        self.revision.map(|(k, _)| k)
    }

    /// The document register's identifier: `ST 6762 2022 INIT`, `ST 10149 2021 ADD 1 REV 1`.
    pub fn register_id(&self) -> String {
        let mut out = format!("ST {} {}", self.serial, self.year);
        if let Some(suffix) = self.suffix {
            let (word, n) = suffix.parts();
            out.push_str(&format!(" {word} {n}"));
        }
        match self.revision {
            Some((k, _)) => out.push_str(&format!(" REV {k}")),
            None if self.suffix.is_none() => out.push_str(" INIT"),
            None => {}
        }
        out
    }

    /// Parses the register form (`ST 6762 2022 INIT`). Revisions come back in the full form.
    pub fn parse_register_id(input: &str) -> Result<Self, ReferenceError> {
        const WHAT: &str = "register identifier";
        let err = |reason: &str| ReferenceError::new(input, WHAT, reason);
        let mut words = input.split(' ');
        if words.next() != Some("ST") {
            return Err(err("it must start with `ST `, as in `ST 6762 2022 INIT`"));
        }
        let serial = words
            .next()
            .ok_or_else(|| err("the document number is missing"))
            .and_then(|w| parse_serial(w).map_err(|r| err(&r)))?;
        let year = words
            .next()
            .filter(|w| w.len() == 4 && w.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|w| w.parse::<u16>().ok())
            .ok_or_else(|| err("a four-digit year must follow the number"))?;
        let rest: Vec<&str> = words.collect();
        let mut number = Self::new(serial, year);
        if rest == ["INIT"] {
            return Ok(number);
        }
        let (suffix, revision) = parse_suffixes(&rest).map_err(|r| err(&r))?;
        if suffix.is_none() && revision.is_none() {
            return Err(err("an original version ends in `INIT`"));
        }
        number.suffix = suffix;
        number.revision = revision.map(|k| (k, RevisionForm::Full));
        Ok(number)
    }
}

impl fmt::Display for DocNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let yy = self.year % 100;
        match self.revision {
            Some((k, RevisionForm::Full | RevisionForm::Short)) => {
                write!(f, "{}/{k}/{yy:02}", self.serial)?
            }
            _ => write!(f, "{}/{yy:02}", self.serial)?,
        }
        if let Some(suffix) = self.suffix {
            let (word, n) = suffix.parts();
            write!(f, " {word} {n}")?;
        }
        match self.revision {
            Some((k, RevisionForm::Full | RevisionForm::SuffixOnly)) => write!(f, " REV {k}"),
            _ => Ok(()),
        }
    }
}

impl FromStr for DocNumber {
    type Err = ReferenceError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        const WHAT: &str = "document number";
        let err = |reason: &str| ReferenceError::new(input, WHAT, reason);
        let mut words = input.split(' ');
        let head = words.next().unwrap_or_default();
        let parts: Vec<&str> = head.split('/').collect();
        let (serial, slash_k, yy) = match parts.as_slice() {
            [serial, yy] => (*serial, None, *yy),
            [serial, k, yy] => (*serial, Some(*k), *yy),
            _ => return Err(err("expected `number/yy` such as `6762/22`")),
        };
        let serial = parse_serial(serial).map_err(|r| err(&r))?;
        if yy.len() != 2 || !yy.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err(
                "the year after the slash has two digits, as in `6762/22`",
            ));
        }
        let year = two_digit_year(yy.parse().map_err(|_| err("bad year"))?);
        let slash_k = slash_k
            .map(|k| parse_index(k).map_err(|r| err(&format!("revision {r}"))))
            .transpose()?;
        let rest: Vec<&str> = words.collect();
        let (suffix, rev) = parse_suffixes(&rest).map_err(|r| err(&r))?;
        let revision = match (slash_k, rev) {
            (None, None) => None,
            (Some(k), None) => Some((k, RevisionForm::Short)),
            (Some(k), Some(rev)) if k == rev => Some((k, RevisionForm::Full)),
            (Some(k), Some(rev)) => {
                return Err(err(&format!(
                    "the revision between the slashes ({k}) must equal the one after REV ({rev})"
                )));
            }
            (None, Some(k)) if suffix.is_some() => Some((k, RevisionForm::SuffixOnly)),
            (None, Some(k)) => {
                return Err(err(&format!(
                    "a revision is written with its index between the slashes too: `{serial}/{k}/{yy} REV {k}`"
                )));
            }
        };
        Ok(Self {
            serial,
            year,
            suffix,
            revision,
        })
    }
}

/// Two-digit years pivot at 50: `05` is 2005, `95` is 1995.
fn two_digit_year(yy: u16) -> u16 {
    if yy < 50 { 2000 + yy } else { 1900 + yy }
}

fn parse_serial(s: &str) -> Result<u32, String> {
    parse_positive(s, u64::from(MAX_SERIAL))
        .map(|n| n as u32)
        .map_err(|r| format!("the document number {r}"))
}

fn parse_index(s: &str) -> Result<u16, String> {
    parse_positive(s, u64::from(MAX_INDEX)).map(|n| n as u16)
}

/// A positive decimal with no sign, no leading zero and at most `max`.
fn parse_positive(s: &str, max: u64) -> Result<u64, String> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("must be digits, got `{s}`"));
    }
    if s.starts_with('0') {
        return Err(format!("must not start with 0, got `{s}`"));
    }
    match s.parse::<u64>() {
        Ok(n) if n <= max => Ok(n),
        _ => Err(format!("must be at most {max}, got `{s}`")),
    }
}

/// Parses `[ADD n | COR n | DCL n] [REV k]` split into words.
fn parse_suffixes(words: &[&str]) -> Result<(Option<Suffix>, Option<u16>), String> {
    let mut suffix = None;
    let mut revision = None;
    for pair in words.chunks(2) {
        let word = pair[0];
        if !matches!(word, "ADD" | "COR" | "DCL" | "REV") {
            return Err(format!(
                "unknown suffix `{word}`: expected ADD, COR, DCL or REV"
            ));
        }
        let [_, n] = pair else {
            return Err(format!("`{word}` must be followed by a number"));
        };
        let n = parse_index(n).map_err(|r| format!("{word} {r}"))?;
        if revision.is_some() {
            return Err("REV comes last".to_owned());
        }
        match word {
            "REV" => revision = Some(n),
            _ if suffix.is_some() => {
                return Err("only one of ADD, COR or DCL may follow the number".to_owned());
            }
            "ADD" => suffix = Some(Suffix::Addendum(n)),
            "COR" => suffix = Some(Suffix::Corrigendum(n)),
            _ => suffix = Some(Suffix::Declassification(n)),
        }
    }
    Ok((suffix, revision))
}

/// A distribution (subject) code without its counter: `JAI`, `CFSP/PESC`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CodeName(String);

impl CodeName {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CodeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for CodeName {
    type Err = ReferenceError;

    /// Upper-case Latin letters, groups joined by `/` (`CFSP/PESC`), at most 20 characters.
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let well_formed = !input.is_empty()
            && input.len() <= 20
            && input
                .split('/')
                .all(|g| !g.is_empty() && g.bytes().all(|b| b.is_ascii_uppercase()));
        if well_formed {
            Ok(Self(input.to_owned()))
        } else {
            Err(ReferenceError::new(
                input,
                "distribution code",
                "codes are upper-case letters such as `JAI` or `CFSP/PESC`",
            ))
        }
    }
}

/// A distribution code with its running counter for the year: `JAI 274`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DistributionCode {
    pub name: CodeName,
    pub counter: u32,
}

impl fmt::Display for DistributionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.name, self.counter)
    }
}

impl FromStr for DistributionCode {
    type Err = ReferenceError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let Some((name, counter)) = input.split_once(' ') else {
            return Err(ReferenceError::new(
                input,
                "distribution code",
                "expected a code and its counter, as in `JAI 274`",
            ));
        };
        let name = name.parse()?;
        let counter = parse_positive(counter, u64::from(MAX_SERIAL))
            .map_err(|r| ReferenceError::new(input, "distribution code", format!("counter {r}")))?
            as u32;
        Ok(Self { name, counter })
    }
}

/// Legislative procedures that appear in interinstitutional file numbers.
const PROCEDURES: &[&str] = &[
    "COD", "CNS", "NLE", "APP", "BUD", "DEC", "SYN", "AVC", "ACI", "INI", "INL", "RSP",
];

/// An interinstitutional file: `2021/0123 (COD)`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct InterinstitutionalFile {
    year: u16,
    number: u16,
    procedure: &'static str,
}

impl fmt::Display for InterinstitutionalFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{:04} ({})", self.year, self.number, self.procedure)
    }
}

impl FromStr for InterinstitutionalFile {
    type Err = ReferenceError;

    /// Accepts the Council's form and the same without the space before the bracket.
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let err = |reason: String| ReferenceError::new(input, "interinstitutional file", reason);
        let shape = || err("expected `yyyy/nnnn (PROC)`, as in `2021/0123 (COD)`".to_owned());
        let (head, proc_part) = input.split_once('(').ok_or_else(shape)?;
        let procedure_code = proc_part.strip_suffix(')').ok_or_else(shape)?;
        let head = head.strip_suffix(' ').unwrap_or(head);
        let (year, number) = head.split_once('/').ok_or_else(shape)?;
        let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(year, 4) || !digits(number, 4) {
            return Err(shape());
        }
        let procedure = PROCEDURES
            .iter()
            .find(|p| **p == procedure_code)
            .ok_or_else(|| {
                err(format!(
                    "unknown procedure `{procedure_code}`: expected one of {}",
                    PROCEDURES.join(", ")
                ))
            })?;
        Ok(Self {
            year: year.parse().map_err(|_| shape())?,
            number: number.parse().map_err(|_| shape())?,
            procedure,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn roundtrip(s: &str) {
        let n: DocNumber = s.parse().unwrap_or_else(|e| panic!("{s}: {e}"));
        assert_eq!(n.to_string(), s);
    }

    #[test]
    fn every_form_in_council_md_roundtrips() {
        for s in [
            "6762/22",
            "6314/1/22 REV 1",
            "6314/1/22",
            "8875/1/16 REV 1",
            "14220/6/16 REV 6",
            "9459/20 ADD 1",
            "8683/05 COR 1",
            "9645/24 ADD 1 REV 2",
            "9645/2/24 ADD 1 REV 2",
            "11432/07 DCL 1",
        ] {
            roundtrip(s);
        }
    }

    #[test]
    fn parts_are_read_correctly() {
        let n: DocNumber = "9645/2/24 ADD 1 REV 2".parse().unwrap();
        assert_eq!(n.serial(), 9645);
        assert_eq!(n.year(), 2024);
        assert_eq!(n.suffix(), Some(Suffix::Addendum(1)));
        assert_eq!(n.revision(), Some(2));
        let old: DocNumber = "8683/05 COR 1".parse().unwrap();
        assert_eq!(old.year(), 2005);
        assert_eq!("1234/95".parse::<DocNumber>().unwrap().year(), 1995);
    }

    #[test]
    fn a_stored_year_replaces_the_two_digit_guess() {
        // A note numbered in 2050 reads `/50`, which the pivot alone would call 1950.
        let n: DocNumber = "5001/1/50 REV 1".parse().unwrap();
        assert_eq!(n.year(), 1950);
        let stored = n.in_year(2050).unwrap();
        assert_eq!(stored.year(), 2050);
        assert_eq!(stored.to_string(), "5001/1/50 REV 1");
        assert_eq!(stored.register_id(), "ST 5001 2050 REV 1");
        assert_eq!(n.in_year(2051), None, "the digits must agree");
    }

    #[test]
    fn register_form_both_ways() {
        let cases = [
            ("6762/22", "ST 6762 2022 INIT"),
            ("10149/1/21 ADD 1 REV 1", "ST 10149 2021 ADD 1 REV 1"),
            ("6314/1/22 REV 1", "ST 6314 2022 REV 1"),
            ("11432/07 DCL 1", "ST 11432 2007 DCL 1"),
        ];
        for (short, register) in cases {
            let n: DocNumber = short.parse().unwrap();
            assert_eq!(n.register_id(), register);
            assert_eq!(DocNumber::parse_register_id(register).unwrap(), n);
        }
    }

    #[test]
    fn built_numbers_print_as_the_council_does() {
        assert_eq!(DocNumber::new(5001, 2027).to_string(), "5001/27");
        assert_eq!(
            DocNumber::new(6314, 2022).revised(1).unwrap().to_string(),
            "6314/1/22 REV 1"
        );
        let last = DocNumber::new(6314, 2022).revised(999).unwrap();
        assert_eq!(last.to_string().parse::<DocNumber>().unwrap(), last);
        let past = DocNumber::new(6314, 2022).revised(1000).unwrap_err();
        assert!(
            past.to_string()
                .contains("6314/22 already has revision 999"),
            "{past}"
        );
        assert_eq!(DocNumber::new(1, 2005).to_string(), "1/05");
    }

    #[test]
    fn malformed_numbers_say_what_is_wrong() {
        let cases = [
            ("", "number/yy"),
            ("6762", "number/yy"),
            ("6762/2022", "two digits"),
            ("06762/22", "must not start with 0"),
            ("6314/2/22 REV 1", "must equal"),
            ("6314/22 REV 1", "6314/1/22 REV 1"),
            ("6762/22 ADD", "followed by a number"),
            ("6762/22 FOO 1", "unknown suffix"),
            ("6762/22 REV 1 ADD 1", "REV comes last"),
            ("6762/22 ADD 1 COR 1", "only one of"),
            ("6762/22  ADD 1", "unknown suffix"),
            ("100000/22", "at most"),
            ("6762/x/22", "digits"),
        ];
        for (input, expected) in cases {
            let e = input.parse::<DocNumber>().unwrap_err().to_string();
            assert!(e.contains(expected), "{input:?}: {e}");
        }
    }

    #[test]
    fn register_ids_are_checked() {
        for bad in [
            "ST 6762 22 INIT",
            "6762 2022 INIT",
            "ST 6762 2022",
            "ST 6762 2022 INIT X",
        ] {
            assert!(DocNumber::parse_register_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn distribution_codes() {
        let c: DistributionCode = "JAI 274".parse().unwrap();
        assert_eq!(c.name.as_str(), "JAI");
        assert_eq!(c.counter, 274);
        assert_eq!(c.to_string(), "JAI 274");
        assert_eq!(
            "CFSP/PESC 12"
                .parse::<DistributionCode>()
                .unwrap()
                .to_string(),
            "CFSP/PESC 12"
        );
        for bad in [
            "JAI",
            "jai 274",
            "JAI 0",
            "JAI  274",
            "JAI 27x",
            "/JAI 1",
            "JAI 274 2",
        ] {
            assert!(bad.parse::<DistributionCode>().is_err(), "{bad}");
        }
    }

    #[test]
    fn interinstitutional_files() {
        let f: InterinstitutionalFile = "2021/0123 (COD)".parse().unwrap();
        assert_eq!(f.to_string(), "2021/0123 (COD)");
        let tight: InterinstitutionalFile = "2021/0123(COD)".parse().unwrap();
        assert_eq!(tight, f);
        let e = "2021/0123 (XYZ)"
            .parse::<InterinstitutionalFile>()
            .unwrap_err();
        assert!(e.to_string().contains("unknown procedure `XYZ`"), "{e}");
        for bad in [
            "2021/123 (COD)",
            "21/0123 (COD)",
            "2021/0123 COD",
            "2021-0123 (COD)",
        ] {
            assert!(bad.parse::<InterinstitutionalFile>().is_err(), "{bad}");
        }
    }

    fn any_doc_number() -> impl Strategy<Value = DocNumber> {
        let suffix = prop_oneof![
            Just(None),
            (1..=MAX_INDEX).prop_map(|n| Some(Suffix::Addendum(n))),
            (1..=MAX_INDEX).prop_map(|n| Some(Suffix::Corrigendum(n))),
            (1..=MAX_INDEX).prop_map(|n| Some(Suffix::Declassification(n))),
        ];
        let form = prop_oneof![
            Just(RevisionForm::Full),
            Just(RevisionForm::Short),
            Just(RevisionForm::SuffixOnly)
        ];
        (
            1..=MAX_SERIAL,
            1950u16..2050,
            suffix,
            proptest::option::of((1..=MAX_INDEX, form)),
        )
            .prop_map(|(serial, year, suffix, revision)| {
                // A revision written after the suffix only exists when there is a suffix.
                let revision = revision.map(|(k, form)| match (form, suffix) {
                    (RevisionForm::SuffixOnly, None) => (k, RevisionForm::Full),
                    other => (k, other.0),
                });
                DocNumber {
                    serial,
                    year,
                    suffix,
                    revision,
                }
            })
    }

    proptest! {
        #[test]
        fn printing_then_parsing_gives_the_same_number(n in any_doc_number()) {
            prop_assert_eq!(n.to_string().parse::<DocNumber>(), Ok(n));
        }

        #[test]
        fn register_form_roundtrips(n in any_doc_number()) {
            let back = DocNumber::parse_register_id(&n.register_id()).unwrap();
            prop_assert_eq!(back.register_id(), n.register_id());
        }

        #[test]
        fn codes_roundtrip(name in "[A-Z]{1,8}(/[A-Z]{1,8})?", counter in 1u32..=MAX_SERIAL) {
            let code = DistributionCode { name: name.parse().unwrap(), counter };
            prop_assert_eq!(code.to_string().parse::<DistributionCode>(), Ok(code));
        }

        #[test]
        fn files_roundtrip(year in 1950u16..2100, number in 1u16..10000, p in 0..PROCEDURES.len()) {
            let file = InterinstitutionalFile { year, number, procedure: PROCEDURES[p] };
            prop_assert_eq!(file.to_string().parse::<InterinstitutionalFile>(), Ok(file));
        }

        #[test]
        fn parsing_arbitrary_text_never_panics(s in "\\PC{0,40}") {
            let _ = s.parse::<DocNumber>();
            let _ = DocNumber::parse_register_id(&s);
            let _ = s.parse::<DistributionCode>();
            let _ = s.parse::<CodeName>();
            let _ = s.parse::<InterinstitutionalFile>();
        }

        #[test]
        fn parsing_number_like_text_never_panics(s in "[0-9/ A-Z]{0,30}") {
            let _ = s.parse::<DocNumber>();
            let _ = DocNumber::parse_register_id(&s);
        }
    }
}
