//! The life of a note: every change of state goes through [`transition`], so the rules live
//! in one table instead of `if state == …` checks scattered over handlers.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::address::EmailAddress;
use crate::named_enum::named_enum;

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
    /// A revision (`REV k`) of the issued document is registered; the original stays.
    Revise,
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
            Self::Revise => "revise",
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
        (Issued | Distributed, Revise) => Ok(state),
        _ => Err(WorkflowError { state, event }),
    }
}

/// How many of a step's approvers must approve before the note moves on. Written as in
/// the configuration: `"any"`, `"all"` or `{"at_least": N}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    Any,
    All,
    AtLeast(usize),
}

named_enum! {
    /// What an approver decides on the approval page (`decision=approve|reject`).
    Decision, "decision" {
        Approve = "approve",
        Reject = "reject",
    }
}

named_enum! {
    /// Where a step of a review stands: `waiting` (not reached yet), `pending` (its
    /// approvers have links and are deciding), then approved or changes requested.
    StepStatus, "step status" {
        Waiting = "waiting",
        Pending = "pending",
        Approved = "approved",
        ChangesRequested = "changes_requested",
    }
}

/// One approver of a step and what they decided, if they have.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApproverProgress {
    pub email: String,
    pub decision: Option<Decision>,
    pub decided_at: Option<Timestamp>,
    pub comment: Option<String>,
}

/// One step of a review: the configured step as it was at submission, and its decisions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepProgress {
    pub name: String,
    pub rule: Rule,
    pub status: StepStatus,
    pub approvers: Vec<ApproverProgress>,
}

/// One pass of a note through the approval chain. The chain is copied at submission, so a
/// configuration change never reshapes a review under way.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Review {
    /// 1 for the first submission, then one more for each submission after changes.
    pub round: i64,
    /// The step being decided (or the last one, once the review is over).
    pub step: usize,
    pub steps: Vec<StepProgress>,
    /// Who submitted the note and is told when changes are requested: the email of the
    /// submitting API token, if it has one.
    pub drafter: Option<String>,
}

/// What a decision did to the review.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The step still needs other approvers.
    Waiting,
    /// The step is approved; this next step now starts.
    NextStep(usize),
    /// The last step is approved: the note is to be issued.
    Approved,
    /// An approver asked for changes: the review is over.
    ChangesRequested,
}

/// A decision the review cannot take.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReviewError {
    #[error("step {0} is not the step being decided")]
    NotCurrentStep(usize),
    #[error("{0} is not an approver of this step")]
    NotAnApprover(String),
    #[error("{0} has already decided on this step")]
    AlreadyDecided(String),
    #[error("this review is over")]
    Over,
}

impl Review {
    /// A review of `chain` at its first step.
    pub fn start(chain: &[Step], round: i64, drafter: Option<String>) -> Self {
        let steps = chain
            .iter()
            .enumerate()
            .map(|(i, step)| StepProgress {
                name: step.name.clone(),
                rule: step.rule,
                status: if i == 0 {
                    StepStatus::Pending
                } else {
                    StepStatus::Waiting
                },
                approvers: step
                    .approvers
                    .iter()
                    .map(|a| ApproverProgress {
                        email: a.as_str().to_owned(),
                        decision: None,
                        decided_at: None,
                        comment: None,
                    })
                    .collect(),
            })
            .collect();
        Self {
            round,
            step: 0,
            steps,
            drafter,
        }
    }

    /// The approvers of the current step who have links to use.
    pub fn current_approvers(&self) -> impl Iterator<Item = &str> {
        self.steps
            .get(self.step)
            .into_iter()
            .flat_map(|s| s.approvers.iter().map(|a| a.email.as_str()))
    }

    /// Records `approver`'s decision on `step` and says what follows: one rejection ends
    /// the review; approvals move it on once the step's rule is met.
    pub fn record(
        &mut self,
        step: usize,
        approver: &str,
        decision: Decision,
        comment: Option<String>,
        at: Timestamp,
    ) -> Result<Outcome, ReviewError> {
        let last = self.steps.len().saturating_sub(1);
        let current = self.steps.get_mut(step).ok_or(ReviewError::Over)?;
        if current.status != StepStatus::Pending {
            return Err(if step == self.step {
                ReviewError::Over
            } else {
                ReviewError::NotCurrentStep(step)
            });
        }
        let entry = current
            .approvers
            .iter_mut()
            .find(|a| a.email == approver)
            .ok_or_else(|| ReviewError::NotAnApprover(approver.to_owned()))?;
        if entry.decision.is_some() {
            return Err(ReviewError::AlreadyDecided(approver.to_owned()));
        }
        entry.decision = Some(decision);
        entry.decided_at = Some(at);
        entry.comment = comment;
        if decision == Decision::Reject {
            current.status = StepStatus::ChangesRequested;
            return Ok(Outcome::ChangesRequested);
        }
        let approvals = current
            .approvers
            .iter()
            .filter(|a| a.decision == Some(Decision::Approve))
            .count();
        if !current.rule.is_met(approvals, current.approvers.len()) {
            return Ok(Outcome::Waiting);
        }
        current.status = StepStatus::Approved;
        if step == last {
            return Ok(Outcome::Approved);
        }
        self.step = step + 1;
        self.steps[self.step].status = StepStatus::Pending;
        Ok(Outcome::NextStep(self.step))
    }
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

