//! What the files named by `mail.tls_ca_file`, `mail.dkim.key_file` and `seal.pkcs12`
//! hold, read and checked here so that `notesd check` names a bad file before `serve`
//! needs it; the mailer and the service read them through the same functions. The DKIM
//! key is an RSA key in PKCS#1 PEM (`-----BEGIN RSA PRIVATE KEY-----`) or an Ed25519 key in
//! PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`, as `openssl genpkey -algorithm ed25519`
//! writes). The seal's file is PKCS#12, its password in the environment.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use lettre::message::dkim::{DkimSigningAlgorithm, DkimSigningKey};
use lettre::transport::smtp::client::Certificate;

use super::SealSettings;
use crate::seal::Seal;

/// PKCS#8 of an Ed25519 key up to its 32-byte seed: the algorithm (OID 1.3.101.112) and an
/// OCTET STRING in an OCTET STRING (RFC 8410).
const ED25519_PREFIX: [u8; 11] = [
    0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

/// `mail.dkim.key_file` cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct DkimKeyError {
    pub path: String,
    pub reason: String,
}

/// Reads and checks the signing key; `check` calls it too.
pub fn load_dkim_key(path: &Path) -> Result<DkimSigningKey, DkimKeyError> {
    let fail = |reason: String| DkimKeyError {
        path: path.display().to_string(),
        reason,
    };
    let pem = std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?;
    let (label, der) = pem_block(&pem)
        .ok_or_else(|| fail("holds no PEM block (-----BEGIN … PRIVATE KEY-----)".to_owned()))?;
    match label {
        "RSA PRIVATE KEY" => DkimSigningKey::new(&pem, DkimSigningAlgorithm::Rsa)
            .map_err(|e| fail(format!("not a readable RSA key: {e}"))),
        "PRIVATE KEY" => {
            let seed = ed25519_seed(&der).ok_or_else(|| {
                fail(
                    "a PKCS#8 key that is not Ed25519; an RSA key must be PKCS#1 \
                     (`openssl pkey -in KEY -traditional` converts it)"
                        .to_owned(),
                )
            })?;
            DkimSigningKey::new(&STANDARD.encode(seed), DkimSigningAlgorithm::Ed25519)
                .map_err(|e| fail(format!("not a readable Ed25519 key: {e}")))
        }
        other => Err(fail(format!(
            "a `{other}` block, not an RSA (PKCS#1) or Ed25519 (PKCS#8) private key"
        ))),
    }
}

/// `seal.pkcs12` cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct SealFileError {
    pub path: String,
    pub reason: String,
}

/// The seal of `seal.pkcs12`, opened with the password in the variable `seal.password_env`
/// names and valid now; `None` when no file is set.
pub fn load_seal(settings: &SealSettings) -> Result<Option<Seal>, SealFileError> {
    let Some(path) = &settings.pkcs12 else {
        return Ok(None);
    };
    let fail = |reason: String| SealFileError {
        path: path.display().to_string(),
        reason,
    };
    let bytes = std::fs::read(path).map_err(|e| fail(e.to_string()))?;
    let variable = &settings.password_env;
    let password = std::env::var(variable).map_err(|_| {
        fail(format!(
            "its password is read from the environment variable {variable} \
             (seal.password_env), which is not set"
        ))
    })?;
    Seal::from_pkcs12(&bytes, &password, jiff::Timestamp::now())
        .map(Some)
        .map_err(|e| fail(e.to_string()))
}

/// The PEM certificates of `mail.tls_ca_file`, trusted besides the system's roots; `check`
/// reads them too.
pub fn read_ca(path: &Path) -> Result<Vec<u8>, CaFileError> {
    let fail = |reason: String| CaFileError {
        path: path.display().to_string(),
        reason,
    };
    let pem = std::fs::read(path).map_err(|e| fail(e.to_string()))?;
    // lettre accepts a file without any certificate, which would trust nothing more.
    if !String::from_utf8_lossy(&pem).contains("-----BEGIN CERTIFICATE-----") {
        return Err(fail(
            "holds no PEM certificate (-----BEGIN CERTIFICATE-----)".to_owned(),
        ));
    }
    Certificate::from_pem(&pem).map_err(|e| fail(e.to_string()))?;
    Ok(pem)
}

/// `mail.tls_ca_file` cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct CaFileError {
    pub path: String,
    pub reason: String,
}

/// The label and the decoded bytes of the first PEM block.
fn pem_block(pem: &str) -> Option<(&str, Vec<u8>)> {
    let start = pem.find("-----BEGIN ")?;
    let rest = &pem[start + 11..];
    let label_end = rest.find("-----")?;
    let label = &rest[..label_end];
    let body = &rest[label_end + 5..];
    let end = body.find("-----END ")?;
    let text: String = body[..end].split_whitespace().collect();
    STANDARD.decode(text).ok().map(|der| (label, der))
}

/// The seed of a PKCS#8 (v1 or v2) Ed25519 private key.
fn ed25519_seed(der: &[u8]) -> Option<&[u8]> {
    let version_ok = der
        .get(2..5)
        .is_some_and(|v| v == [2, 1, 0] || v == [2, 1, 1]);
    (der.first() == Some(&0x30) && version_ok && der.get(5..16) == Some(&ED25519_PREFIX[..]))
        .then(|| der.get(16..48))
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key_file(text: &str) -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), text).unwrap();
        file
    }

    #[test]
    fn an_ed25519_pkcs8_key_loads_and_other_blocks_are_named() {
        // RFC 8410, section 10.3.
        let ed = key_file(
            "-----BEGIN PRIVATE KEY-----\n\
             MC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n\
             -----END PRIVATE KEY-----\n",
        );
        assert!(load_dkim_key(ed.path()).is_ok());
        let cert = key_file("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
        let e = load_dkim_key(cert.path()).unwrap_err().to_string();
        assert!(e.contains("`CERTIFICATE` block"), "{e}");
        let junk = key_file("not a key");
        let e = load_dkim_key(junk.path()).unwrap_err().to_string();
        assert!(e.contains("no PEM block"), "{e}");
        let e = load_dkim_key(Path::new("/nonexistent/dkim.pem"))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("/nonexistent/dkim.pem: "), "{e}");
    }
}
