//! The typed values of the configuration: durations and sizes as written in it, the links'
//! base URL, the sender, the closed choices (`mail.transport`, `log.format`), and `Secret`.
//! Each parses once, when the configuration is loaded.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use lettre::message::Mailbox;
use serde::{Deserialize, Deserializer};

use crate::address::EmailAddress;
use crate::named_enum::named_enum;

/// The longest duration any key may hold: enough for any real setting, and far enough
/// from the calendar's end that times computed from it cannot overflow.
pub const MAX_DURATION: Duration = Duration::from_secs(3650 * 86_400);

/// A value that must never appear in logs or `Debug` output (URLs with passwords).
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Self(s)
    }
}

named_enum!(
    /// `mail.transport`: `.eml` files in `mail.dir`, or the relay of `mail.smtp_url`.
    MailTransport, "mail transport" { File = "file", Smtp = "smtp" }
);

named_enum!(
    /// `log.format`: lines for a terminal, or JSON for log collectors.
    LogFormat, "log format" { Human = "human", Json = "json" }
);

/// `http.public_url`: the base of every link in every email, an http:// or https:// URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl(url::Url);

impl PublicUrl {
    /// The host when links would cross a network in clear text: plain `http://` to a host
    /// that is not loopback (`localhost`, 127.0.0.0/8, `[::1]`).
    pub fn remote_plain_http_host(&self) -> Option<String> {
        if self.0.scheme() != "http" {
            return None;
        }
        let loopback = match self.0.host()? {
            url::Host::Domain(name) => name.eq_ignore_ascii_case("localhost"),
            url::Host::Ipv4(ip) => ip.is_loopback(),
            url::Host::Ipv6(ip) => ip.is_loopback(),
        };
        (!loopback).then(|| self.0.host_str().unwrap_or_default().to_owned())
    }
}

impl FromStr for PublicUrl {
    type Err = String;

    fn from_str(input: &str) -> Result<Self, String> {
        let err = || format!("`{input}` is not an http:// or https:// URL");
        // The URL parser would drop surrounding whitespace silently.
        if input.contains(char::is_whitespace) {
            return Err(err());
        }
        let url = url::Url::parse(input).map_err(|_| err())?;
        if !matches!(url.scheme(), "http" | "https") || !url.has_host() {
            return Err(err());
        }
        Ok(Self(url))
    }
}

/// Without a trailing `/`: links are written `{public_url}/approve/…`.
impl fmt::Display for PublicUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_str().trim_end_matches('/'))
    }
}

/// `mail.from`: `Name <address>` or an address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sender {
    pub name: Option<String>,
    pub address: EmailAddress,
}

impl Sender {
    pub fn mailbox(&self) -> Mailbox {
        Mailbox::new(self.name.clone(), self.address.clone().into())
    }
}

impl FromStr for Sender {
    type Err = String;

    fn from_str(input: &str) -> Result<Self, String> {
        let err = || format!("`{input}` is not `Name <address>` or an address");
        let mailbox: Mailbox = input.parse().map_err(|_| err())?;
        let address = AsRef::<str>::as_ref(&mailbox.email)
            .parse()
            .map_err(|_| err())?;
        Ok(Self {
            name: mailbox.name,
            address,
        })
    }
}

/// Parses `90s`, `30m`, `72h`, `7d`.
pub fn parse_duration(input: &str) -> Result<Duration, String> {
    let err = || format!("`{input}` is not a duration such as 90s, 30m, 72h or 7d");
    let split = input.find(|c: char| !c.is_ascii_digit()).ok_or_else(err)?;
    let (number, unit) = input.split_at(split);
    let n: u64 = number.parse().map_err(|_| err())?;
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => return Err(err()),
    };
    n.checked_mul(seconds)
        .map(Duration::from_secs)
        .ok_or_else(err)
}

/// Parses `10MB`, `512KB`, `1GB` or a plain number of bytes (decimal units).
pub fn parse_size(input: &str) -> Result<u64, String> {
    let err = || format!("`{input}` is not a size such as 512KB or 10MB");
    let split = input
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(input.len());
    let (number, unit) = input.split_at(split);
    let n: u64 = number.parse().map_err(|_| err())?;
    let factor = match unit.trim() {
        "" | "B" => 1,
        "KB" => 1_000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        _ => return Err(err()),
    };
    n.checked_mul(factor).ok_or_else(err)
}

pub(super) fn duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    parse_duration(&String::deserialize(d)?).map_err(serde::de::Error::custom)
}

pub(super) fn size<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    parse_size(&String::deserialize(d)?).map_err(serde::de::Error::custom)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_sizes() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("7d"), Ok(Duration::from_secs(604_800)));
        for bad in ["", "10", "h", "1.5h", "-1s", "3 h", "99999999999999999999d"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_size("10MB"), Ok(10_000_000));
        assert_eq!(parse_size("512KB"), Ok(512_000));
        assert_eq!(parse_size("42"), Ok(42));
        assert!(parse_size("10MiB").is_err());
    }

    #[test]
    fn the_sender_is_a_name_and_one_of_our_addresses() {
        let s: Sender = "General Secretariat <notes@council.example>"
            .parse()
            .unwrap();
        assert_eq!(s.name.as_deref(), Some("General Secretariat"));
        assert_eq!(s.address.as_str(), "notes@council.example");
        assert!("notes@council.example".parse::<Sender>().is_ok());
        for bad in ["nobody", "Name <a..b@council.example>", "a@localhost"] {
            assert!(bad.parse::<Sender>().is_err(), "{bad}");
        }
    }

    #[test]
    fn public_urls_are_http_and_print_without_a_trailing_slash() {
        let url: PublicUrl = "https://notes.example/".parse().unwrap();
        assert_eq!(url.to_string(), "https://notes.example");
        for bad in [
            "ftp://x",
            "notes.example",
            " https://notes.example",
            "http://",
        ] {
            assert!(bad.parse::<PublicUrl>().is_err(), "{bad}");
        }
    }
}
