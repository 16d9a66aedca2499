//! The life of a note: every change of state goes through [`transition`], so the rules live
//! in one table instead of `if state == …` checks scattered over handlers.

use crate::address::EmailAddress;
use crate::note::named_enum;

named_enum! {
    /// Where a note is in its journey (INTERFACE.md, "States").
    NoteState, "state" {
        Draft = "draft",
        InReview = "in_review",
        ChangesRequested = "changes_requested",
        Issued = "issued",
        Distributed = "distributed",
        Withdrawn = "withdrawn",
    }
}

/// Something that happens to a note.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// The drafter saves a new version.
    Edit,
    /// The drafter starts the approval chain.
    Submit,
    /// An approver asks for changes.
    RequestChanges,
    /// The last step of the chain approved.
    Approve,
    /// Every delivery of the issued note ended, sent or failed.
    Distribute,
    /// The drafter takes the note back.
    Withdraw,
}

impl Event {
    /// What the event is called in messages: "cannot edit a note that is in_review".
    fn verb(self) -> &'static str {
        match self {
            Self::Edit => "edit",
            Self::Submit => "submit",
            Self::RequestChanges => "request changes to",
            Self::Approve => "approve",
            Self::Distribute => "distribute",
            Self::Withdraw => "withdraw",
        }
    }
}

/// The event is not allowed in the note's current state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("cannot {verb} a note that is {state}", verb = event.verb())]
pub struct WorkflowError {
    pub state: NoteState,
    pub event: Event,
}

/// The state after `event`, or why it cannot happen. A withdrawn note stays withdrawn, and
/// an issued note can only be distributed: what delegations received is never taken back.
pub fn transition(state: NoteState, event: Event) -> Result<NoteState, WorkflowError> {
    use Event::*;
    use NoteState::*;
    match (state, event) {
        (Draft | ChangesRequested, Edit) => Ok(state),
        (Draft | ChangesRequested, Submit) => Ok(InReview),
        (InReview, RequestChanges) => Ok(ChangesRequested),
        (InReview, Approve) => Ok(Issued),
        (Issued, Distribute) => Ok(Distributed),
        (Draft | InReview | ChangesRequested, Withdraw) => Ok(Withdrawn),
        _ => Err(WorkflowError { state, event }),
    }
}

/// How many of a step's approvers must approve before the note moves on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    Any,
    All,
    AtLeast(usize),
}

impl Rule {
    /// Whether `approvals` distinct approvals out of `approvers` satisfy the rule.
    pub fn is_met(self, approvals: usize, approvers: usize) -> bool {
        match self {
            Rule::Any => approvals >= 1,
            Rule::All => approvals >= approvers,
            Rule::AtLeast(n) => approvals >= n,
        }
    }
}

/// One step of the Presidency's approval chain (`approval.steps`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub name: String,
    pub approvers: Vec<EmailAddress>,
    pub rule: Rule,
}

#[cfg(test)]
mod tests {
    use super::*;
    use Event::*;
    use NoteState::*;

    const EVENTS: [Event; 6] = [Edit, Submit, RequestChanges, Approve, Distribute, Withdraw];

    /// Every (state, event) pair, with the expected outcome (`None` = refused).
    #[test]
    fn the_whole_table() {
        let allowed = [
            (Draft, Edit, Draft),
            (Draft, Submit, InReview),
            (Draft, Withdraw, Withdrawn),
            (ChangesRequested, Edit, ChangesRequested),
            (ChangesRequested, Submit, InReview),
            (ChangesRequested, Withdraw, Withdrawn),
            (InReview, RequestChanges, ChangesRequested),
            (InReview, Approve, Issued),
            (InReview, Withdraw, Withdrawn),
            (Issued, Distribute, Distributed),
        ];
        for state in NoteState::ALL {
            for event in EVENTS {
                let expected = allowed
                    .iter()
                    .find(|(s, e, _)| s == state && *e == event)
                    .map(|(_, _, to)| *to);
                match (transition(*state, event), expected) {
                    (Ok(to), Some(want)) => assert_eq!(to, want, "{state} {event:?}"),
                    (Err(e), None) => assert_eq!(
                        e,
                        WorkflowError {
                            state: *state,
                            event
                        }
                    ),
                    (got, want) => panic!("{state} {event:?}: got {got:?}, want {want:?}"),
                }
            }
        }
    }

    #[test]
    fn approval_rules() {
        // (rule, approvals, approvers, met)
        let table = [
            (Rule::Any, 0, 2, false),
            (Rule::Any, 1, 2, true),
            (Rule::All, 1, 2, false),
            (Rule::All, 2, 2, true),
            (Rule::AtLeast(2), 1, 3, false),
            (Rule::AtLeast(2), 2, 3, true),
            (Rule::AtLeast(2), 3, 3, true),
        ];
        for (rule, approvals, approvers, met) in table {
            assert_eq!(
                rule.is_met(approvals, approvers),
                met,
                "{rule:?} {approvals}/{approvers}"
            );
        }
    }

    #[test]
    fn refusals_name_the_current_state() {
        let e = transition(InReview, Edit).unwrap_err();
        assert_eq!(e.to_string(), "cannot edit a note that is in_review");
        let e = transition(Issued, Withdraw).unwrap_err();
        assert_eq!(e.to_string(), "cannot withdraw a note that is issued");
    }
}
