//! DKIM: when `mail.dkim.*` is set, every message is signed (lettre's signer), so that
//! delegations' servers can tell a note from the Secretariat from a forgery. The key file is
//! read by [`crate::config::load_dkim_key`].

use lettre::message::dkim::{DkimCanonicalization, DkimCanonicalizationType, DkimConfig};
use lettre::message::header::HeaderName;

use super::MailError;
use crate::config::{DkimSettings, load_dkim_key};

/// The headers signed. Content-Type is not among them: lettre writes it with the body.
const SIGNED: [&str; 6] = [
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "MIME-Version",
];

/// The signing configuration when `mail.dkim.*` is set; `None` when none of its keys is.
/// Some but not all of them is an error: mail must not go out unsigned by mistake.
pub(super) fn signer(settings: &DkimSettings) -> Result<Option<DkimConfig>, MailError> {
    let (domain, selector, key_file) =
        match (&settings.domain, &settings.selector, &settings.key_file) {
            (None, None, None) => return Ok(None),
            (Some(d), Some(s), Some(k)) => (d, s, k),
            _ => {
                return Err(MailError::Config {
                    key: "dkim",
                    message: "domain, selector and key_file are set together, or none of them"
                        .to_owned(),
                });
            }
        };
    let key = load_dkim_key(key_file).map_err(|e| MailError::Config {
        key: "dkim.key_file",
        message: e.to_string(),
    })?;
    let headers = SIGNED
        .iter()
        .map(|h| HeaderName::new_from_ascii_str(h))
        .collect();
    // Relaxed both ways: relays that re-wrap headers or trailing spaces keep it valid.
    let canonicalization = DkimCanonicalization {
        header: DkimCanonicalizationType::Relaxed,
        body: DkimCanonicalizationType::Relaxed,
    };
    Ok(Some(DkimConfig::new(
        selector.clone(),
        domain.clone(),
        key,
        headers,
        canonicalization,
    )))
}
