//! GHL's daily request count with several processes on one Redis: what
//! one process counted or heard from GHL (`X-RateLimit-*`) binds the
//! others, per resource and per UTC day (src/ghl/shared_budget.rs).

use reqwest::header::HeaderMap;
use std::time::Duration;
use wagate::ghl::budget::{Observed, DAY_MS};
use wagate::ghl::rate_limit::RateLimiter;
use wagate::ghl::shared_budget::SharedBudget;
use wagate::ghl::shared_window::SharedWindow;

fn pool() -> deadpool_redis::Pool {
    wagate::store::redis::pool(&crate::common::redis_url()).unwrap()
}

/// A process's rate limiter on the shared Redis under `prefix`.
fn process(prefix: &str) -> RateLimiter {
    RateLimiter::shared(
        SharedWindow::new(pool(), prefix),
        SharedBudget::new(pool(), prefix),
    )
}

#[tokio::test]
async fn a_day_used_up_through_one_process_is_used_up_for_all() {
    let prefix = format!("wagate-test:{}:", uuid::Uuid::new_v4().simple());
    let (first, second) = (process(&prefix), process(&prefix));
    let mut headers = HeaderMap::new();
    headers.insert("x-ratelimit-limit-daily", "1000".parse().unwrap());
    headers.insert("x-ratelimit-daily-remaining", "2".parse().unwrap());
    first.observe("loc1", &headers).await;
    assert_eq!(second.acquire("loc1").await, Ok(()));
    assert_eq!(first.acquire("loc1").await, Ok(()));
    let refused = second.acquire("loc1").await;
    assert!(
        refused.is_err_and(|wait| wait <= Duration::from_millis(DAY_MS as u64)),
        "the third call of the two left is refused until tomorrow: {refused:?}"
    );
    assert_eq!(first.acquire("loc2").await, Ok(()), "resources apart");
    crate::common::remove_redis_keys(&prefix).await;
}

#[tokio::test]
async fn the_shared_day_counts_calls_ends_at_midnight_and_shares_ghls_pauses() {
    let prefix = format!("wagate-test:{}:", uuid::Uuid::new_v4().simple());
    let (first, second) = (
        SharedBudget::new(pool(), &prefix),
        SharedBudget::new(pool(), &prefix),
    );
    let noon = 20_000 * DAY_MS + DAY_MS / 2;
    let limit = Observed {
        daily_limit: Some(3),
        ..Observed::default()
    };
    second.observe("co1", limit, noon).await.unwrap();
    for process in [&first, &second, &first] {
        assert_eq!(process.take("co1", noon).await.unwrap(), Ok(None));
    }
    let half_a_day = Duration::from_millis((DAY_MS / 2) as u64);
    assert_eq!(second.take("co1", noon).await.unwrap(), Err(half_a_day));
    assert_eq!(
        first.take("co1", noon + DAY_MS).await.unwrap(),
        Ok(None),
        "a new day"
    );

    let no_burst_room = Observed {
        remaining: Some(0),
        interval_ms: Some(4_000),
        ..Observed::default()
    };
    first.observe("loc3", no_burst_room, noon).await.unwrap();
    let paused = second.take("loc3", noon + 1_000).await.unwrap();
    assert!(
        paused.is_ok_and(|p| p.is_some_and(|p| p > Duration::ZERO && p <= Duration::from_secs(3))),
        "the other process waits out GHL's pause: {paused:?}"
    );
    crate::common::remove_redis_keys(&prefix).await;
}
