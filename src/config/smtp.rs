//! `mail.smtp_url`, parsed by us rather than by lettre (once, at load) so that the protection of the
//! connection is decided here: `smtp://` requires STARTTLS unless the URL says otherwise,
//! `smtps://` is TLS from the first byte, and credentials never travel in plain text.
//!
//! | URL | connection |
//! |---|---|
//! | `smtp://host:587` | STARTTLS required: a server that does not offer it is not used |
//! | `smtp://host:25?tls=opportunistic` | STARTTLS when offered, else plain text |
//! | `smtp://host:25?tls=none` | plain text |
//! | `smtps://user:pass@host:465` | implicit TLS |
//!
//! Credentials are refused with `tls=opportunistic` (an attacker on the path can strip the
//! STARTTLS offer) and with `tls=none`.

use percent_encoding::percent_decode_str;

/// Why `mail.smtp_url` cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SmtpUrlError {
    #[error("`{url}` is not a URL such as smtp://relay.example:587: {reason}")]
    NotUrl { url: String, reason: String },
    #[error("`{0}://` is neither smtp:// nor smtps://")]
    Scheme(String),
    #[error("names no host")]
    NoHost,
    #[error("`tls={0}` is not \"required\", \"opportunistic\" or \"none\"")]
    TlsMode(String),
    #[error("`?tls=` applies to smtp:// only; smtps:// is always TLS")]
    TlsOnSmtps,
    #[error(
        "credentials over plain text: with `tls={0}` the password could cross the network \
         unencrypted; use smtp://…:587 (STARTTLS required) or smtps://"
    )]
    PlainCredentials(&'static str),
    #[error("the user name or password is not valid UTF-8 once percent-decoded")]
    Encoding,
}

/// How the connection to the relay is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// `smtps://`: TLS from the first byte.
    Implicit,
    /// `smtp://` (or `?tls=required`): STARTTLS, or no message is sent.
    Required,
    /// `?tls=opportunistic`: STARTTLS when offered.
    Opportunistic,
    /// `?tls=none`: plain text.
    None,
}

impl TlsMode {
    fn name(self) -> &'static str {
        match self {
            Self::Implicit => "implicit",
            Self::Required => "required",
            Self::Opportunistic => "opportunistic",
            Self::None => "none",
        }
    }
}

/// `mail.smtp_url`, understood.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpUrl {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    /// User and password, percent-decoded.
    pub credentials: Option<(String, String)>,
}

impl std::fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpUrl")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("credentials", &self.credentials.as_ref().map(|_| "***"))
            .finish()
    }
}

impl std::str::FromStr for SmtpUrl {
    type Err = SmtpUrlError;

    fn from_str(text: &str) -> Result<Self, SmtpUrlError> {
        Self::parse(text)
    }
}

impl SmtpUrl {
    pub fn parse(text: &str) -> Result<Self, SmtpUrlError> {
        let url = url::Url::parse(text).map_err(|e| SmtpUrlError::NotUrl {
            url: without_credentials(text),
            reason: e.to_string(),
        })?;
        let asked = url
            .query_pairs()
            .find(|(k, _)| k == "tls")
            .map(|(_, v)| v.into_owned());
        let (tls, default_port) = match (url.scheme(), asked.as_deref()) {
            ("smtps", None) => (TlsMode::Implicit, 465),
            ("smtps", Some(_)) => return Err(SmtpUrlError::TlsOnSmtps),
            ("smtp", None | Some("required")) => (TlsMode::Required, 587),
            ("smtp", Some("opportunistic")) => (TlsMode::Opportunistic, 25),
            ("smtp", Some("none")) => (TlsMode::None, 25),
            ("smtp", Some(other)) => return Err(SmtpUrlError::TlsMode(other.to_owned())),
            (scheme, _) => return Err(SmtpUrlError::Scheme(scheme.to_owned())),
        };
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or(SmtpUrlError::NoHost)?
            .trim_matches(['[', ']'])
            .to_owned();
        let decode = |s: &str| {
            percent_decode_str(s)
                .decode_utf8()
                .map(|s| s.into_owned())
                .map_err(|_| SmtpUrlError::Encoding)
        };
        let credentials = match (url.username(), url.password()) {
            ("", None) => None,
            (user, password) => Some((decode(user)?, decode(password.unwrap_or_default())?)),
        };
        if credentials.is_some() && matches!(tls, TlsMode::Opportunistic | TlsMode::None) {
            return Err(SmtpUrlError::PlainCredentials(tls.name()));
        }
        Ok(Self {
            port: url.port().unwrap_or(default_port),
            host,
            tls,
            credentials,
        })
    }
}

/// A URL that did not parse, as an error may repeat it: what follows its last `@`, the
/// host. Without an `@`, `smtps://user:secret` reads as a host and a port, so whatever
/// follows the first `:` of the authority is left out as well.
fn without_credentials(text: &str) -> String {
    if let Some((_, host)) = text.rsplit_once('@') {
        return host.to_owned();
    }
    let authority = text.find("://").map_or(0, |i| i + 3);
    match text[authority..].find(':') {
        Some(colon) => format!("{}…", &text[..authority + colon + 1]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_requires_starttls_unless_the_url_says_otherwise() {
        let table = [
            ("smtp://relay.example", TlsMode::Required, 587),
            ("smtp://relay.example:2525", TlsMode::Required, 2525),
            ("smtp://relay.example?tls=required", TlsMode::Required, 587),
            (
                "smtp://relay.example:25?tls=opportunistic",
                TlsMode::Opportunistic,
                25,
            ),
            ("smtp://127.0.0.1:2525?tls=none", TlsMode::None, 2525),
            ("smtps://relay.example", TlsMode::Implicit, 465),
        ];
        for (text, tls, port) in table {
            let url = SmtpUrl::parse(text).unwrap();
            assert_eq!((url.tls, url.port), (tls, port), "{text}");
        }
    }

    #[test]
    fn credentials_are_decoded_and_never_sent_in_plain_text() {
        let url = SmtpUrl::parse("smtps://notes%40x.example:p%2Fss@relay.example:465").unwrap();
        assert_eq!(
            url.credentials,
            Some(("notes@x.example".to_owned(), "p/ss".to_owned()))
        );
        assert!(!format!("{url:?}").contains("p/ss"));
        let url = SmtpUrl::parse("smtp://u:pw@relay.example:587").unwrap();
        assert_eq!(url.tls, TlsMode::Required);
        for plain in [
            "smtp://u:pw@relay.example:25?tls=none",
            "smtp://u:pw@relay.example:25?tls=opportunistic",
        ] {
            let e = SmtpUrl::parse(plain).unwrap_err();
            assert!(
                e.to_string().starts_with("credentials over plain text"),
                "{e}"
            );
        }
    }

    #[test]
    fn bad_urls_say_why_without_the_password() {
        assert_eq!(
            SmtpUrl::parse("smtp://relay.example?tls=maybe"),
            Err(SmtpUrlError::TlsMode("maybe".to_owned()))
        );
        assert_eq!(
            SmtpUrl::parse("smtps://relay.example?tls=none"),
            Err(SmtpUrlError::TlsOnSmtps)
        );
        assert_eq!(
            SmtpUrl::parse("http://relay.example"),
            Err(SmtpUrlError::Scheme("http".to_owned()))
        );
        let e = SmtpUrl::parse("smtp://u:hunter2@relay example").unwrap_err();
        assert!(!e.to_string().contains("hunter2"), "{e}");
    }
}
