//! Bearer secrets (API tokens now, approval links later): 32 random bytes shown once as
//! base64url, of which only the SHA-256 is stored, so a copy of the database grants nothing.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A fresh secret and the hash to store for it.
pub fn generate(prefix: &str) -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes));
    let hash = digest(&secret);
    (secret, hash)
}

/// The SHA-256 of a presented secret, in lower-case hex: what the database is searched for.
pub fn digest(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

/// Bytes in lower-case hex, as digests are shown and stored.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_and_only_their_digest_matches() {
        let (a, hash_a) = generate("ntd_");
        let (b, _) = generate("ntd_");
        assert_ne!(a, b);
        assert!(a.starts_with("ntd_") && a.len() == 4 + 43, "{a}");
        assert_eq!(digest(&a), hash_a);
        assert_eq!(hash_a.len(), 64);
        assert!(!hash_a.contains(&a[4..]));
    }

    #[test]
    fn hex_is_two_lower_case_digits_per_byte_in_order() {
        assert_eq!(hex(&[]), "");
        assert_eq!(hex(&[0x00, 0x0f, 0xa0, 0xff, 0x7e]), "000fa0ff7e");
        // The SHA-256 of "abc" (FIPS 180-2, appendix B.1).
        assert_eq!(
            digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
