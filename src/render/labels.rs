//! First-page wording in the 24 languages, from `labels/<lang>.toml` (compiled in). Each
//! value keeps its confidence (seen, likely, guess) and source, so that unverified wording
//! can be found and replaced; the renderer only reads the text.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use jiff::civil::Date;
use serde::Deserialize;

use crate::note::{Language, NoteKind, Place};

/// One value and how sure we are of it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Value {
    pub text: String,
    pub confidence: Confidence,
    #[serde(default)]
    pub source: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    Seen,
    Likely,
    Guess,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Institution {
    pub line1: Value,
    pub line2: Value,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoutingLabels {
    pub from: Value,
    pub to: Value,
    pub previous: Value,
    pub commission_doc: Value,
    pub subject: Value,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DateFormat {
    pub pattern: Value,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Places {
    pub brussels: Value,
    pub luxembourg: Value,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Months {
    pub names: Vec<String>,
    pub confidence: Confidence,
    #[serde(default)]
    pub source: String,
}

/// Everything printed in one language that does not come from the note itself.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Labels {
    pub institution: Institution,
    pub kinds: BTreeMap<String, Value>,
    pub labels: RoutingLabels,
    pub date: DateFormat,
    pub places: Places,
    pub months: Months,
}

/// A language's file lacks something the note needs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("labels/{language}.toml has no wording for {what}")]
pub struct MissingLabel {
    pub language: &'static str,
    pub what: String,
}

impl Labels {
    /// The labels of `language`, parsed once per process.
    pub fn of(language: Language) -> &'static Labels {
        &ALL[&language]
    }

    pub fn kind(&self, language: Language, kind: NoteKind) -> Result<&str, MissingLabel> {
        self.kinds
            .get(kind.as_str())
            .map(|v| v.text.as_str())
            .ok_or_else(|| MissingLabel {
                language: language.code(),
                what: format!("the kind `{kind}`"),
            })
    }

    /// `Brussels, 3 March 2022`, `Bryssel den 3 mars 2022`, `Brüsszel, 2022. március 3.`
    pub fn place_and_date(&self, place: Place, date: Date) -> String {
        let place = match place {
            Place::Brussels => &self.places.brussels.text,
            Place::Luxembourg => &self.places.luxembourg.text,
        };
        let month = &self.months.names[date.month() as usize - 1];
        self.date
            .pattern
            .text
            .replace("{place}", place)
            .replace("{day}", &date.day().to_string())
            .replace("{month}", month)
            .replace("{year}", &date.year().to_string())
    }
}

macro_rules! label_files {
    ($($lang:ident => $file:literal),* $(,)?) => {
        [$((Language::$lang, include_str!(concat!("../../labels/", $file)))),*]
    };
}

static ALL: LazyLock<BTreeMap<Language, Labels>> = LazyLock::new(|| {
    let files = label_files! {
        Bg => "bg.toml", Cs => "cs.toml", Da => "da.toml", De => "de.toml", El => "el.toml",
        En => "en.toml", Es => "es.toml", Et => "et.toml", Fi => "fi.toml", Fr => "fr.toml",
        Ga => "ga.toml", Hr => "hr.toml", Hu => "hu.toml", It => "it.toml", Lt => "lt.toml",
        Lv => "lv.toml", Mt => "mt.toml", Nl => "nl.toml", Pl => "pl.toml", Pt => "pt.toml",
        Ro => "ro.toml", Sk => "sk.toml", Sl => "sl.toml", Sv => "sv.toml",
    };
    files
        .into_iter()
        .map(|(language, text)| {
            // The files are compiled in and checked by the tests below: a broken one is a
            // build defect, not an input error.
            let labels: Labels = toml::from_str(text)
                .unwrap_or_else(|e| panic!("labels/{}.toml: {e}", language.code()));
            (language, labels)
        })
        .collect()
});

#[cfg(test)]
mod tests {
    use super::*;

    fn date() -> Date {
        Date::constant(2022, 3, 3)
    }

    #[test]
    fn every_language_has_a_complete_file() {
        for language in Language::ALL {
            let labels = Labels::of(*language);
            assert_eq!(labels.months.names.len(), 12, "{language}");
            for kind in [NoteKind::Note, NoteKind::IaItemNote, NoteKind::CoverNote] {
                assert!(labels.kind(*language, kind).is_ok(), "{language} {kind}");
            }
            let line = labels.place_and_date(Place::Brussels, date());
            assert!(
                line.contains("2022") && !line.contains('{'),
                "{language}: {line}"
            );
            for label in [
                &labels.labels.from,
                &labels.labels.to,
                &labels.labels.subject,
            ] {
                assert!(
                    label.text.ends_with(':'),
                    "{language}: every label ends with a colon"
                );
            }
        }
    }

    /// Every value COUNCIL-LABELS.md marks as seen in a real document, pinned.
    #[test]
    fn values_seen_in_council_documents() {
        use Language::*;
        let dates = [
            (En, "Brussels, 3 March 2022"),
            (Fr, "Bruxelles, le 3 mars 2022"),
            (De, "Brüssel, den 3. März 2022"),
            (Da, "Bruxelles, den 3. marts 2022"),
            (Cs, "Brusel 3. března 2022"),
            (Sk, "V Bruseli 3. marca 2022"),
            (Sv, "Bryssel den 3 mars 2022"),
            (Fi, "Bryssel, 3. maaliskuuta 2022"),
            (Pl, "Bruksela, 3 marca 2022 r."),
            (Pt, "Bruxelas, 3 de março de 2022"),
            (Es, "Bruselas, 3 de marzo de 2022"),
            (It, "Bruxelles, 3 marzo 2022"),
            (El, "Βρυξέλλες, 3 Μαρτίου 2022"),
        ];
        for (language, expected) in dates {
            assert_eq!(
                Labels::of(language).place_and_date(Place::Brussels, date()),
                expected
            );
        }
        let it = Labels::of(It).place_and_date(Place::Brussels, Date::constant(2016, 9, 14));
        assert_eq!(it, "Bruxelles, 14 settembre 2016");
        let el = Labels::of(El).place_and_date(Place::Brussels, Date::constant(2011, 3, 25));
        assert_eq!(el, "Βρυξέλλες, 25 Μαρτίου 2011");
        let fi = Labels::of(Fi).place_and_date(Place::Luxembourg, Date::constant(2015, 5, 12));
        assert_eq!(fi, "Luxemburg, 12. toukokuuta 2015");

        let kinds = [
            (En, "NOTE"),
            (De, "VERMERK"),
            (Fi, "ILMOITUS"),
            (Pl, "NOTA"),
            (Pt, "NOTA"),
            (Sk, "POZNÁMKA"),
        ];
        for (language, expected) in kinds {
            assert_eq!(
                Labels::of(language).kind(language, NoteKind::Note),
                Ok(expected)
            );
        }
        assert_eq!(
            Labels::of(De).kind(De, NoteKind::IaItemNote),
            Ok("I/A-PUNKT-VERMERK")
        );
        assert_eq!(
            Labels::of(De).kind(De, NoteKind::CoverNote),
            Ok("ÜBERMITTLUNGSVERMERK")
        );
        assert_eq!(
            Labels::of(Da).kind(Da, NoteKind::CoverNote),
            Ok("FØLGESKRIVELSE")
        );
        assert_eq!(Labels::of(Sv).kind(Sv, NoteKind::CoverNote), Ok("FÖLJENOT"));

        let routing = |l: Language| {
            let r = &Labels::of(l).labels;
            [&r.from, &r.to, &r.subject].map(|v| v.text.clone())
        };
        assert_eq!(routing(En), ["From:", "To:", "Subject:"]);
        assert_eq!(routing(De), ["Absender:", "Empfänger:", "Betr.:"]);
        assert_eq!(routing(Da), ["fra:", "til:", "Vedr.:"]);
        assert_eq!(routing(Fi), ["Lähettäjä:", "Vastaanottaja:", "Asia:"]);
        assert_eq!(routing(Pl), ["Od:", "Do:", "Dotyczy:"]);
        assert_eq!(routing(Pt), ["de:", "para:", "Assunto:"]);
        assert_eq!(routing(Sk), ["Od:", "Komu:", "Predmet:"]);
        assert_eq!(routing(Sv), ["från:", "till:", "Ärende:"]);
        assert_eq!(Labels::of(De).labels.previous.text, "Nr. Vordok.:");
        assert_eq!(Labels::of(Pt).labels.previous.text, "n.º doc. ant.:");
        assert_eq!(Labels::of(Pl).labels.previous.text, "Nr poprz. dok.:");
        assert_eq!(
            Labels::of(Fi).labels.commission_doc.text,
            "Kom:n asiak. nro:"
        );

        let institution = |l: Language| {
            let i = &Labels::of(l).institution;
            format!("{} {}", i.line1.text, i.line2.text)
        };
        assert_eq!(institution(En), "Council of the European Union");
        assert_eq!(institution(De), "Rat der Europäischen Union");
        assert_eq!(institution(Cs), "Rada Evropské unie");
        assert_eq!(institution(Da), "Rådet for Den Europæiske Union");
        assert_eq!(institution(El), "Συμβούλιο της Ευρωπαϊκής Ένωσης");
        assert_eq!(institution(Es), "Consejo de la Unión Europea");
        assert_eq!(institution(Fi), "Euroopan unionin neuvosto");
        assert_eq!(institution(Fr), "Conseil de l'Union européenne");
        assert_eq!(institution(It), "Consiglio dell'Unione europea");
        assert_eq!(institution(Pl), "Rada Unii Europejskiej");
        assert_eq!(institution(Pt), "Conselho da União Europeia");
        assert_eq!(institution(Sk), "Rada Európskej únie");
        assert_eq!(institution(Sv), "Europeiska unionens råd");
    }

    /// The December 2026 addendum of COUNCIL-LABELS.md: Latvian and Dutch values seen in
    /// Council documents, and dates from the style guide and EUR-Lex for eight languages.
    #[test]
    fn values_of_the_december_2026_addendum() {
        use Language::*;
        let routing = |l: Language| {
            let r = &Labels::of(l).labels;
            [&r.from, &r.to, &r.subject].map(|v| (v.text.as_str(), v.confidence))
        };
        use Confidence::{Guess, Likely, Seen};
        assert_eq!(
            routing(Lv),
            [
                ("Sūtītājs:", Seen),
                ("Saņēmējs:", Likely),
                ("Temats:", Seen)
            ]
        );
        assert_eq!(
            routing(Nl),
            [("van:", Seen), ("aan:", Seen), ("Betreft:", Seen)]
        );
        let nl = &Labels::of(Nl).labels;
        assert_eq!(nl.previous.text, "nr. vorig doc.:");
        assert_eq!(nl.commission_doc.text, "nr. Comv.:");
        assert_eq!(nl.commission_doc.source, "ST 12842/00, 9474/04");
        for (language, cover) in [(Lv, "PAVADVĒSTULE"), (Nl, "BEGELEIDENDE NOTA")] {
            let labels = Labels::of(language);
            assert_eq!(labels.kind(language, NoteKind::CoverNote), Ok(cover));
            assert_eq!(labels.kinds["cover-note"].confidence, Seen);
        }
        assert_eq!(Labels::of(Lv).institution.line1.confidence, Seen);

        let dates = [
            (Lv, (2019, 6, 20), "Briselē, 2019. gada 20. jūnijā"),
            (Nl, (2008, 2, 5), "Brussel, 5 februari 2008"),
            (Sl, (2006, 9, 15), "Bruselj, 15. septembra 2006"),
            (Bg, (2012, 11, 7), "Брюксел, 7 ноември 2012 г."),
            (Hr, (2010, 5, 18), "Bruxelles, 18. svibnja 2010."),
            (Ro, (2010, 2, 24), "Bruxelles, 24 februarie 2010"),
            (Et, (2018, 5, 15), "Brüssel, 15. mai 2018"),
            (Lt, (2008, 11, 10), "Briuselis, 2008 m. lapkričio 10 d."),
            (Mt, (2017, 3, 23), "Brussell, 23 ta' Marzu 2017"),
        ];
        for (language, (y, m, d), expected) in dates {
            let labels = Labels::of(language);
            let date = Date::new(y, m, d).unwrap();
            assert_eq!(labels.place_and_date(Place::Brussels, date), expected);
            assert_ne!(labels.date.pattern.confidence, Guess, "{language}");
            assert!(!labels.date.pattern.source.is_empty(), "{language}");
            assert_ne!(labels.months.confidence, Guess, "{language}");
        }
        let institution = |l: Language| {
            let i = &Labels::of(l).institution;
            (
                format!("{} {}", i.line1.text, i.line2.text),
                i.line1.confidence,
            )
        };
        assert_eq!(
            institution(Mt),
            ("Il-Kunsill tal- Unjoni Ewropea".to_owned(), Likely)
        );
        assert_eq!(
            institution(Ga),
            ("Comhairle an Aontais Eorpaigh".to_owned(), Likely)
        );
        assert_eq!(Labels::of(Ga).places.brussels.text, "An Bhruiséil");

        // Still without a source: the kind word (except in Latvian), so that
        // `grep -l guess labels/` keeps pointing a native reader at them.
        for language in [Bg, Hr, Ro, Et, Lt, Mt, Ga, Sl, Nl] {
            assert_eq!(Labels::of(language).kinds["note"].confidence, Guess);
        }
        assert_eq!(Labels::of(Lv).kinds["note"].confidence, Likely);
    }

    #[test]
    fn seen_values_are_marked_seen_with_a_source() {
        let en = Labels::of(Language::En);
        assert_eq!(en.labels.from.confidence, Confidence::Seen);
        assert_eq!(en.labels.from.source, "[1,2]");
        assert_eq!(en.labels.commission_doc.confidence, Confidence::Guess);
        assert_eq!(Labels::of(Language::Sk).months.confidence, Confidence::Seen);
    }
}
