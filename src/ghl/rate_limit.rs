//! GHL's rate limit, kept on our side: at most 100 requests per 10 seconds
//! for each location (per app). A call waits for a free slot rather than
//! collecting 429s. The window is per process.

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
        }
    }

    /// Waits until `location` may make one more request, and counts it.
    pub async fn acquire(&self, location: &str) {
        while let Some(wait) = self.try_acquire(location, Instant::now()) {
            tokio::time::sleep(wait).await;
        }
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
