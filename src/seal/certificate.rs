//! A self-signed sealing certificate, for trying the seal before the Presidency's
//! qualified one arrives: an ECDSA P-256 key, `CN=` the given name, three years, key
//! usage digital signature and non-repudiation (what a seal is used for), in a PKCS#12
//! file encrypted as OpenSSL 3 does by default (PBES2, AES-256, HMAC-SHA-256).

use std::time::Duration;

use der::asn1::{SetOfVec, Utf8StringRef};
use der::oid::db::rfc4519::CN;
use der::{Any, Encode};
use p12_keystore::{KeyStore, KeyStoreEntry, PrivateKeyChain};
use p256::pkcs8::EncodePrivateKey;
use sha2::{Digest, Sha256};
use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::builder::{Builder, CertificateBuilder, Profile};
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::SubjectPublicKeyInfoOwned;
use x509_cert::time::Validity;

use super::SealError;

/// How long the test certificate is valid from now.
const VALIDITY: Duration = Duration::from_secs(3 * 365 * 24 * 3600);

/// The PKCS#12 file of a new key and its self-signed certificate for `name`, protected by
/// `password`.
pub fn self_signed(name: &str, password: &str) -> Result<Vec<u8>, SealError> {
    let fail = |e: &dyn std::fmt::Display| SealError::Certificate(e.to_string());
    let key = loop {
        // A uniformly random 32-byte string is a valid P-256 scalar but for 2^-32 of them.
        if let Ok(key) = p256::ecdsa::SigningKey::from_slice(&rand::random::<[u8; 32]>()) {
            break key;
        }
    };
    let subject = common_name(name).map_err(|e| fail(&e))?;
    let mut serial = rand::random::<[u8; 16]>();
    serial[0] = (serial[0] & 0x7f) | 0x01;
    let serial = SerialNumber::new(&serial).map_err(|e| fail(&e))?;
    let validity = Validity::from_now(VALIDITY).map_err(|e| fail(&e))?;
    let public = SubjectPublicKeyInfoOwned::from_key(*key.verifying_key()).map_err(|e| fail(&e))?;
    let profile = Profile::Leaf {
        issuer: subject.clone(),
        enable_key_agreement: false,
        enable_key_encipherment: false,
    };
    let certificate = CertificateBuilder::new(profile, serial, validity, subject, public, &key)
        .map_err(|e| fail(&e))?
        .build::<p256::ecdsa::DerSignature>()
        .map_err(|e| fail(&e))?
        .to_der()
        .map_err(|e| fail(&e))?;
    let private = key.to_pkcs8_der().map_err(|e| fail(&e))?;
    let local_id = Sha256::digest(&certificate)[..20].to_vec();
    let chain = PrivateKeyChain::new(
        private.as_bytes(),
        local_id,
        [p12_keystore::Certificate::from_der(&certificate).map_err(|e| fail(&e))?],
    );
    let mut store = KeyStore::new();
    store.add_entry("seal", KeyStoreEntry::PrivateKeyChain(chain));
    store
        .writer(password)
        .write()
        .map_err(|e| SealError::Pkcs12(e.to_string()))
}

/// `CN=name`, the name taken as it is (no escaping to undo, as `Name::from_str` would need).
fn common_name(name: &str) -> der::Result<Name> {
    let value = Any::encode_from(&Utf8StringRef::new(name)?)?;
    let rdn = RelativeDistinguishedName(SetOfVec::try_from(vec![AttributeTypeAndValue {
        oid: CN,
        value,
    }])?);
    Ok(RdnSequence(vec![rdn]))
}
