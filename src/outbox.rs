//! The life of one email, as `workflow` is the life of a note: what a mail is at each stage
//! and what the end of a send means for it, decided by one function, [`next`].
//!
//! One name per stage:
//! - [`QueuedMail`]: what a use case writes to the outbox, in the transaction that causes
//!   the email (`WriteTx::enqueue`).
//! - [`ClaimedMail`]: a row a daemon's mail worker has claimed under a lease
//!   (`Store::claim_mail`).
//! - `Letter` (`mail`): a claimed mail completed with what exists only at send time, its
//!   link and attachment (`Service::letter`).
//! - `Message` (lettre): the letter built from its templates, ready for the transport
//!   (`Mailer::message`).
//! - [`SendOutcome`]: how building and sending it ended; with the mail and the instant, an
//!   [`Attempt`].
//! - [`Next`]: what [`next`] makes of an attempt, which the store writes
//!   (`WriteTx::settle_mails`).
//!
//! Pure: no I/O, no clock (instants are passed in), no randomness (the jitter is).

use std::time::Duration;

use jiff::Timestamp;
use serde_json::Value;

use crate::clock::later;
use crate::named_enum::named_enum;
use crate::note::NoteId;

named_enum! {
    /// Which email a row is: it picks the template folder and the attachment.
    MailKind, "mail kind" {
        Approval = "approval",
        Reminder = "reminder",
        ChangesRequested = "changes-requested",
        Delivery = "delivery",
        SignIn = "signin",
    }
}

named_enum! {
    /// A row's state (INTERFACE.md, "Delivery statuses").
    DeliveryStatus, "delivery status" {
        Queued = "queued",
        Sent = "sent",
        Deferred = "deferred",
        Failed = "failed",
    }
}

impl DeliveryStatus {
    /// The statuses of a mail still to be tried: what a worker claims, and what keeps a
    /// note's distribution open.
    pub const OPEN: [DeliveryStatus; 2] = [DeliveryStatus::Queued, DeliveryStatus::Deferred];

    pub fn is_open(self) -> bool {
        Self::OPEN.contains(&self)
    }
}

/// An email to queue.
pub struct QueuedMail {
    /// The note the mail is about; none for a sign-in link.
    pub note_id: Option<NoteId>,
    pub kind: MailKind,
    pub recipient: String,
    pub recipient_name: Option<String>,
    /// The distribution list a delivery goes to.
    pub list: Option<String>,
    /// What the templates are filled with.
    pub context: Value,
    /// A link's secret, kept only until the mail is sent or given up.
    pub secret: Option<String>,
    pub now: Timestamp,
}

/// A claimed row, ready to be composed and sent. Its `Debug` leaves the secret out: mails
/// end up in logs and panic messages.
#[derive(Clone)]
pub struct ClaimedMail {
    pub id: i64,
    /// The note the mail is about; none for a sign-in link.
    pub note_id: Option<NoteId>,
    pub kind: MailKind,
    /// Its status when claimed: queued or deferred.
    pub status: DeliveryStatus,
    pub recipient: String,
    pub recipient_name: Option<String>,
    pub list: Option<String>,
    pub context: Value,
    pub secret: Option<String>,
    /// This try's number: the tries recorded before it, plus one.
    pub attempts: i64,
    /// When it was queued (or re-queued): `mail.give_up_after` counts from here.
    pub created: Timestamp,
}

impl std::fmt::Debug for ClaimedMail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClaimedMail")
            .field("id", &self.id)
            .field("note_id", &self.note_id)
            .field("kind", &self.kind)
            .field("status", &self.status)
            .field("recipient", &self.recipient)
            .field("recipient_name", &self.recipient_name)
            .field("list", &self.list)
            .field("context", &self.context)
            .field("secret", &self.secret.as_ref().map(|_| "***"))
            .field("attempts", &self.attempts)
            .field("created", &self.created)
            .finish()
    }
}

/// How building and sending a mail ended; each failure carries the text recorded as the
/// row's `last_error`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    /// The server accepted it (or the file was written).
    Sent,
    /// It may go through later: a 4xx reply, a connection lost, a template or the
    /// database failing while it was composed.
    Transient(String),
    /// The server refused it for good: a 5xx reply.
    Refused(String),
    /// No message can be built from the row, now or later (an address lettre refuses).
    Unbuildable(String),
}

