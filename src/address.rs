//! Email addresses as a type, so that a list, an approver or a drafter's address that got
//! past configuration or the API is known to be usable in a `To:` header: built on
//! `lettre::Address`, so the mailer never refuses an address we accepted (it would count
//! that as a transient failure and retry it for days).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A single mailbox `local@domain`, without a display name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EmailAddress(lettre::Address);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an email address of the form name@domain.example")]
pub struct InvalidEmailAddress(String);

impl EmailAddress {
    pub fn as_str(&self) -> &str {
        self.0.as_ref()
    }
}

impl FromStr for EmailAddress {
    type Err = InvalidEmailAddress;

    /// A deliberately plain check: one `@`, a non-empty local part, a dotted domain, and no
    /// characters that could break a header (spaces, angle brackets, commas, controls);
    /// then lettre's own (RFC 5322 dot-atoms, domain labels), which is stricter in places.
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let bad = || InvalidEmailAddress(input.to_owned());
        let (local, domain) = input.split_once('@').ok_or_else(bad)?;
        let forbidden =
            |c: char| c.is_whitespace() || c.is_control() || "<>,;:\"()[]\\@".contains(c);
        let labels_ok = domain
            .split('.')
            .all(|l| !l.is_empty() && l.chars().all(|c| c.is_alphanumeric() || c == '-'));
        if local.is_empty()
            || input.len() > 254
            || local.chars().any(forbidden)
            || !domain.contains('.')
            || !labels_ok
        {
            return Err(bad());
        }
        input.parse().map(Self).map_err(|_| bad())
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<EmailAddress> for lettre::Address {
    fn from(address: EmailAddress) -> Self {
        address.0
    }
}

impl Serialize for EmailAddress {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for EmailAddress {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_addresses_are_accepted() {
        for ok in [
            "be@delegations.example",
            "first.last+notes@consilium.europa.eu",
            "x@a-b.c",
        ] {
            assert_eq!(ok.parse::<EmailAddress>().unwrap().as_str(), ok);
        }
    }

    #[test]
    fn header_breaking_input_is_refused() {
        for bad in [
            "",
            "nobody",
            "@example.org",
            "a@localhost",
            "a b@example.org",
            "a@example..org",
            "a@b@example.org",
            "Name <a@example.org>",
            "a@example.org\r\nBcc: x@y.z",
            "a,b@example.org",
        ] {
            assert!(bad.parse::<EmailAddress>().is_err(), "{bad:?}");
        }
    }

    /// These pass the plain check above but not lettre's, which would refuse them when the
    /// message is built: refused here, where the key or field can be named.
    #[test]
    fn what_lettre_refuses_is_refused() {
        for bad in [
            "a..b@example.org",
            ".a@example.org",
            "a.@example.org",
            "a@-example.org",
            "a@example-.org",
        ] {
            assert!(
                bad.parse::<lettre::Address>().is_err(),
                "lettre takes {bad:?}"
            );
            assert!(bad.parse::<EmailAddress>().is_err(), "{bad:?}");
        }
        for ok in [
            "élodie.martin@council.example",
            "o'brien@delegations.example",
        ] {
            assert!(ok.parse::<lettre::Address>().is_ok(), "{ok:?}");
            assert_eq!(ok.parse::<EmailAddress>().unwrap().as_str(), ok);
        }
    }
}
