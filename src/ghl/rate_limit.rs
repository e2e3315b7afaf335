//! GHL's rate limit, kept on our side: at most 100 requests per 10 seconds
//! for each location (per app). A call waits for a free slot rather than
//! collecting 429s. With Redis the window is shared by every process; the
//! process's own window is the fallback while Redis does not answer (and
//! the whole budget with the embedded store, which serves one process).
//! GHL's daily limit and what its `X-RateLimit-*` headers say are kept in
//! [`super::budget`] (on Redis: [`super::shared_budget`], shared the same
//! way, with the same fallback). A "location" here is any resource GHL counts by: a
//! location, or a company for agency-level calls.

use super::budget::{DailyBudget, Observed};
use super::shared_budget::SharedBudget;
use super::shared_window::SharedWindow;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

pub const REQUESTS_PER_WINDOW: usize = 100;
pub const WINDOW: Duration = Duration::from_secs(10);

/// A sliding window of request times per location.
pub struct RateLimiter {
    limit: usize,
    window: Duration,
    recent: Mutex<HashMap<String, VecDeque<Instant>>>,
    shared: Option<SharedWindow>,
    daily: DailyBudget,
    shared_daily: Option<SharedBudget>,
}

impl Default for RateLimiter {
    fn default() -> Self {
        Self::new(REQUESTS_PER_WINDOW, WINDOW)
    }
}

impl RateLimiter {
    pub fn new(limit: usize, window: Duration) -> Self {
        Self {
            limit,
            window,
            recent: Mutex::new(HashMap::new()),
            shared: None,
            daily: DailyBudget::default(),
            shared_daily: None,
        }
    }

    /// The same limits, counted across processes: the window in `shared`,
    /// the day in `daily`.
    pub fn shared(shared: SharedWindow, daily: SharedBudget) -> Self {
        Self {
            shared: Some(shared),
            shared_daily: Some(daily),
            ..Self::default()
        }
    }

    /// Waits until `location` may make one more request, and counts it;
    /// `Err` with the time until the next UTC day when its daily limit is
    /// used up.
    pub async fn acquire(&self, location: &str) -> Result<(), Duration> {
        if let Some(pause) = self.take_daily(location).await? {
            tokio::time::sleep(pause).await;
        }
        loop {
            let wait = match &self.shared {
                Some(shared) => match shared.try_take(location, self.limit, self.window).await {
                    Ok(wait) => wait,
                    Err(e) => {
                        tracing::debug!(error = %e, "shared GHL rate window unavailable; counting locally");
                        self.try_acquire(location, Instant::now())
                    }
                },
                None => self.try_acquire(location, Instant::now()),
            };
            match wait {
                Some(wait) => tokio::time::sleep(wait).await,
                None => return Ok(()),
            }
        }
    }

    /// Counts the call toward `location`'s day: [`DailyBudget::take`].
    async fn take_daily(&self, location: &str) -> Result<Option<Duration>, Duration> {
        let now_ms = crate::support::clock::now_ms();
        if let Some(shared) = &self.shared_daily {
            match shared.take(location, now_ms).await {
                Ok(taken) => return taken,
                Err(e) => tracing::debug!(error = %e, "shared GHL daily count unavailable; counting locally"),
            }
        }
        self.daily.take(location, now_ms)
    }

    /// Takes in the `X-RateLimit-*` headers of GHL's answer for `location`.
    pub async fn observe(&self, location: &str, headers: &reqwest::header::HeaderMap) {
        let observed = Observed::from_headers(headers);
        let now_ms = crate::support::clock::now_ms();
        if let Some(shared) = &self.shared_daily {
            match shared.observe(location, observed, now_ms).await {
                Ok(()) => return,
                Err(e) => tracing::debug!(error = %e, "shared GHL daily count unavailable; noting locally"),
            }
        }
        self.daily.observe(location, observed, now_ms);
    }

    /// Counts a request at `now` when the window has room; otherwise how
    /// long until it will.
    fn try_acquire(&self, location: &str, now: Instant) -> Option<Duration> {
        let mut recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        let times = recent.entry(location.to_owned()).or_default();
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window)
        {
            times.pop_front();
        }
        if times.len() < self.limit {
            times.push_back(now);
            return None;
        }
        let oldest = *times.front().expect("a full window has a first entry");
        Some(self.window - now.duration_since(oldest))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_window_waits_for_its_oldest_request_to_age_out() {
        let limiter = RateLimiter::new(3, Duration::from_secs(10));
        let start = Instant::now();
        for n in 0..3 {
            assert_eq!(limiter.try_acquire("loc", start + Duration::from_secs(n)), None);
        }
        assert_eq!(
            limiter.try_acquire("loc", start + Duration::from_secs(4)),
            Some(Duration::from_secs(6))
        );
        assert_eq!(limiter.try_acquire("loc", start + Duration::from_secs(10)), None);
    }

    #[test]
    fn locations_have_windows_of_their_own() {
        let limiter = RateLimiter::new(1, Duration::from_secs(10));
        let now = Instant::now();
        assert_eq!(limiter.try_acquire("a", now), None);
        assert_eq!(limiter.try_acquire("b", now), None);
        assert!(limiter.try_acquire("a", now).is_some());
    }
}