    const EVENTS: [Event; 7] = [
        Edit,
        Submit,
        RequestChanges,
        Approve,
        Distribute,
        Withdraw,
        Revise,
    ];

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
            (Issued, Revise, Issued),
            (Distributed, Revise, Distributed),
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

    fn chain() -> Vec<Step> {
        let step = |name: &str, approvers: &[&str], rule| Step {
            name: name.to_owned(),
            approvers: approvers.iter().map(|a| a.parse().unwrap()).collect(),
            rule,
        };
        vec![
            step("unit", &["a@x.eu", "b@x.eu"], Rule::Any),
            step("coreper", &["c@x.eu", "d@x.eu"], Rule::All),
        ]
    }

    fn at() -> Timestamp {
        "2026-11-22T09:00:00Z".parse().unwrap()
    }

    #[test]
    fn a_review_moves_step_by_step_to_approval() {
        let mut review = Review::start(&chain(), 1, None);
        assert_eq!(
            review.current_approvers().collect::<Vec<_>>(),
            ["a@x.eu", "b@x.eu"]
        );
        let approve = Decision::Approve;
        assert_eq!(
            review.record(0, "b@x.eu", approve, None, at()),
            Ok(Outcome::NextStep(1))
        );
        // The other approver of an any-of step comes too late.
        assert_eq!(
            review.record(0, "a@x.eu", approve, None, at()),
            Err(ReviewError::NotCurrentStep(0))
        );
        assert_eq!(
            review.record(1, "c@x.eu", approve, None, at()),
            Ok(Outcome::Waiting)
        );
        assert_eq!(
            review.record(1, "c@x.eu", approve, None, at()),
            Err(ReviewError::AlreadyDecided("c@x.eu".into()))
        );
        assert_eq!(
            review.record(1, "a@x.eu", approve, None, at()),
            Err(ReviewError::NotAnApprover("a@x.eu".into()))
        );
        assert_eq!(
            review.record(1, "d@x.eu", approve, None, at()),
            Ok(Outcome::Approved)
        );
        assert_eq!(review.steps[1].status, StepStatus::Approved);
        assert_eq!(
            review.record(1, "d@x.eu", approve, None, at()),
            Err(ReviewError::Over)
        );
    }

    #[test]
    fn one_rejection_ends_the_review() {
        let mut review = Review::start(&chain(), 2, None);
        review
            .record(0, "a@x.eu", Decision::Approve, None, at())
            .unwrap();
        let comment = Some("point 3 is wrong".to_owned());
        assert_eq!(
            review.record(1, "d@x.eu", Decision::Reject, comment.clone(), at()),
            Ok(Outcome::ChangesRequested)
        );
        assert_eq!(review.steps[1].status, StepStatus::ChangesRequested);
        assert_eq!(review.steps[1].approvers[1].comment, comment);
        assert_eq!(
            review.record(1, "c@x.eu", Decision::Approve, None, at()),
            Err(ReviewError::Over)
        );
    }

    #[test]
    fn at_least_needs_that_many_and_the_review_round_trips_as_json() {
        let mut steps = chain();
        steps[1].approvers.push("e@x.eu".parse().unwrap());
        steps[1].rule = Rule::AtLeast(2);
        let mut review = Review::start(&steps, 1, Some("drafter@x.eu".into()));
        review
            .record(0, "a@x.eu", Decision::Approve, None, at())
            .unwrap();
        assert_eq!(
            review.record(1, "e@x.eu", Decision::Approve, None, at()),
            Ok(Outcome::Waiting)
        );
        let json = serde_json::to_value(&review).unwrap();
        assert_eq!(json["steps"][1]["rule"], serde_json::json!({"at_least": 2}));
        assert_eq!(json["steps"][0]["rule"], "any");
        assert_eq!(json["steps"][1]["status"], "pending");
        let mut back: Review = serde_json::from_value(json).unwrap();
        assert_eq!(back, review);
        assert_eq!(
            back.record(1, "c@x.eu", Decision::Approve, None, at()),
            Ok(Outcome::Approved)
        );
    }

    #[test]
    fn refusals_name_the_current_state() {
        let e = transition(InReview, Edit).unwrap_err();
        assert_eq!(e.to_string(), "cannot edit a note that is in_review");
        let e = transition(Issued, Withdraw).unwrap_err();
        assert_eq!(e.to_string(), "cannot withdraw a note that is issued");
    }
}
