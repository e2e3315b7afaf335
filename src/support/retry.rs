//! Retry schedules: exponential backoff with jitter, indexed by the attempt
//! number (attempts are stored, so the schedule must not keep state), and
//! `Retry-After` honoured when the other side names a time. Kept here
//! rather than taken from the `backoff` crate the design card names: that
//! crate is unmaintained (RUSTSEC-2025-0012), and its stateful iterators
//! cannot resume from an attempt count read back from the store.

use std::time::Duration;

/// The longest `Retry-After` that is obeyed as given.
const RETRY_AFTER_CAP: Duration = Duration::from_secs(3600);

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetrySchedule {
    /// The pause after the first failed attempt.
    pub base: Duration,
    /// No pause is longer than this.
    pub max: Duration,
    /// How many attempts in all before giving up.
    pub max_attempts: u32,
}

impl RetrySchedule {
    /// The pause after `failed_attempts` failures (1 for the first), before
    /// jitter: base, 2×base, 4×base, ... capped at `max`.
    pub fn nominal_delay(&self, failed_attempts: u32) -> Duration {
        let doublings = failed_attempts.saturating_sub(1).min(30);
        self.base.saturating_mul(1u32 << doublings).min(self.max)
    }

    /// The pause with ±25 % jitter, so many failing clients do not retry in
    /// step; a `retry_after` from the server wins when it is longer.
    pub fn delay(&self, failed_attempts: u32, retry_after: Option<Duration>) -> Duration {
        let nominal = self.nominal_delay(failed_attempts);
        let jittered = nominal.mul_f64(rand::random_range(0.75..=1.25)).min(self.max);
        match retry_after {
            Some(asked) if asked > jittered => asked.min(RETRY_AFTER_CAP),
            _ => jittered,
        }
    }

    /// Whether another attempt is allowed after `failed_attempts` failures.
    pub fn allows_another(&self, failed_attempts: u32) -> bool {
        failed_attempts < self.max_attempts
    }
}

/// Reads a `Retry-After` header value: seconds, or an HTTP date.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = at
        .signed_duration_since(chrono::Utc::now())
        .to_std()
        .unwrap_or(Duration::ZERO);
    Some(wait)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule() -> RetrySchedule {
        RetrySchedule {
            base: Duration::from_secs(1),
            max: Duration::from_secs(60),
            max_attempts: 5,
        }
    }

    #[test]
    fn delays_double_up_to_the_cap() {
        let s = schedule();
        let secs: Vec<u64> = (1..=8).map(|n| s.nominal_delay(n).as_secs()).collect();
        assert_eq!(secs, vec![1, 2, 4, 8, 16, 32, 60, 60]);
        assert_eq!(s.nominal_delay(u32::MAX), Duration::from_secs(60));
    }

    #[test]
    fn jitter_stays_within_a_quarter() {
        let s = schedule();
        for _ in 0..200 {
            let d = s.delay(3, None);
            assert!(
                d >= Duration::from_secs(3) && d <= Duration::from_secs(5),
                "{d:?}"
            );
        }
    }

    #[test]
    fn a_longer_retry_after_wins() {
        let s = schedule();
        assert_eq!(s.delay(1, Some(Duration::from_secs(30))), Duration::from_secs(30));
        assert!(s.delay(4, Some(Duration::from_millis(1))) >= Duration::from_secs(6));
        assert_eq!(
            s.delay(1, Some(Duration::from_secs(7200))),
            Duration::from_secs(3600)
        );
    }

    #[test]
    fn attempts_run_out() {
        let s = schedule();
        assert!(s.allows_another(4));
        assert!(!s.allows_another(5));
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        assert_eq!(parse_retry_after(" 12 "), Some(Duration::from_secs(12)));
        let later = (chrono::Utc::now() + chrono::Duration::seconds(90)).to_rfc2822();
        let wait = parse_retry_after(&later).unwrap();
        assert!(wait > Duration::from_secs(80) && wait <= Duration::from_secs(90));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }
}
