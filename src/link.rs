//! Approval links: what one is ([`ApprovalToken`], its [`LinkStatus`]) and the rule that
//! says whether it opens a decision now ([`check`]), with the reason in the approver's
//! terms when it does not. Pure: the store keeps the links, the service asks this rule.

use jiff::Timestamp;

use crate::named_enum::named_enum;
use crate::note::{Note, NoteId};
use crate::workflow::NoteState;

named_enum! {
    /// An approval link's life: `pending` until its approver decides (`used`) or the step
    /// or review ends without them (`closed`).
    LinkStatus, "link status" {
        Pending = "pending",
        Used = "used",
        Closed = "closed",
    }
}

/// An approval link as stored (its secret is not).
#[derive(Debug, Clone, PartialEq)]
pub struct ApprovalToken {
    pub id: i64,
    pub note_id: NoteId,
    pub round: i64,
    pub version: i64,
    pub step: usize,
    pub approver: String,
    pub status: LinkStatus,
    pub created: Timestamp,
    pub expires: Timestamp,
    /// For a reminder's link, the link it reminds of.
    pub reminder_of: Option<i64>,
}

/// Why an approval link does not open a decision.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkRefusal {
    #[error("This link is not known. Check that it was copied whole.")]
    Unknown,
    #[error("This link has already been used: your decision on {number} is recorded.")]
    Used { number: String },
    #[error("This link has expired. Ask the drafter of {number} to send the note again.")]
    Expired { number: String },
    #[error(
        "This link is for version {version} of {number}, which has since been changed; \
         the new version will come with a new link."
    )]
    Superseded { number: String, version: i64 },
    #[error(
        "The step this link is for has already been decided by the other approvers of {number}."
    )]
    StepDecided { number: String },
    #[error("The review this link is for has ended: {number} is now {state}.")]
    ReviewOver { number: String, state: NoteState },
    #[error("{number} has been withdrawn.")]
    Withdrawn { number: String },
    #[error(
        "This download link for {number} has expired. Ask the General Secretariat for the document."
    )]
    DownloadExpired { number: String },
}

/// Whether `token` may decide on `note` now; the reason it may not, in the approver's terms.
pub fn check(token: &ApprovalToken, note: &Note, now: Timestamp) -> Result<(), LinkRefusal> {
    let number = note.number.to_string();
    let review = note.review.as_ref();
    if token.status == LinkStatus::Used {
        return Err(LinkRefusal::Used { number });
    }
    if note.state == NoteState::Withdrawn {
        return Err(LinkRefusal::Withdrawn { number });
    }
    if token.version != note.version {
        return Err(LinkRefusal::Superseded {
            number,
            version: token.version,
        });
    }
    if note.state != NoteState::InReview || review.is_none_or(|r| r.round != token.round) {
        return Err(LinkRefusal::ReviewOver {
            number,
            state: note.state,
        });
    }
    if token.status == LinkStatus::Closed || review.is_some_and(|r| r.step != token.step) {
        return Err(LinkRefusal::StepDecided { number });
    }
    if now >= token.expires {
        return Err(LinkRefusal::Expired { number });
    }
    Ok(())
}

/// Whether a download link that expires at `expires` still opens `note`'s PDF at `now`.
pub fn check_download(note: &Note, expires: Timestamp, now: Timestamp) -> Result<(), LinkRefusal> {
    if now >= expires {
        return Err(LinkRefusal::DownloadExpired {
            number: note.number.to_string(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use jiff::SignedDuration;
    use serde_json::json;

    use super::*;
    use crate::note::NoteSpec;
    use crate::workflow::{Review, Rule, Step};

    fn note_in_review() -> Note {
        let chain = [
            Step {
                name: "unit".into(),
                approvers: vec!["a@x.eu".parse().unwrap(), "b@x.eu".parse().unwrap()],
                rule: Rule::Any,
            },
            Step {
                name: "coreper".into(),
                approvers: vec!["c@x.eu".parse().unwrap()],
                rule: Rule::Any,
            },
        ];
        let at: Timestamp = "2026-11-22T09:00:00Z".parse().unwrap();
        Note {
            id: 1,
            number: "6762/26".parse().unwrap(),
            codes: vec![],
            state: NoteState::InReview,
            version: 2,
            spec: NoteSpec::from_stored(
                json!({
                    "language": "en", "from": "Presidency", "to": "Delegations",
                    "subject": "S", "codes": ["JAI"], "unit": "JAI.1", "initials": "AB",
                    "body": "Text",
                }),
                at.to_zoned(jiff::tz::TimeZone::UTC).date(),
            )
            .unwrap(),
            created_by: "d".into(),
            created_at: at,
            updated_at: at,
            review: Some(Review::start(&chain, 1, None)),
            previous: None,
        }
    }

    fn token() -> ApprovalToken {
        let at: Timestamp = "2026-11-22T09:00:00Z".parse().unwrap();
        ApprovalToken {
            id: 1,
            note_id: 1,
            round: 1,
            version: 2,
            step: 0,
            approver: "a@x.eu".into(),
            status: LinkStatus::Pending,
            created: at,
            expires: at + SignedDuration::from_hours(72),
            reminder_of: None,
        }
    }

    #[test]
    fn each_stale_link_is_refused_with_its_reason() {
        let note = note_in_review();
        let now = token().created + SignedDuration::from_hours(1);
        assert_eq!(check(&token(), &note, now), Ok(()));
        let number = "6762/26".to_owned();
        let cases: Vec<(ApprovalToken, Note, Timestamp, LinkRefusal)> = vec![
            (
                ApprovalToken {
                    status: LinkStatus::Used,
                    ..token()
                },
                note.clone(),
                now,
                LinkRefusal::Used {
                    number: number.clone(),
                },
            ),
            (
                token(),
                note.clone(),
                token().expires,
                LinkRefusal::Expired {
                    number: number.clone(),
                },
            ),
            (
                ApprovalToken {
                    version: 1,
                    ..token()
                },
                note.clone(),
                now,
                LinkRefusal::Superseded {
                    number: number.clone(),
                    version: 1,
                },
            ),
            (
                ApprovalToken {
                    status: LinkStatus::Closed,
                    ..token()
                },
                note.clone(),
                now,
                LinkRefusal::StepDecided {
                    number: number.clone(),
                },
            ),
            (
                ApprovalToken {
                    round: 0,
                    ..token()
                },
                note.clone(),
                now,
                LinkRefusal::ReviewOver {
                    number: number.clone(),
                    state: NoteState::InReview,
                },
            ),
            (
                token(),
                Note {
                    state: NoteState::ChangesRequested,
                    ..note.clone()
                },
                now,
                LinkRefusal::ReviewOver {
                    number: number.clone(),
                    state: NoteState::ChangesRequested,
                },
            ),
            (
                token(),
                Note {
                    state: NoteState::Withdrawn,
                    ..note.clone()
                },
                now,
                LinkRefusal::Withdrawn {
                    number: number.clone(),
                },
            ),
        ];
        for (token, note, now, want) in cases {
            assert_eq!(check(&token, &note, now), Err(want));
        }
        let mut moved_on = note_in_review();
        if let Some(r) = moved_on.review.as_mut() {
            r.step = 1;
        }
        assert_eq!(
            check(&token(), &moved_on, now),
            Err(LinkRefusal::StepDecided { number })
        );
    }
}
