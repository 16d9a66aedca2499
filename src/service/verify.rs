//! Verification for delegations: is this PDF an issued note of this registry, which one,
//! issued when, and is its seal intact. Looked up by the SHA-256 of the bytes, the digest
//! stored when the note was issued and stated in the delivery email. When no issued PDF has
//! it, the file's seal (broken, or followed by later changes) and its own metadata (the
//! number its information dictionary names as subject) tell an altered copy of one of our
//! notes from a file that was never ours.

use jiff::Timestamp;
use sha2::{Digest, Sha256};

use super::{Service, ServiceError};
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
    /// The number the file names as its subject, as notesd writes it: a claim, not proof.
    claimed: Option<String>,
    /// Its seal, if it has one.
    seal: Option<Inspection>,
}

impl Service {
    /// Verifies `bytes` against the issued PDFs of this registry.
    pub async fn verify(&self, bytes: Vec<u8>) -> Result<Verification, VerifyError> {
        // Hashing, parsing and checking a signature over up to 10 MB is CPU work: off the
        // async workers.
        let examined = tokio::task::spawn_blocking(move || examine(&bytes))
            .await
            .map_err(|e| ServiceError::Internal(format!("verification stopped: {e}")))??;
        let Examined {
            sha256,
            claimed,
            seal,
        } = examined;
        let seal_required = self.seal.is_some();
        let intact = seal.as_ref().filter(|s| s.intact && s.whole_file);
        if let Some((id, issued_at)) = self.store.issued_with_sha256(&sha256).await? {
            let note = self.store.note(id).await?.ok_or(StoreError::Corrupt {
                what: "issued document",
                detail: format!("its note {id} is missing"),
            })?;
            // The very bytes issued: whoever's certificate sealed them then, it was ours.
            let sealed = intact.is_some();
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
        let ours = |inspection: &Inspection| {
            self.seal
                .as_ref()
                .is_some_and(|s| s.certificate() == inspection.signer.as_slice())
        };
        let named = match &claimed {
            Some(number) if self.store.is_number_issued(number).await? => Some(number.as_str()),
            _ => None,
        };
        let reason = match (&seal, named) {
            (Some(s), _) if !s.intact => format!(
                "altered: {}",
                s.problem.as_deref().unwrap_or("its seal does not check")
            ),
            (Some(s), _) if !s.whole_file => {
                "altered: it was changed after it was sealed (bytes were added after the seal)"
                    .to_owned()
            }
            (_, Some(number)) => format!(
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
            sealed: intact.is_some_and(ours),
            seal_required,
            reason: Some(reason),
        })
    }
}

/// The digest, the claimed number and the seal of `bytes`; refused if they are not a PDF.
fn examine(bytes: &[u8]) -> Result<Examined, VerifyError> {
    if !is_pdf(bytes) {
        return Err(VerifyError::NotPdf);
    }
    let sha256 = secret::hex(&Sha256::digest(bytes));
    // A file lopdf cannot read names nothing and has no seal we could check.
    let Ok(document) = lopdf::Document::load_mem(bytes) else {
        return Ok(Examined {
            sha256,
            claimed: None,
            seal: None,
        });
    };
    Ok(Examined {
        sha256,
        claimed: claimed_number(&document),
        seal: seal::inspect(bytes, &document),
    })
}

/// A PDF header within the first 1024 bytes, where readers look for it.
fn is_pdf(bytes: &[u8]) -> bool {
    bytes[..bytes.len().min(1024)]
        .windows(5)
        .any(|w| w == b"%PDF-")
}

/// The document number in the information dictionary's `/Subject`, where notesd puts it.
fn claimed_number(document: &lopdf::Document) -> Option<String> {
    let info = document
        .trailer
        .get_deref(b"Info", document)
        .ok()?
        .as_dict()
        .ok()?;
    let subject = info.get_deref(b"Subject", document).ok()?.as_str().ok()?;
    let number: DocNumber = std::str::from_utf8(subject).ok()?.parse().ok()?;
    Some(number.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pdf_with_subject(subject: &str) -> Vec<u8> {
        let mut document = lopdf::Document::with_version("1.7");
        let info = document.add_object(lopdf::Dictionary::from_iter([(
            "Subject",
            lopdf::Object::string_literal(subject),
        )]));
        document.trailer.set("Info", info);
        let mut out = Vec::new();
        document.save_to(&mut out).expect("an in-memory PDF");
        out
    }

    #[test]
    fn a_pdf_names_the_number_of_its_subject() {
        let examined = examine(&pdf_with_subject("6314/1/22 REV 1")).expect("a PDF");
        assert_eq!(examined.claimed.as_deref(), Some("6314/1/22 REV 1"));
        assert_eq!(examined.sha256.len(), 64);
        assert_eq!(examined.seal, None);
        assert_eq!(
            examine(&pdf_with_subject("Minutes"))
                .expect("a PDF")
                .claimed,
            None
        );
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
