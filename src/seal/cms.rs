//! The CMS `SignedData` of a PAdES B-B seal: detached (the PDF's bytes are the content),
//! SHA-256, the chain in `certificates`, and as signed attributes only the content type,
//! the message digest and ESS signing-certificate-v2. PAdES puts the signing time in the
//! signature dictionary's `/M`, not in a signing-time attribute.

use cms::builder::{SignedDataBuilder, SignerInfoBuilder};
use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::signed_data::{EncapsulatedContentInfo, SignerIdentifier};
use der::asn1::{OctetString, SetOfVec};
use der::oid::ObjectIdentifier;
use der::oid::db::rfc5911::ID_DATA;
use der::{Any, Encode, Sequence};
use rsa::signature::{Keypair, Signer};
use sha2::{Digest, Sha256};
use x509_cert::Certificate;
use x509_cert::attr::{Attribute, AttributeValue};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::{AlgorithmIdentifierOwned, DynSignatureAlgorithmIdentifier};

use super::SealError;

/// id-sha256 (NIST).
pub(super) const SHA_256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
/// id-aa-signingCertificateV2 (RFC 5035).
pub(super) const SIGNING_CERTIFICATE_V2: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.47");

/// `SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2, … }` (RFC 5035).
#[derive(Sequence)]
pub(super) struct SigningCertificateV2 {
    pub certs: Vec<EssCertIdV2>,
}

/// `ESSCertIDv2`, its hash algorithm left at the default, SHA-256 (DER omits a default).
#[derive(Sequence)]
pub(super) struct EssCertIdV2 {
    pub cert_hash: OctetString,
    pub issuer_serial: IssuerSerial,
}

#[derive(Sequence)]
pub(super) struct IssuerSerial {
    pub issuer: Vec<GeneralName>,
    pub serial_number: SerialNumber,
}

/// The DER `ContentInfo` sealing `digest` (the SHA-256 of the signed byte ranges).
pub(super) fn signed_data<S, Sig>(
    key: &S,
    signer: &Certificate,
    chain: &[Certificate],
    digest: &[u8],
) -> Result<Vec<u8>, SealError>
where
    S: Keypair + DynSignatureAlgorithmIdentifier + Signer<Sig>,
    Sig: x509_cert::spki::SignatureBitStringEncoding,
{
    let fail = |e: &dyn std::fmt::Display| SealError::Signature(e.to_string());
    let content = EncapsulatedContentInfo {
        econtent_type: ID_DATA,
        econtent: None,
    };
    let sha256 = AlgorithmIdentifierOwned {
        oid: SHA_256,
        parameters: None,
    };
    let tbs = &signer.tbs_certificate;
    let sid = SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
        issuer: tbs.issuer.clone(),
        serial_number: tbs.serial_number.clone(),
    });
    let mut info = SignerInfoBuilder::new(key, sid, sha256.clone(), &content, Some(digest))
        .map_err(|e| fail(&e))?;
    info.add_signed_attribute(signing_certificate(signer)?)
        .map_err(|e| fail(&e))?;
    let mut data = SignedDataBuilder::new(&content);
    data.add_digest_algorithm(sha256).map_err(|e| fail(&e))?;
    for certificate in chain {
        data.add_certificate(CertificateChoices::Certificate(certificate.clone()))
            .map_err(|e| fail(&e))?;
    }
    data.add_signer_info::<S, Sig>(info).map_err(|e| fail(&e))?;
    data.build()
        .map_err(|e| fail(&e))?
        .to_der()
        .map_err(|e| fail(&e))
}

/// The signed attribute naming the signer's certificate by its SHA-256, with its issuer
/// and serial number: what binds the certificate to the signature (PAdES B-B).
fn signing_certificate(signer: &Certificate) -> Result<Attribute, SealError> {
    let fail = |e: der::Error| SealError::Signature(e.to_string());
    let der = signer.to_der().map_err(fail)?;
    let tbs = &signer.tbs_certificate;
    let value = SigningCertificateV2 {
        certs: vec![EssCertIdV2 {
            cert_hash: OctetString::new(Sha256::digest(&der).to_vec()).map_err(fail)?,
            issuer_serial: IssuerSerial {
                issuer: vec![GeneralName::DirectoryName(tbs.issuer.clone())],
                serial_number: tbs.serial_number.clone(),
            },
        }],
    };
    let mut values = SetOfVec::new();
    values
        .insert(AttributeValue::from(
            Any::encode_from(&value).map_err(fail)?,
        ))
        .map_err(fail)?;
    Ok(Attribute {
        oid: SIGNING_CERTIFICATE_V2,
        values,
    })
}