/// One send of a claimed mail, waiting to be recorded.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub mail: ClaimedMail,
    pub outcome: SendOutcome,
    /// When the server answered, or the send failed: a mail is `sent_at` this instant,
    /// however long its batch then waits for the database.
    pub ended: Timestamp,
}

/// When to try again and when to give up (`mail.retry_initial`, `mail.retry_max`,
/// `mail.give_up_after`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub initial: Duration,
    pub max: Duration,
    pub give_up_after: Duration,
}

/// What becomes of a mail once a send of it has ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Next {
    Sent {
        at: Timestamp,
    },
    Deferred {
        until: Timestamp,
        error: String,
    },
    Failed {
        error: String,
    },
    /// Nothing changes: the mail was already sent (by a daemon that took it over after
    /// this one's lease ran out), and a sent mail stays sent.
    Unchanged,
}

impl Next {
    /// The status the mail is left in, if it changes.
    pub fn status(&self) -> Option<DeliveryStatus> {
        match self {
            Next::Sent { .. } => Some(DeliveryStatus::Sent),
            Next::Deferred { .. } => Some(DeliveryStatus::Deferred),
            Next::Failed { .. } => Some(DeliveryStatus::Failed),
            Next::Unchanged => None,
        }
    }

    /// Whether the mail has reached an end, sent or failed, here.
    pub fn settles(&self) -> bool {
        self.status().is_some_and(|s| !s.is_open())
    }
}

/// What an attempt's outcome means for its mail, given the status it was claimed in and
/// its number of tries: sent; deferred with [`backoff`] after a transient failure, until
/// `give_up_after` has passed since it was queued; or failed, at once when no later try
/// can succeed (refused, unbuildable). `jitter`, from 0.0 to 1.0, spreads the retries.
pub fn next(attempt: &Attempt, policy: &RetryPolicy, jitter: f64) -> Next {
    let Attempt {
        mail,
        outcome,
        ended,
    } = attempt;
    if mail.status == DeliveryStatus::Sent {
        return Next::Unchanged;
    }
    match outcome {
        SendOutcome::Sent => Next::Sent { at: *ended },
        SendOutcome::Refused(error) | SendOutcome::Unbuildable(error) => Next::Failed {
            error: error.clone(),
        },
        SendOutcome::Transient(error) if *ended >= later(mail.created, policy.give_up_after) => {
            Next::Failed {
                error: format!("gave up after {} tries: {error}", mail.attempts),
            }
        }
        SendOutcome::Transient(error) => Next::Deferred {
            until: later(*ended, backoff(policy, mail.attempts, jitter)),
            error: error.clone(),
        },
    }
}

