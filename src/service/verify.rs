//! Verification for delegations: is this PDF an issued note of this registry, which one,
//! issued when, and is its seal intact. Looked up by the SHA-256 of the bytes, the digest
//! stored when the note was issued and stated in the delivery email. When no issued PDF has
//! it, the number its XMP metadata names tells an altered copy of one of our notes from a
//! file that was never ours.
//!
//! An uploaded file is never parsed as a PDF: anyone may upload one, and a PDF parser's
//! work is not bounded by the file's size (one object referenced a thousand times, streams
//! that inflate a thousandfold). The bytes are hashed and scanned for their XMP packet, as
//! XMP is designed to be found; only a file found among the issued ones, our own bytes, is
//! read as a PDF to check its seal. Any change to a sealed file changes its SHA-256, so
//! a file not found is not sealed by us, whatever signature it carries.

use jiff::Timestamp;
use sha2::{Digest, Sha256};

use super::{Service, ServiceError, off_workers};
use crate::reference::DocNumber;
use crate::seal::{self, Inspection};
use crate::secret;
use crate::store::StoreError;

/// What verification found out about a file.
#[derive(Debug, Clone, PartialEq)]
pub struct Verification {
    pub issued: bool,
    pub number: Option<String>,
    pub version: Option<i64>,
    pub issued_at: Option<Timestamp>,
    /// Of the bytes examined, lower-case hex.
    pub sha256: String,
    /// The file carries an intact seal of the Presidency over all of its bytes.
    pub sealed: bool,
    /// A seal is configured, so an issued note without an intact seal is not accepted.
    pub seal_required: bool,
    /// Why the file is not an issued note, or what else to know of one that is (a revision
    /// issued since, no seal).
    pub reason: Option<String>,
}

