//! When to try a deferred message again.

use std::time::Duration;

/// The delay before try `attempt + 1` after `attempt` transient failures: `initial`
/// doubled each time, capped at `max`, then scaled by `jitter` (0.0 to 1.0) into its upper
/// half, so that messages deferred together do not all come back at the same instant.
pub fn backoff(initial: Duration, max: Duration, attempt: i64, jitter: f64) -> Duration {
    let doublings = u32::try_from(attempt.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
    let full = initial.saturating_mul(1 << doublings).min(max);
    full.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_the_cap_and_jitters_in_the_upper_half() {
        let s = Duration::from_secs;
        let (initial, max) = (s(30), s(1800));
        let table = [
            (1, s(30)),
            (2, s(60)),
            (3, s(120)),
            (6, s(960)),
            (7, s(1800)),
            (60, s(1800)),
        ];
        for (attempt, full) in table {
            assert_eq!(
                backoff(initial, max, attempt, 1.0),
                full,
                "attempt {attempt}"
            );
            assert_eq!(
                backoff(initial, max, attempt, 0.0),
                full / 2,
                "attempt {attempt}"
            );
        }
        assert_eq!(backoff(initial, max, 0, 1.0), s(30));
        assert!(backoff(initial, max, 2, 0.5) > s(30) && backoff(initial, max, 2, 0.5) < s(60));
    }
}