/// The delay before try `attempt + 1` after `attempt` transient failures: `initial`
/// doubled each time, capped at `max`, then scaled by `jitter` (0.0 to 1.0) into its upper
/// half, so that mails deferred together do not all come back at the same instant.
pub fn backoff(policy: &RetryPolicy, attempt: i64, jitter: f64) -> Duration {
    let doublings = u32::try_from(attempt.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
    let full = policy
        .initial
        .saturating_mul(1 << doublings)
        .min(policy.max);
    let scaled = full.as_secs_f64() * (0.5 + 0.5 * jitter.clamp(0.0, 1.0));
    // Near `Duration::MAX`, f64 rounding lands past it: the full delay is then as good.
    Duration::try_from_secs_f64(scaled).unwrap_or(full)
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: fn(u64) -> Duration = Duration::from_secs;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            initial: S(30),
            max: S(1800),
            give_up_after: S(3600),
        }
    }

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + secs).unwrap()
    }

    fn mail(status: DeliveryStatus, attempts: i64) -> ClaimedMail {
        ClaimedMail {
            id: 1,
            note_id: Some(2),
            kind: MailKind::Approval,
            status,
            recipient: "a1@unit.example".to_owned(),
            recipient_name: None,
            list: None,
            context: Value::Null,
            secret: Some("s3cr3t-link".to_owned()),
            attempts,
            created: at(0),
        }
    }

    /// What `next` makes of the `attempts`th try of a mail queued at `at(0)`, ended at
    /// `at(ended)`.
    fn decide(
        status: DeliveryStatus,
        attempts: i64,
        outcome: &SendOutcome,
        ended: i64,
        policy: &RetryPolicy,
    ) -> Next {
        let attempt = Attempt {
            mail: mail(status, attempts),
            outcome: outcome.clone(),
            ended: at(ended),
        };
        next(&attempt, policy, 1.0)
    }

    /// Every status a mail can be claimed in, against every way its send can end.
    #[test]
    fn the_whole_table() {
        use DeliveryStatus::*;
        let outcomes = [
            SendOutcome::Sent,
            SendOutcome::Transient("451 later".into()),
            SendOutcome::Refused("550 no such user".into()),
            SendOutcome::Unbuildable("bad address".into()),
        ];
        let sent = Next::Sent { at: at(100) };
        let deferred = Next::Deferred {
            until: at(100 + 60),
            error: "451 later".into(),
        };
        let refused = Next::Failed {
            error: "550 no such user".into(),
        };
        let unbuildable = Next::Failed {
            error: "bad address".into(),
        };
        let unchanged = Next::Unchanged;
        let table: [(DeliveryStatus, [&Next; 4]); 4] = [
            (Queued, [&sent, &deferred, &refused, &unbuildable]),
            (Deferred, [&sent, &deferred, &refused, &unbuildable]),
            // A late result still says what became of the mail, which was given up while
            // this daemon's send was in flight.
            (Failed, [&sent, &deferred, &refused, &unbuildable]),
            (Sent, [&unchanged, &unchanged, &unchanged, &unchanged]),
        ];
        for status in DeliveryStatus::ALL {
            let (_, row) = table
                .iter()
                .find(|(s, _)| s == status)
                .expect("every status is in the table");
            for (outcome, want) in outcomes.iter().zip(row) {
                let got = decide(*status, 2, outcome, 100, &policy());
                assert_eq!(&got, *want, "{status} after {outcome:?}");
            }
        }
    }

    #[test]
    fn a_transient_failure_is_given_up_once_give_up_after_has_passed() {
        let later = SendOutcome::Transient("451 later".into());
        let just_before = decide(DeliveryStatus::Deferred, 9, &later, 3599, &policy());
        assert!(
            matches!(just_before, Next::Deferred { .. }),
            "{just_before:?}"
        );
        assert_eq!(
            decide(DeliveryStatus::Deferred, 9, &later, 3600, &policy()),
            Next::Failed {
                error: "gave up after 9 tries: 451 later".into()
            }
        );
    }

    #[test]
    fn times_past_the_calendar_saturate() {
        let forever = RetryPolicy {
            initial: Duration::MAX,
            max: Duration::MAX,
            give_up_after: Duration::MAX,
        };
        let got = decide(
            DeliveryStatus::Queued,
            1,
            &SendOutcome::Transient("451".into()),
            1,
            &forever,
        );
        assert!(
            matches!(got, Next::Deferred { until, .. } if until == Timestamp::MAX),
            "{got:?}"
        );
    }

    #[test]
    fn only_sent_and_failed_settle_a_mail() {
        assert!(Next::Sent { at: at(0) }.settles());
        assert!(Next::Failed { error: "x".into() }.settles());
        let deferred = Next::Deferred {
            until: at(0),
            error: "x".into(),
        };
        assert!(!deferred.settles());
        assert!(!Next::Unchanged.settles());
        let open: Vec<_> = DeliveryStatus::ALL.iter().filter(|s| s.is_open()).collect();
        assert_eq!(open, [&DeliveryStatus::Queued, &DeliveryStatus::Deferred]);
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_and_jitters_in_the_upper_half() {
        let table = [
            (1, S(30)),
            (2, S(60)),
            (3, S(120)),
            (6, S(960)),
            (7, S(1800)),
            (60, S(1800)),
        ];
        for (attempt, full) in table {
            assert_eq!(backoff(&policy(), attempt, 1.0), full, "attempt {attempt}");
            assert_eq!(
                backoff(&policy(), attempt, 0.0),
                full / 2,
                "attempt {attempt}"
            );
        }
        assert_eq!(backoff(&policy(), 0, 1.0), S(30));
        let mid = backoff(&policy(), 2, 0.5);
        assert!(mid > S(30) && mid < S(60), "{mid:?}");
    }

    #[test]
    fn a_claimed_mails_debug_leaves_its_link_secret_out() {
        let shown = format!("{:?}", mail(DeliveryStatus::Queued, 1));
        assert!(!shown.contains("s3cr3t-link"), "{shown}");
        assert!(
            shown.contains("a1@unit.example") && shown.contains("***"),
            "{shown}"
        );
    }
}
