//! GHL's per-location request budget shared by every process on one Redis:
//! a sorted set of request times per location, trimmed and counted by one
//! script, so several workers together stay within 100 per 10 seconds.

use crate::store::StoreResult;
use deadpool_redis::Pool;
use redis::Script;
use std::sync::LazyLock;
use std::time::Duration;

/// KEYS: the location's window. ARGV: now ms, window ms, limit, member.
/// Counts a request when the window has room (returns 0); otherwise
/// returns how many ms until it will.
static TAKE_SLOT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
        local now, window = tonumber(ARGV[1]), tonumber(ARGV[2])
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
        if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[3]) then
            redis.call('ZADD', KEYS[1], now, ARGV[4])
            redis.call('PEXPIRE', KEYS[1], window)
            return 0
        end
        local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
        return math.max(1, tonumber(oldest[2]) + window - now)
        "#,
    )
});

pub struct SharedWindow {
    pool: Pool,
    prefix: String,
}

impl SharedWindow {
    pub fn new(pool: Pool, prefix: &str) -> Self {
        Self {
            pool,
            prefix: format!("{prefix}ghl:rate:"),
        }
    }

    /// Counts one request for `location` if the shared window has room;
    /// otherwise how long to wait. An error is Redis's (unavailable, or
    /// out of memory: a full store).
    pub async fn try_take(
        &self,
        location: &str,
        limit: usize,
        window: Duration,
    ) -> StoreResult<Option<Duration>> {
        let mut conn = self.pool.get().await?;
        let member = uuid::Uuid::new_v4().simple().to_string();
        let wait_ms: u64 = TAKE_SLOT
            .key(format!("{}{location}", self.prefix))
            .arg(crate::support::clock::now_ms())
            .arg(window.as_millis() as u64)
            .arg(limit)
            .arg(member)
            .invoke_async(&mut conn)
            .await?;
        Ok((wait_ms > 0).then(|| Duration::from_millis(wait_ms)))
    }
}
