//! The Presidency's electronic seal on issued notes, as PAdES baseline B-B: a detached CMS
//! signature (SHA-256, the signing certificate inside and named by ESS
//! signing-certificate-v2) over the whole file but the signature itself. It is added as an
//! incremental update (`update.rs`), so the bytes the renderer wrote, PDF/A-2b, stay as
//! they are in front of it. `check.rs` reads a seal back for verification;
//! `certificate.rs` makes a self-signed certificate to try it with.
//!
//! Bytes in, bytes out: no file, clock or environment (the PKCS#12 file is read by
//! `config::load_seal`, the time is passed in).

mod certificate;
mod check;
mod cms;
mod update;

use der::{Decode, Encode};
use jiff::Timestamp;
use p12_keystore::KeyStore;
use sha2::Sha256;
use x509_cert::Certificate;
use x509_cert::spki::{EncodePublicKey, SubjectPublicKeyInfoOwned};

pub use certificate::self_signed;
pub use check::{Inspection, inspect};

/// The sealing key and its certificate chain, signer first, as the PKCS#12 file holds them.
pub struct Seal {
    key: SealKey,
    chain: Vec<Certificate>,
    /// The signer's name (its certificate's subject), for logs and errors.
    subject: String,
    /// The signer certificate's DER: what a verification compares a seal's signer with.
    certificate: Vec<u8>,
    /// Bytes kept in the file for the CMS signature: measured on a trial signature.
    reserve: usize,
}

/// The two kinds of key seal certificates are issued for. One per process: the size
/// difference between them costs nothing.
#[allow(clippy::large_enum_variant)]
enum SealKey {
    Rsa(rsa::pkcs1v15::SigningKey<Sha256>),
    P256(p256::ecdsa::SigningKey),
}

/// What keeps a PDF from being sealed, or a PKCS#12 file from sealing.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("not a PKCS#12 file, or not its password ({0})")]
    Pkcs12(String),
    #[error("holds no private key with its certificate")]
    NoKey,
    #[error("holds a {0} key; a seal key is RSA or ECDSA P-256")]
    UnsupportedKey(String),
    #[error("its first certificate is not that of its private key")]
    KeyMismatch,
    #[error("the certificate of {subject} is valid from {from} to {until}, not on {at}")]
    NotValid {
        subject: String,
        from: String,
        until: String,
        at: String,
    },
    #[error("the certificate cannot be read: {0}")]
    Certificate(String),
    #[error("the PDF cannot take the seal: {0}")]
    Pdf(String),
    #[error("the signature cannot be made: {0}")]
    Signature(String),
}