impl Verification {
    /// An issued note of this registry, sealed if a seal is configured: what `notesd
    /// verify` exits 0 for.
    pub fn accepted(&self) -> bool {
        self.issued && (self.sealed || !self.seal_required)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("not a PDF: the file does not begin with a PDF header (%PDF-)")]
    NotPdf,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Service(#[from] ServiceError),
}

/// What the bytes themselves say, before any lookup.
#[derive(Debug, PartialEq)]
struct Examined {
    sha256: String,
    /// The number the file's XMP names as its identifier, as notesd writes it: a claim,
    /// not proof.
    claimed: Option<String>,
}

impl Service {
    /// Verifies `bytes` against the issued PDFs of this registry.
    pub async fn verify(&self, bytes: Vec<u8>) -> Result<Verification, VerifyError> {
        let bytes = std::sync::Arc::new(bytes);
        let examined = off_workers("verification", {
            let bytes = bytes.clone();
            move || examine(&bytes)
        })
        .await??;
        let Examined { sha256, claimed } = examined;
        let seal_required = self.seal.is_some();
        if let Some((id, issued_at)) = self.store.issued_with_sha256(&sha256).await? {
            let note = self.store.note(id).await?.ok_or(StoreError::Corrupt {
                what: "issued document",
                detail: format!("its note {id} is missing"),
            })?;
            // The very bytes issued, so safe to parse; whoever's certificate sealed them
            // then, it was ours.
            let sealed = off_workers("verification", move || sealed_whole(&bytes)).await?;
            let mut reasons = Vec::new();
            if let Some(later) = self.store.later_issued_revision(&note).await? {
                reasons.push(format!(
                    "superseded: a revision, {later}, has been issued since"
                ));
            }
            if seal_required && !sealed {
                reasons.push(
                    "it carries no seal: it was issued before the seal was configured".to_owned(),
                );
            }
            return Ok(Verification {
                issued: true,
                number: Some(note.number.to_string()),
                version: Some(note.version),
                issued_at: Some(issued_at),
                sha256,
                sealed,
                seal_required,
                reason: Some(reasons.join("; ")).filter(|r| !r.is_empty()),
            });
        }
        let reason = match &claimed {
            Some(number) if self.store.is_number_issued(number).await? => format!(
                "altered, or not the file issued: it names {number}, but its SHA-256 is not \
                 that of the issued {number}"
            ),
            _ => "not an issued note of this registry: no issued PDF has this SHA-256".to_owned(),
        };
        Ok(Verification {
            issued: false,
            number: None,
            version: None,
            issued_at: None,
            sha256,
            sealed: false,
            seal_required,
            reason: Some(reason),
        })
    }
}

/// Whether `pdf`, a file this registry issued, carries a seal that checks over all of it.
fn sealed_whole(pdf: &[u8]) -> bool {
    lopdf::Document::load_mem(pdf)
        .ok()
        .and_then(|document| seal::inspect(pdf, &document))
        .is_some_and(|found: Inspection| found.intact && found.whole_file)
}

/// The digest and the claimed number of `bytes`; refused if they are not a PDF.
fn examine(bytes: &[u8]) -> Result<Examined, VerifyError> {
    if !is_pdf(bytes) {
        return Err(VerifyError::NotPdf);
    }
    Ok(Examined {
        sha256: secret::hex(&Sha256::digest(bytes)),
        claimed: claimed_number(bytes),
    })
}

/// A PDF header within the first 1024 bytes, where readers look for it.
fn is_pdf(bytes: &[u8]) -> bool {
    bytes[..bytes.len().min(1024)]
        .windows(5)
        .any(|w| w == b"%PDF-")
}

/// The document number of the last `<dc:identifier>` in the bytes, where notesd's XMP
/// packet (uncompressed, as PDF/A has it) names the note: found by scanning, in time
/// linear in the file.
fn claimed_number(bytes: &[u8]) -> Option<String> {
    const OPEN: &[u8] = b"<dc:identifier>";
    const CLOSE: &[u8] = b"</dc:identifier>";
    let start = bytes.windows(OPEN.len()).rposition(|w| w == OPEN)? + OPEN.len();
    // The longest number, `99999/999/99 REV 999`, is 20 characters.
    let value = &bytes[start..bytes.len().min(start + 64)];
    let end = value.windows(CLOSE.len()).position(|w| w == CLOSE)?;
    let number: DocNumber = std::str::from_utf8(&value[..end]).ok()?.parse().ok()?;
    Some(number.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pdf_with_identifier(identifier: &str) -> Vec<u8> {
        format!(
            "%PDF-1.7\n1 0 obj <</Type/Metadata/Subtype/XML>> stream\n<x:xmpmeta>\
             <dc:identifier>{identifier}</dc:identifier></x:xmpmeta>\nendstream endobj\n"
        )
        .into_bytes()
    }

    #[test]
    fn a_pdf_names_the_number_of_its_xmp_identifier() {
        let examined = examine(&pdf_with_identifier("6314/1/22 REV 1")).expect("a PDF");
        assert_eq!(examined.claimed.as_deref(), Some("6314/1/22 REV 1"));
        assert_eq!(examined.sha256.len(), 64);
        for not_a_number in ["Minutes", "", "6314/22</dc:identifier"] {
            let examined = examine(&pdf_with_identifier(not_a_number)).expect("a PDF");
            assert_eq!(examined.claimed, None, "{not_a_number}");
        }
        let mut unclosed = pdf_with_identifier("6314/22");
        unclosed.truncate(unclosed.len() - 50);
        assert_eq!(examine(&unclosed).expect("a PDF").claimed, None);
    }

    #[test]
    fn only_a_file_with_a_pdf_header_is_examined() {
        assert!(matches!(
            examine(b"GIF89a not a pdf"),
            Err(VerifyError::NotPdf)
        ));
        assert!(matches!(examine(b""), Err(VerifyError::NotPdf)));
        // Damaged after the header: examined, naming nothing.
        let damaged = examine(b"%PDF-1.7\nnothing else").expect("a header");
        assert_eq!(damaged.claimed, None);
    }
}
