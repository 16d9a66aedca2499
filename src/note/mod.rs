//! Notes: what a drafter specifies ([`NoteSpec`]) and what the registry keeps ([`Note`]).

mod language;
mod marking;
mod spec;

use jiff::Timestamp;
use serde_json::Value;

pub use language::{Language, UnknownLanguage};
pub use marking::{Marking, MarkingError};
pub(crate) use spec::unit;
pub use spec::{Content, NoteSpec, SpecError, StandaloneSpec, Vocabulary};

use crate::reference::{DistributionCode, DocNumber};
use crate::workflow::{NoteState, Review};

/// Declares a closed set of names that appear in specs, with their parse error.
macro_rules! named_enum {
    ($(#[$doc:meta])* $name:ident, $what:literal { $($variant:ident = $text:literal),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),* }

        impl $name {
            pub const ALL: &[$name] = &[$($name::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),* }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = String;

            fn from_str(input: &str) -> Result<Self, Self::Err> {
                $name::ALL.iter().copied().find(|v| v.as_str() == input).ok_or_else(|| {
                    let names: Vec<_> = $name::ALL.iter().map(|v| v.as_str()).collect();
                    format!(concat!("unknown ", $what, " `{}`; expected one of {}"), input, names.join(", "))
                })
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <::std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                text.parse().map_err(::serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use named_enum;

named_enum! {
    /// The kind of document, printed centred and bold on the first page.
    NoteKind, "kind" {
        Note = "note",
        IaItemNote = "i-a-item-note",
        IItemNote = "i-item-note",
        CoverNote = "cover-note",
        OutcomeOfProceedings = "outcome-of-proceedings",
        InformationNote = "information-note",
    }
}

named_enum! {
    /// Where the note is dated: Luxembourg during the April, June and October sessions.
    Place, "place" {
        Brussels = "brussels",
        Luxembourg = "luxembourg",
    }
}

/// The registry's primary key for a note.
pub type NoteId = i64;

/// A registered note, as the registry keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct Note {
    pub id: NoteId,
    pub number: DocNumber,
    pub codes: Vec<DistributionCode>,
    pub state: NoteState,
    pub version: i64,
    /// The current version's spec in its wire form.
    pub spec: Value,
    pub created_by: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// The review under way, or the last one held; `None` before the first submission.
    pub review: Option<Review>,
    /// For a revision, the note it revises.
    pub previous: Option<NoteId>,
}

impl Note {
    /// The subject line of the current version.
    pub fn subject(&self) -> &str {
        self.spec
            .get("subject")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// `6762-22.pdf`, `6314-1-22-REV-1.pdf`: the number with its separators made safe, as
    /// the PDF is offered and attached.
    pub fn file_name(&self) -> String {
        format!("{}.pdf", self.number.to_string().replace(['/', ' '], "-"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_places_roundtrip_and_explain_errors() {
        for k in NoteKind::ALL {
            assert_eq!(k.as_str().parse::<NoteKind>(), Ok(*k));
        }
        assert_eq!("luxembourg".parse::<Place>(), Ok(Place::Luxembourg));
        let e = "Brussels".parse::<Place>().unwrap_err();
        assert!(e.contains("brussels, luxembourg"), "{e}");
    }
}
