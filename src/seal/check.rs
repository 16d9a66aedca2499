//! A seal read back: the last signature field's CMS signature checked against the bytes it
//! claims to cover (all of the file but exactly that signature), and whether it covers the
//! whole file; `Inspection::signer` says whose certificate made it.

use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier};
use der::asn1::OctetString;
use der::oid::ObjectIdentifier;
use der::{Encode, SliceReader};
use lopdf::{Dictionary, Document, Object};
use rsa::signature::Verifier;
use sha2::{Digest, Sha256};
use x509_cert::Certificate;

use super::cms::SHA_256;

const MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const SHA256_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
const ECDSA_WITH_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");

/// What a PDF's seal says of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspection {
    /// The covered bytes are those that were signed, and the signature is the signer
    /// certificate's.
    pub intact: bool,
    /// The signature covers the whole file but itself: nothing was appended after it.
    pub whole_file: bool,
    /// The signer certificate (DER), as the signature carries it; empty if it carries none.
    pub signer: Vec<u8>,
    /// Why the seal is not intact.
    pub problem: Option<String>,
}

/// The seal of `pdf`, read as `document`: `None` when it has no signature field with a
/// signature.
///
/// For files this registry wrote: reading an untrusted PDF into a `Document` costs work
/// unbounded by its size, which is why `service::verify` never does.
pub fn inspect(pdf: &[u8], document: &Document) -> Option<Inspection> {
    let signature = last_signature(document)?;
    let range = byte_range(signature);
    let contents = signature
        .get(b"Contents")
        .and_then(Object::as_str)
        .unwrap_or_default();
    Some(match (range, read(contents)) {
        (Some(range), Ok((signer, data))) => {
            let whole_file = range[0] == 0 && range[2].checked_add(range[3]) == Some(pdf.len());
            let problem = excluded(pdf, range, contents)
                .and_then(|()| covered(pdf, range))
                .and_then(|bytes| check(&data, &signer, bytes))
                .err();
            Inspection {
                intact: problem.is_none(),
                whole_file,
                signer: signer.to_der().unwrap_or_default(),
                problem,
            }
        }
        (None, _) => broken("its byte range is not four offsets within the file"),
        (_, Err(problem)) => broken(&problem),
    })
}

fn broken(problem: &str) -> Inspection {
    Inspection {
        intact: false,
        whole_file: false,
        signer: Vec::new(),
        problem: Some(problem.to_owned()),
    }
}

/// The value of the last signature field of the form, the one a later seal would add.
fn last_signature(document: &Document) -> Option<&Dictionary> {
    let form = document
        .catalog()
        .ok()?
        .get_deref(b"AcroForm", document)
        .ok()?
        .as_dict()
        .ok()?;
    let fields = form.get_deref(b"Fields", document).ok()?.as_array().ok()?;
    fields.iter().rev().find_map(|field| {
        let field = document.dereference(field).ok()?.1.as_dict().ok()?;
        if field.get(b"FT").and_then(Object::as_name).ok()? != b"Sig" {
            return None;
        }
        field.get_deref(b"V", document).ok()?.as_dict().ok()
    })
}

fn byte_range(signature: &Dictionary) -> Option<[usize; 4]> {
    let values = signature.get(b"ByteRange").ok()?.as_array().ok()?;
    let offsets: Vec<usize> = values
        .iter()
        .map(|v| v.as_i64().ok().and_then(|n| usize::try_from(n).ok()))
        .collect::<Option<_>>()?;
    offsets.try_into().ok()
}

/// Whether what the range leaves out is exactly this signature's `/Contents` string: else
/// the range could be made to skip bytes of a document the signature never covered, with a
/// copied signature dictionary standing in (signature wrapping).
fn excluded(pdf: &[u8], [a, b, c, _]: [usize; 4], contents: &[u8]) -> Result<(), String> {
    let hole = b
        .checked_add(a)
        .and_then(|start| pdf.get(start..c))
        .unwrap_or_default();
    let same = hole.len() == 2 * contents.len() + 2
        && hole.first() == Some(&b'<')
        && hole.last() == Some(&b'>')
        && hole[1..hole.len() - 1]
            .chunks(2)
            .zip(contents)
            .all(|(hex, byte)| {
                std::str::from_utf8(hex)
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    == Some(*byte)
            });
    if same {
        Ok(())
    } else {
        Err("its byte range leaves out more than its signature".to_owned())
    }
}

