//! The 24 official languages of the European Union, as ISO 639-1 codes in lower case.

use std::fmt;
use std::str::FromStr;

macro_rules! languages {
    ($($variant:ident = $code:literal, $name:literal;)*) => {
        /// An official language of the Union; its code is printed in lower case in specs and
        /// `(OR. fr)`, upper case in footers.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Language { $($variant),* }

        impl Language {
            pub const ALL: &[Language] = &[$(Language::$variant),*];

            /// The ISO 639-1 code in lower case: `en`, `fr`, `el`.
            pub fn code(self) -> &'static str {
                match self { $(Language::$variant => $code),* }
            }

            /// The English name, for messages.
            pub fn english_name(self) -> &'static str {
                match self { $(Language::$variant => $name),* }
            }
        }
    };
}

languages! {
    Bg = "bg", "Bulgarian";
    Cs = "cs", "Czech";
    Da = "da", "Danish";
    De = "de", "German";
    El = "el", "Greek";
    En = "en", "English";
    Es = "es", "Spanish";
    Et = "et", "Estonian";
    Fi = "fi", "Finnish";
    Fr = "fr", "French";
    Ga = "ga", "Irish";
    Hr = "hr", "Croatian";
    Hu = "hu", "Hungarian";
    It = "it", "Italian";
    Lt = "lt", "Lithuanian";
    Lv = "lv", "Latvian";
    Mt = "mt", "Maltese";
    Nl = "nl", "Dutch";
    Pl = "pl", "Polish";
    Pt = "pt", "Portuguese";
    Ro = "ro", "Romanian";
    Sk = "sk", "Slovak";
    Sl = "sl", "Slovenian";
    Sv = "sv", "Swedish";
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The input is not one of the 24 official language codes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an official EU language code; expected one of {codes}", codes = all_codes())]
pub struct UnknownLanguage(String);

fn all_codes() -> String {
    Language::ALL
        .iter()
        .map(|l| l.code())
        .collect::<Vec<_>>()
        .join(", ")
}

impl FromStr for Language {
    type Err = UnknownLanguage;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        Language::ALL
            .iter()
            .copied()
            .find(|l| l.code() == input)
            .ok_or_else(|| UnknownLanguage(input.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn there_are_24_languages_and_each_code_roundtrips() {
        assert_eq!(Language::ALL.len(), 24);
        for l in Language::ALL {
            assert_eq!(l.code().parse::<Language>(), Ok(*l));
        }
    }

    #[test]
    fn greek_is_el_and_upper_case_is_refused() {
        assert_eq!("el".parse::<Language>(), Ok(Language::El));
        assert!("gr".parse::<Language>().is_err());
        let e = "EN".parse::<Language>().unwrap_err().to_string();
        assert!(e.contains("`EN`") && e.contains("en, es"), "{e}");
    }
}
