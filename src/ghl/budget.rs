//! GHL's limits beyond the 10-second window (docs/oauth/Authorization.md,
//! "What are current rate limits for API 2.0?" in GoHighLevel/highlevel-api-docs):
//! 200,000 requests a day per app and resource (a location or a company),
//! and the `X-RateLimit-*` headers on GHL's answers, which tell what GHL
//! itself counted (every process of this app together). A resource GHL
//! says has no burst room left waits out the interval it names; one past
//! its daily limit (by GHL's count or the calls made here today, UTC) is
//! refused until the next UTC day, so its jobs wait in the outbox. With
//! Redis the day is counted there by every process together
//! ([`super::shared_budget`]); this process's count is the fallback while
//! Redis does not answer.

use reqwest::header::HeaderMap;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// Requests a day per app and resource, unless GHL's header says otherwise.
pub const DAILY_LIMIT: u64 = 200_000;
pub const DAY_MS: i64 = 24 * 60 * 60 * 1000;
/// The burst interval when GHL names none (100 per 10 s).
pub const DEFAULT_INTERVAL_MS: u64 = 10_000;

/// The time left at `now_ms` until the next UTC day.
pub fn until_next_day(now_ms: i64) -> Duration {
    let next_day_ms = (now_ms.div_euclid(DAY_MS) + 1) * DAY_MS;
    Duration::from_millis((next_day_ms - now_ms) as u64)
}

/// What one answer's `X-RateLimit-*` headers said.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Observed {
    pub remaining: Option<u64>,
    pub interval_ms: Option<u64>,
    pub daily_limit: Option<u64>,
    pub daily_remaining: Option<u64>,
}

impl Observed {
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let number = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        Self {
            remaining: number("x-ratelimit-remaining"),
            interval_ms: number("x-ratelimit-interval-milliseconds"),
            daily_limit: number("x-ratelimit-limit-daily"),
            daily_remaining: number("x-ratelimit-daily-remaining"),
        }
    }
}

/// One resource's day.
#[derive(Debug, Default)]
struct Day {
    number: i64,
    used: u64,
    limit: Option<u64>,
    burst_until_ms: i64,
}

impl Day {
    fn limit(&self) -> u64 {
        self.limit.unwrap_or(DAILY_LIMIT)
    }
}

/// Each resource's calls today and GHL's last word on them.
#[derive(Default)]
pub struct DailyBudget {
    days: Mutex<HashMap<String, Day>>,
}

impl DailyBudget {
    fn with_day<T>(&self, resource: &str, now_ms: i64, f: impl FnOnce(&mut Day) -> T) -> T {
        let mut days = self.days.lock().unwrap_or_else(|p| p.into_inner());
        let day = days.entry(resource.to_owned()).or_default();
        let today = now_ms.div_euclid(DAY_MS);
        if day.number != today {
            *day = Day {
                number: today,
                burst_until_ms: day.burst_until_ms,
                ..Day::default()
            };
        }
        f(day)
    }

    /// Counts one call of `resource` at `now_ms`: `Ok` with how long GHL
    /// asked to pause first, if it did; `Err` with the time left until the
    /// next UTC day when today's limit is used up.
    pub fn take(&self, resource: &str, now_ms: i64) -> Result<Option<Duration>, Duration> {
        self.with_day(resource, now_ms, |day| {
            if day.used >= day.limit() {
                return Err(until_next_day(now_ms));
            }
            day.used += 1;
            let pause_ms = day.burst_until_ms - now_ms;
            Ok((pause_ms > 0).then(|| Duration::from_millis(pause_ms as u64)))
        })
    }

    /// Takes in what GHL's answer said about `resource`.
    pub fn observe(&self, resource: &str, observed: Observed, now_ms: i64) {
        self.with_day(resource, now_ms, |day| {
            if observed.daily_limit.is_some() {
                day.limit = observed.daily_limit;
            }
            if let Some(remaining) = observed.daily_remaining {
                day.used = day.used.max(day.limit().saturating_sub(remaining));
            }
            if observed.remaining == Some(0) {
                let interval = observed.interval_ms.unwrap_or(DEFAULT_INTERVAL_MS);
                day.burst_until_ms = now_ms + interval as i64;
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOON: i64 = 20_000 * DAY_MS + DAY_MS / 2;

    #[test]
    fn headers_are_read_by_their_documented_names() {
        let mut headers = HeaderMap::new();
        headers.insert("X-RateLimit-Remaining", "0".parse().unwrap());
        headers.insert("X-RateLimit-Interval-Milliseconds", "10000".parse().unwrap());
        headers.insert("X-RateLimit-Limit-Daily", "200000".parse().unwrap());
        headers.insert("X-RateLimit-Daily-Remaining", "12".parse().unwrap());
        let observed = Observed::from_headers(&headers);
        assert_eq!(
            observed,
            Observed {
                remaining: Some(0),
                interval_ms: Some(10_000),
                daily_limit: Some(200_000),
                daily_remaining: Some(12),
            }
        );
        assert_eq!(Observed::from_headers(&HeaderMap::new()), Observed::default());
    }

    #[test]
    fn no_burst_room_pauses_for_ghls_interval() {
        let budget = DailyBudget::default();
        let spent = Observed {
            remaining: Some(0),
            interval_ms: Some(4_000),
            ..Observed::default()
        };
        budget.observe("loc", spent, NOON);
        assert_eq!(budget.take("loc", NOON + 1_000), Ok(Some(Duration::from_secs(3))));
        assert_eq!(budget.take("loc", NOON + 4_000), Ok(None));
        assert_eq!(budget.take("other", NOON), Ok(None));
    }

    #[test]
    fn a_used_up_day_refuses_until_the_next_utc_day() {
        let budget = DailyBudget::default();
        let last = Observed {
            daily_remaining: Some(1),
            ..Observed::default()
        };
        budget.observe("loc", last, NOON);
        assert_eq!(budget.take("loc", NOON), Ok(None));
        assert_eq!(
            budget.take("loc", NOON),
            Err(Duration::from_millis((DAY_MS / 2) as u64))
        );
        assert_eq!(budget.take("loc", NOON + DAY_MS), Ok(None), "a new day");
    }

    #[test]
    fn calls_made_here_count_toward_the_day() {
        let budget = DailyBudget::default();
        let small = Observed {
            daily_limit: Some(2),
            ..Observed::default()
        };
        budget.observe("co", small, NOON);
        assert!(budget.take("co", NOON).is_ok() && budget.take("co", NOON).is_ok());
        assert!(budget.take("co", NOON).is_err());
    }
}
