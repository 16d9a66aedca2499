//! Time, injectable so that tests can register a note at 23:30 on New Year's Eve.
//! The registry's year is the Europe/Brussels calendar year, whatever the server's zone.

use std::sync::{LazyLock, Mutex};

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

/// Brussels' rules ship inside the binary (jiff's bundled tzdb), so the year never depends
/// on the host's zoneinfo.
static BRUSSELS: LazyLock<TimeZone> = LazyLock::new(|| {
    TimeZone::get("Europe/Brussels").expect("the bundled time zone database has Europe/Brussels")
});

pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}

/// The real time.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock that shows what it is set to: for tests and for replaying a day.
pub struct FixedClock(Mutex<Timestamp>);

impl FixedClock {
    pub fn new(at: Timestamp) -> Self {
        Self(Mutex::new(at))
    }

    pub fn set(&self, at: Timestamp) {
        *self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = at;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        *self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The calendar date in Brussels at `at`.
pub fn brussels_date(at: Timestamp) -> Date {
    at.to_zoned(BRUSSELS.clone()).date()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(ts: &str) -> Date {
        brussels_date(ts.parse().unwrap())
    }

    #[test]
    fn the_year_turns_at_midnight_in_brussels_not_utc() {
        assert_eq!(date("2026-12-31T22:59:59Z"), Date::constant(2026, 12, 31));
        assert_eq!(date("2026-12-31T23:00:00Z"), Date::constant(2027, 1, 1));
        assert_eq!(date("2026-12-31T23:30:00Z").year(), 2027);
        // Summer time: UTC+2.
        assert_eq!(date("2026-06-30T22:30:00Z"), Date::constant(2026, 7, 1));
    }

    #[test]
    fn a_fixed_clock_can_be_moved() {
        let clock = FixedClock::new("2026-01-01T00:00:00Z".parse().unwrap());
        clock.set("2027-01-01T00:00:00Z".parse().unwrap());
        assert_eq!(clock.now().to_string(), "2027-01-01T00:00:00Z");
    }
}
