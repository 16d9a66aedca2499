//! Distribution markings. notesd prints `LIMITE`; classified markings belong to accredited
//! systems and are refused, so that a classified text is never stored or mailed from here.

use std::fmt;
use std::str::FromStr;

/// A marking printed after the number and in the footer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Marking {
    /// Not a classification: the document goes to delegations, never to public lists.
    Limite,
}

impl Marking {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Limite => "LIMITE",
        }
    }
}

impl fmt::Display for Marking {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MarkingError {
    #[error(
        "`{0}` is an EU classified marking; classified documents must be produced and \
         distributed on an accredited system, not by notesd"
    )]
    Classified(String),
    #[error("`{0}` is not a marking notesd knows; the only one it prints is LIMITE")]
    Unknown(String),
}

/// Words found in every EU classification level, in English and French
/// (RESTREINT UE/EU RESTRICTED, CONFIDENTIEL UE/EU CONFIDENTIAL, SECRET UE/EU SECRET,
/// TRÈS SECRET UE/EU TOP SECRET).
const CLASSIFIED_WORDS: &[&str] = &[
    "RESTREINT",
    "RESTRICTED",
    "CONFIDENTIEL",
    "CONFIDENTIAL",
    "SECRET",
];

impl FromStr for Marking {
    type Err = MarkingError;

    /// `LIMITE` in any case; anything that names a classification level is refused as such.
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let upper = input.trim().to_uppercase();
        if upper == "LIMITE" {
            Ok(Self::Limite)
        } else if CLASSIFIED_WORDS.iter().any(|w| upper.contains(w)) {
            Err(MarkingError::Classified(input.to_owned()))
        } else {
            Err(MarkingError::Unknown(input.to_owned()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limite_is_accepted_in_any_case() {
        assert_eq!("LIMITE".parse(), Ok(Marking::Limite));
        assert_eq!("limite".parse(), Ok(Marking::Limite));
        assert_eq!(Marking::Limite.to_string(), "LIMITE");
    }

    #[test]
    fn classified_markings_are_refused_with_the_reason() {
        for m in [
            "RESTREINT UE/EU RESTRICTED",
            "EU RESTRICTED",
            "CONFIDENTIEL UE/EU CONFIDENTIAL",
            "SECRET UE/EU SECRET",
            "TRÈS SECRET UE/EU TOP SECRET",
            "eu top secret",
        ] {
            let e = m.parse::<Marking>().unwrap_err();
            assert!(matches!(e, MarkingError::Classified(_)), "{m}");
            assert!(e.to_string().contains("accredited system"));
        }
        assert!(matches!(
            "PUBLIC".parse::<Marking>(),
            Err(MarkingError::Unknown(_))
        ));
    }
}
