//! The desk's words in English and French, one strings file per language
//! (`templates/desk/strings.{en,fr}.toml`), and which one a request gets: the `lang`
//! chosen with the page's switch (kept in a cookie), else the browser's `Accept-Language`,
//! else English.

use std::sync::LazyLock;

use axum::http::HeaderMap;
use axum::http::header::{ACCEPT_LANGUAGE, COOKIE};
use serde_json::Value;

/// The cookie that keeps the language chosen with the switch.
pub const LANG_COOKIE: &str = "notesd_lang";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Fr,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Fr => "fr",
        }
    }

    pub fn other(self) -> Self {
        match self {
            Self::En => Self::Fr,
            Self::Fr => Self::En,
        }
    }

    fn of(code: &str) -> Option<Self> {
        let primary = code.trim().split(['-', '_']).next()?;
        if primary.eq_ignore_ascii_case("en") {
            Some(Self::En)
        } else if primary.eq_ignore_ascii_case("fr") {
            Some(Self::Fr)
        } else {
            None
        }
    }

    /// The language a request asks for, and whether it was chosen now with `?lang=`
    /// (which the answer then keeps in [`LANG_COOKIE`]).
    pub fn of_request(query: Option<&str>, headers: &HeaderMap) -> (Self, bool) {
        let asked = query
            .into_iter()
            .flat_map(|q| q.split('&'))
            .filter_map(|pair| pair.strip_prefix("lang="))
            .find_map(Self::of);
        if let Some(lang) = asked {
            return (lang, true);
        }
        let kept = cookie(headers, LANG_COOKIE).and_then(|v| Self::of(&v));
        let accepted = headers
            .get(ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .and_then(accepted);
        (kept.or(accepted).unwrap_or(Self::En), false)
    }

    /// Every string of this language, as the templates see them under `t`.
    pub fn strings(self) -> &'static Value {
        &STRINGS[self as usize]
    }
}

/// The first of English and French in `Accept-Language` by its weights.
fn accepted(header: &str) -> Option<Lang> {
    let mut best: Option<(f32, Lang)> = None;
    for item in header.split(',') {
        let mut parts = item.split(';');
        let Some(lang) = parts.next().and_then(Lang::of) else {
            continue;
        };
        let q = parts
            .find_map(|p| p.trim().strip_prefix("q="))
            .and_then(|q| q.parse::<f32>().ok())
            .unwrap_or(1.0);
        if q > 0.0 && best.is_none_or(|(b, _)| q > b) {
            best = Some((q, lang));
        }
    }
    best.map(|(_, lang)| lang)
}

/// The value of cookie `name` in a request.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

const SOURCES: [&str; 2] = [
    include_str!("../../../templates/desk/strings.en.toml"),
    include_str!("../../../templates/desk/strings.fr.toml"),
];

/// The strings files, parsed once. They are compiled in and checked by the tests below,
/// so a file that does not parse is a build that does not pass; it shows as empty
/// strings rather than a panic all the same.
static STRINGS: LazyLock<[Value; 2]> = LazyLock::new(|| {
    SOURCES.map(|source| {
        toml::from_str::<Value>(source).unwrap_or_else(|e| {
            tracing::error!(error = %e, "a desk strings file does not parse");
            Value::Object(serde_json::Map::new())
        })
    })
});

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn both_languages_have_every_string() {
        let keys = |source: &str| -> Vec<String> {
            let table: toml::Table = toml::from_str(source).unwrap();
            let mut keys: Vec<String> = table.keys().cloned().collect();
            keys.sort();
            keys
        };
        let (en, fr) = (keys(SOURCES[0]), keys(SOURCES[1]));
        assert!(en.len() > 50, "{en:?}");
        assert_eq!(en, fr);
        assert_eq!(Lang::Fr.strings()["sign_in"], "Se connecter");
    }

    #[test]
    fn the_switch_then_the_cookie_then_the_browser_decide() {
        let mut headers = HeaderMap::new();
        assert_eq!(Lang::of_request(None, &headers), (Lang::En, false));
        headers.insert(
            ACCEPT_LANGUAGE,
            HeaderValue::from_static("de-DE, fr-BE;q=0.8, en;q=0.5"),
        );
        assert_eq!(Lang::of_request(None, &headers), (Lang::Fr, false));
        headers.insert(COOKIE, HeaderValue::from_static("a=b; notesd_lang=en"));
        assert_eq!(Lang::of_request(None, &headers), (Lang::En, false));
        assert_eq!(
            Lang::of_request(Some("x=1&lang=fr"), &headers),
            (Lang::Fr, true)
        );
        assert_eq!(accepted("en;q=0, fr;q=0.1"), Some(Lang::Fr));
        assert_eq!(accepted("de"), None);
    }
}
