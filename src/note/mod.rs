//! Notes: what a drafter specifies ([`NoteSpec`]) and what the registry keeps ([`Note`]).

mod language;
mod marking;
mod spec;

use jiff::Timestamp;

pub use language::{Language, UnknownLanguage};
pub use marking::{Marking, MarkingError};
pub(crate) use spec::unit;
pub use spec::{Content, NoteSpec, SpecError, StandaloneSpec, Vocabulary};

use crate::named_enum::named_enum;
use crate::reference::{DistributionCode, DocNumber};
use crate::workflow::{NoteState, Review};

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
    /// The current version's spec, parsed when the row was read.
    pub spec: NoteSpec,
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
        &self.spec.subject
    }

    /// The Secretariat unit the current version is of: whose drafters act on the note.
    pub fn unit(&self) -> &str {
        &self.spec.unit
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
