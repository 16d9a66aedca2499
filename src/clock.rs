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

/// A clock set to an instant that then runs at real speed: tests register a note at 23:30
/// on New Year's Eve, or jump three days ahead, while retries and leases still fall due.
pub struct ShiftedClock(Mutex<(Timestamp, std::time::Instant)>);

impl ShiftedClock {
    pub fn new(at: Timestamp) -> Self {
        Self(Mutex::new((at, std::time::Instant::now())))
    }

    pub fn set(&self, at: Timestamp) {
        *self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = (at, std::time::Instant::now());
    }
}

impl Clock for ShiftedClock {
    fn now(&self) -> Timestamp {
        let (at, since) = *self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let elapsed = jiff::SignedDuration::try_from(since.elapsed()).unwrap_or_default();
        at.checked_add(elapsed).unwrap_or(at)
    }
}

/// `at + d`, or the end of time when that is past it: `check` bounds configured durations,
/// but nothing that adds one may panic on a value that got past it.
pub fn later(at: Timestamp, d: std::time::Duration) -> Timestamp {
    jiff::SignedDuration::try_from(d)
        .ok()
        .and_then(|d| at.checked_add(d).ok())
        .unwrap_or(Timestamp::MAX)
}

/// The calendar date in Brussels at `at`.
pub fn brussels_date(at: Timestamp) -> Date {
    in_brussels(at).date()
}

/// "22 November 2026, 10:00" in Brussels, for emails and pages.
pub fn brussels_time(at: Timestamp) -> String {
    in_brussels(at).strftime("%-d %B %Y, %H:%M").to_string()
}

/// `at` on Brussels' wall clock.
pub fn in_brussels(at: Timestamp) -> jiff::Zoned {
    at.to_zoned(BRUSSELS.clone())
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
    fn a_shifted_clock_can_be_moved_and_runs_on() {
        let clock = ShiftedClock::new("2026-01-01T00:00:00Z".parse().unwrap());
        let set: Timestamp = "2027-01-01T00:00:00Z".parse().unwrap();
        clock.set(set);
        let first = clock.now();
        std::thread::sleep(std::time::Duration::from_millis(5));
        let second = clock.now();
        assert!(set <= first && first < second, "{set} {first} {second}");
        assert!(second < set + jiff::SignedDuration::from_secs(5));
    }
}
