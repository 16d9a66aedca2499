//! What an approval link opens without deciding anything: the page and its draft PDF
//! (mail scanners open every link they see), and the form value that ties a decision to
//! the page.

use super::{Service, ServiceError};
use crate::link::{self, ApprovalToken, LinkRefusal};
use crate::note::Note;
use crate::secret;
use crate::workflow::Review;

/// What the approval page shows.
#[derive(Debug, Clone)]
pub struct ApprovalPage {
    pub note: Note,
    pub review: Review,
    pub token: ApprovalToken,
    /// The value the page's form must send back.
    pub csrf: String,
}

/// The form value that proves a POST comes from the page its link opened: derived from the
/// link's secret, so only someone holding the link can produce it.
pub fn csrf_for(secret: &str) -> String {
    secret::digest(&format!("notesd-csrf:{secret}"))[..32].to_owned()
}

impl Service {
    /// The token a link's secret names.
    pub(super) async fn token(&self, secret: &str) -> Result<ApprovalToken, ServiceError> {
        Ok(self
            .store
            .approval_token(&secret::digest(secret))
            .await?
            .ok_or(LinkRefusal::Unknown)?)
    }

    /// The token a link's secret names, and its note.
    async fn link(&self, secret: &str) -> Result<(ApprovalToken, Note), ServiceError> {
        let token = self.token(secret).await?;
        let note = self
            .store
            .note(token.note_id)
            .await?
            .ok_or(LinkRefusal::Unknown)?;
        Ok((token, note))
    }

    /// The approval page behind a link. Reading it changes nothing and records nothing:
    /// mail scanners open every link they see.
    pub async fn approval_page(&self, secret: &str) -> Result<ApprovalPage, ServiceError> {
        let (token, note) = self.link(secret).await?;
        link::check(&token, &note, self.clock.now())?;
        let review = note.review.clone().ok_or(LinkRefusal::Unknown)?;
        Ok(ApprovalPage {
            note,
            review,
            token,
            csrf: csrf_for(secret),
        })
    }

    /// The note version a link is about, for the page's draft PDF: readable exactly while
    /// the page is (a spent, closed, superseded, withdrawn or expired link answers 410).
    pub async fn approval_draft(&self, secret: &str) -> Result<super::Pdf, ServiceError> {
        let (token, note) = self.link(secret).await?;
        link::check(&token, &note, self.clock.now())?;
        self.draft_pdf(&note, token.version).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_value_is_tied_to_its_link() {
        assert_eq!(csrf_for("abc"), csrf_for("abc"));
        assert_ne!(csrf_for("abc"), csrf_for("abd"));
        assert_eq!(csrf_for("abc").len(), 32);
    }
}