/// The two covered pieces of `pdf`, if the range lies within it.
fn covered(pdf: &[u8], [a, b, c, d]: [usize; 4]) -> Result<[&[u8]; 2], String> {
    let first = a.checked_add(b).and_then(|end| pdf.get(a..end));
    let second = c.checked_add(d).and_then(|end| pdf.get(c..end));
    match (first, second) {
        (Some(first), Some(second)) if a + b <= c => Ok([first, second]),
        _ => Err("its byte range is not within the file".to_owned()),
    }
}

/// The signer certificate and the signed data of a `/Contents` (DER, zero-padded).
fn read(contents: &[u8]) -> Result<(Certificate, SignedData), String> {
    let unreadable = |e: der::Error| format!("its signature is not a CMS signature ({e})");
    let mut reader = SliceReader::new(contents).map_err(unreadable)?;
    let info: ContentInfo = der::Decode::decode(&mut reader).map_err(unreadable)?;
    let data: SignedData = info.content.decode_as().map_err(unreadable)?;
    let sid = data
        .signer_infos
        .0
        .get(0)
        .map(|s| &s.sid)
        .ok_or("its signature has no signer")?;
    let signer = data
        .certificates
        .iter()
        .flat_map(|set| set.0.iter())
        .find_map(|choice| match (choice, sid) {
            (
                cms::cert::CertificateChoices::Certificate(cert),
                SignerIdentifier::IssuerAndSerialNumber(id),
            ) if cert.tbs_certificate.issuer == id.issuer
                && cert.tbs_certificate.serial_number == id.serial_number =>
            {
                Some(cert.clone())
            }
            _ => None,
        })
        .ok_or("its signature does not carry the signer's certificate")?;
    Ok((signer, data))
}

/// Whether `data`'s first signer signed `bytes` with `signer`'s key.
fn check(data: &SignedData, signer: &Certificate, bytes: [&[u8]; 2]) -> Result<(), String> {
    let info = data
        .signer_infos
        .0
        .get(0)
        .ok_or("its signature has no signer")?;
    if info.digest_alg.oid != SHA_256 {
        return Err(format!(
            "its digest algorithm is {}, not SHA-256",
            info.digest_alg.oid
        ));
    }
    let attributes = info
        .signed_attrs
        .as_ref()
        .ok_or("its signature has no signed attributes")?;
    let claimed = attributes
        .iter()
        .find(|a| a.oid == MESSAGE_DIGEST)
        .and_then(|a| a.values.get(0))
        .and_then(|v| v.decode_as::<OctetString>().ok())
        .ok_or("its signature names no message digest")?;
    let mut hash = Sha256::new();
    hash.update(bytes[0]);
    hash.update(bytes[1]);
    let digest: [u8; 32] = hash.finalize().into();
    if claimed.as_bytes() != digest {
        return Err("the file was changed after it was sealed: its digest differs".to_owned());
    }
    let message = attributes.to_der().map_err(|e| e.to_string())?;
    let signature = info.signature.as_bytes();
    let key = signer
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|e| e.to_string())?;
    let verified = match info.signature_algorithm.oid {
        oid if oid == SHA256_WITH_RSA || oid == RSA_ENCRYPTION => {
            use rsa::pkcs8::DecodePublicKey;
            let key = rsa::RsaPublicKey::from_public_key_der(&key).map_err(|e| e.to_string())?;
            let signature =
                rsa::pkcs1v15::Signature::try_from(signature).map_err(|e| e.to_string())?;
            rsa::pkcs1v15::VerifyingKey::<Sha256>::new(key).verify(&message, &signature)
        }
        oid if oid == ECDSA_WITH_SHA256 => {
            use p256::pkcs8::DecodePublicKey;
            let key =
                p256::ecdsa::VerifyingKey::from_public_key_der(&key).map_err(|e| e.to_string())?;
            let signature =
                p256::ecdsa::DerSignature::try_from(signature).map_err(|e| e.to_string())?;
            key.verify(&message, &signature)
        }
        other => {
            return Err(format!(
                "its signature algorithm {other} is not one notesd reads"
            ));
        }
    };
    verified.map_err(|_| "its signature is not that of its signer's key".to_owned())
}