impl Seal {
    /// The key and chain of a PKCS#12 file, checked to belong together and to be valid at
    /// `now`.
    pub fn from_pkcs12(bytes: &[u8], password: &str, now: Timestamp) -> Result<Self, SealError> {
        let store =
            KeyStore::from_pkcs12(bytes, password).map_err(|e| SealError::Pkcs12(e.to_string()))?;
        let (_, entry) = store.private_key_chain().ok_or(SealError::NoKey)?;
        let chain = entry
            .chain()
            .iter()
            .map(|c| Certificate::from_der(c.as_der()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| SealError::Certificate(e.to_string()))?;
        let signer = chain.first().ok_or(SealError::NoKey)?;
        let key = SealKey::from_pkcs8(entry.key())?;
        if key.public_key()? != signer.tbs_certificate.subject_public_key_info {
            return Err(SealError::KeyMismatch);
        }
        let subject = signer.tbs_certificate.subject.to_string();
        let certificate = signer
            .to_der()
            .map_err(|e| SealError::Certificate(e.to_string()))?;
        let mut seal = Self {
            key,
            chain,
            subject,
            certificate,
            reserve: 0,
        };
        seal.valid_at(now)?;
        seal.reserve = seal.sign(&[0; 32])?.len() + RESERVE_SLACK;
        Ok(seal)
    }

    /// The signer's name: the certificate's subject, as `CN=…`.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The signer certificate (DER).
    pub fn certificate(&self) -> &[u8] {
        &self.certificate
    }

    /// When the signer certificate expires: after it, nothing can be issued until the file
    /// is replaced.
    pub fn expires(&self) -> String {
        self.chain
            .first()
            .map(|c| c.tbs_certificate.validity.not_after.to_string())
            .unwrap_or_default()
    }

    /// `pdf` with the seal appended, dated `at`; refused if the certificate is not valid
    /// then.
    pub fn apply(&self, pdf: &[u8], at: Timestamp) -> Result<Vec<u8>, SealError> {
        self.valid_at(at)?;
        let mut sealed = update::with_signature_field(pdf, at, &self.subject, self.reserve)?;
        let digest = sealed.digest();
        let signature = self.sign(&digest)?;
        sealed.fill(&signature)?;
        Ok(sealed.into_bytes())
    }

    fn sign(&self, digest: &[u8]) -> Result<Vec<u8>, SealError> {
        let signer = self.chain.first().ok_or(SealError::NoKey)?;
        match &self.key {
            SealKey::Rsa(key) => {
                cms::signed_data::<_, rsa::pkcs1v15::Signature>(key, signer, &self.chain, digest)
            }
            SealKey::P256(key) => {
                cms::signed_data::<_, p256::ecdsa::DerSignature>(key, signer, &self.chain, digest)
            }
        }
    }

    fn valid_at(&self, at: Timestamp) -> Result<(), SealError> {
        let signer = self.chain.first().ok_or(SealError::NoKey)?;
        let validity = &signer.tbs_certificate.validity;
        let seconds = |t: &x509_cert::time::Time| {
            i64::try_from(t.to_unix_duration().as_secs()).unwrap_or(i64::MAX)
        };
        let from = seconds(&validity.not_before);
        let until = seconds(&validity.not_after);
        if (from..=until).contains(&at.as_second()) {
            return Ok(());
        }
        Err(SealError::NotValid {
            subject: self.subject.clone(),
            from: validity.not_before.to_string(),
            until: validity.not_after.to_string(),
            at: at.to_string(),
        })
    }
}

/// Room left over the trial signature's length: an ECDSA signature's DER varies by a few
/// bytes from one signature to the next.
const RESERVE_SLACK: usize = 16;

impl SealKey {
    /// The key of a PKCS#8 `PrivateKeyInfo`, by its algorithm.
    fn from_pkcs8(der: &[u8]) -> Result<Self, SealError> {
        use p256::pkcs8::DecodePrivateKey;
        let info = p256::pkcs8::PrivateKeyInfo::try_from(der)
            .map_err(|e| SealError::Pkcs12(format!("its private key: {e}")))?;
        let oid = info.algorithm.oid;
        if oid == RSA_ENCRYPTION {
            let key = rsa::RsaPrivateKey::from_pkcs8_der(der)
                .map_err(|e| SealError::Pkcs12(format!("its RSA key: {e}")))?;
            return Ok(Self::Rsa(rsa::pkcs1v15::SigningKey::new(key)));
        }
        if oid == EC_PUBLIC_KEY {
            let key = p256::ecdsa::SigningKey::from_pkcs8_der(der)
                .map_err(|_| SealError::UnsupportedKey("elliptic-curve key not on P-256".into()))?;
            return Ok(Self::P256(key));
        }
        Err(SealError::UnsupportedKey(format!("{oid}")))
    }

    fn public_key(&self) -> Result<SubjectPublicKeyInfoOwned, SealError> {
        let der = match self {
            Self::Rsa(key) => key.as_ref().to_public_key().to_public_key_der(),
            Self::P256(key) => key.verifying_key().to_public_key_der(),
        }
        .map_err(|e| SealError::Certificate(e.to_string()))?;
        SubjectPublicKeyInfoOwned::from_der(der.as_bytes())
            .map_err(|e| SealError::Certificate(e.to_string()))
    }
}

const RSA_ENCRYPTION: der::oid::ObjectIdentifier =
    der::oid::ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const EC_PUBLIC_KEY: der::oid::ObjectIdentifier =
    der::oid::ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");

#[cfg(test)]
mod tests;
