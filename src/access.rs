//! Who may do what: the roles, who a caller is ([`Principal`]), the scope rule
//! ([`Principal::may_act_on`]) and whether an API token still opens the API
//! ([`TokenStatus`]). Pure: the store keeps the rows, the service asks these rules.

use jiff::Timestamp;

use crate::address::EmailAddress;
use crate::named_enum::named_enum;

/// Where a request came from, for the audit trail.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientInfo {
    pub address: Option<String>,
    pub user_agent: Option<String>,
}

named_enum! {
    /// What an API token may do: drafters register and edit the notes of their units;
    /// admins act on every note and also re-queue deliveries.
    Role, "role" {
        Drafter = "drafter",
        Admin = "admin",
    }
}

/// Who acts, by id: an API token, or (with the web desk) a signed-in person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActorId {
    Token(i64),
    User(i64),
}

impl ActorId {
    /// As kept in `audit_log.actor_id` and `notes.created_by_id`: `token:3`, `user:5`.
    pub fn stored(self) -> String {
        match self {
            Self::Token(id) => format!("token:{id}"),
            Self::User(id) => format!("user:{id}"),
        }
    }
}

impl std::fmt::Display for ActorId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Token(id) => write!(f, "token {id}"),
            Self::User(id) => write!(f, "person {id}"),
        }
    }
}

/// Who is calling, and from where (recorded with every audit entry the call causes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub id: ActorId,
    pub name: String,
    pub role: Role,
    pub email: Option<EmailAddress>,
    /// The units whose notes a drafter acts on; an admin acts on all.
    pub units: Vec<String>,
    pub client: ClientInfo,
}

/// Why a principal may not act on a note of some unit. Said in one sentence, as the 403
/// message and `notesd check` give it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutOfScope {
    #[error("{who} is a drafter with no unit: it can act on no note until it has one")]
    NoUnit { who: String },
    #[error("{who} acts on the notes of {units}, and this one is of {unit}")]
    OtherUnit {
        who: String,
        units: String,
        unit: String,
    },
    /// [`OutOfScope::OtherUnit`] about a stored note: its unit is not named to someone
    /// who may not read it.
    #[error("{who} acts on the notes of {units}, and this one is of none of them")]
    NotOfUnits { who: String, units: String },
}

impl OutOfScope {
    /// The refusal as said of a stored note, whose unit must not leak to a drafter who
    /// may not read it (reading it is 404).
    pub fn of_stored_note(self) -> Self {
        match self {
            Self::OtherUnit { who, units, .. } => Self::NotOfUnits { who, units },
            other => other,
        }
    }
}

impl Principal {
    /// "token 3 (Anna)": how messages name the caller.
    pub fn label(&self) -> String {
        format!("{} ({})", self.id, self.name)
    }

    /// The units whose notes this principal acts on and reads: `None` for every unit
    /// (an admin), else the drafter's own, which may be none.
    pub fn scope(&self) -> Option<&[String]> {
        match self.role {
            Role::Admin => None,
            Role::Drafter => Some(&self.units),
        }
    }

    /// The scope rule, in one place: an admin acts on every note, a drafter on the notes
    /// whose unit is one of theirs, and a drafter without a unit on none.
    pub fn may_act_on(&self, unit: &str) -> Result<(), OutOfScope> {
        match self.scope() {
            None => Ok(()),
            Some([]) => Err(OutOfScope::NoUnit { who: self.label() }),
            Some(units) if units.iter().any(|u| u == unit) => Ok(()),
            Some(units) => Err(OutOfScope::OtherUnit {
                who: self.label(),
                units: units.join(", "),
                unit: unit.to_owned(),
            }),
        }
    }
}

/// Whether an API token opens the API at `now`: a revoked token says when it was revoked
/// whether or not it has expired since.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenStatus {
    Active,
    Revoked(Timestamp),
    Expired(Timestamp),
}

impl TokenStatus {
    /// The status of a token revoked at `revoked` (if it was) that expires at `expires`
    /// (if it does), seen at `now`: expired from the instant it expires.
    pub fn at(revoked: Option<Timestamp>, expires: Option<Timestamp>, now: Timestamp) -> Self {
        match (revoked, expires) {
            (Some(at), _) => Self::Revoked(at),
            (None, Some(at)) if at <= now => Self::Expired(at),
            _ => Self::Active,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drafter(units: &[&str]) -> Principal {
        Principal {
            id: ActorId::Token(3),
            name: "Anna".to_owned(),
            role: Role::Drafter,
            email: None,
            units: units.iter().map(|u| (*u).to_owned()).collect(),
            client: ClientInfo::default(),
        }
    }

    #[test]
    fn drafters_act_on_their_units_and_admins_on_all() {
        assert_eq!(drafter(&["JAI.1", "COSI.2"]).may_act_on("COSI.2"), Ok(()));
        let other = drafter(&["JAI.1"]).may_act_on("COSI.2").unwrap_err();
        assert_eq!(
            other.to_string(),
            "token 3 (Anna) acts on the notes of JAI.1, and this one is of COSI.2"
        );
        // Units are compared whole: JAI.1 is not JAI.10 nor JAI.
        assert!(drafter(&["JAI.1"]).may_act_on("JAI.10").is_err());
        assert!(drafter(&["JAI.1"]).may_act_on("JAI").is_err());
        let none = drafter(&[]).may_act_on("JAI.1").unwrap_err();
        assert_eq!(
            none.to_string(),
            "token 3 (Anna) is a drafter with no unit: it can act on no note until it has one"
        );
        let admin = Principal {
            role: Role::Admin,
            ..drafter(&[])
        };
        assert_eq!(admin.may_act_on("COSI.2"), Ok(()));
    }

    #[test]
    fn a_token_is_revoked_then_expired_then_active() {
        let now: Timestamp = "2026-11-22T09:00:00Z".parse().unwrap();
        let (before, after) = (
            now - jiff::SignedDuration::from_secs(1),
            now + jiff::SignedDuration::from_secs(1),
        );
        let cases = [
            (None, None, TokenStatus::Active),
            (None, Some(after), TokenStatus::Active),
            (None, Some(now), TokenStatus::Expired(now)),
            (None, Some(before), TokenStatus::Expired(before)),
            (Some(before), None, TokenStatus::Revoked(before)),
            (Some(before), Some(before), TokenStatus::Revoked(before)),
            (Some(before), Some(after), TokenStatus::Revoked(before)),
        ];
        for (revoked, expires, want) in cases {
            assert_eq!(
                TokenStatus::at(revoked, expires, now),
                want,
                "{revoked:?} {expires:?}"
            );
        }
    }

    #[test]
    fn actors_are_named_by_id() {
        assert_eq!(ActorId::Token(3).stored(), "token:3");
        assert_eq!(ActorId::User(5).stored(), "user:5");
        assert_eq!(drafter(&[]).label(), "token 3 (Anna)");
    }
}
