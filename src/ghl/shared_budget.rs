//! GHL's daily request limit counted by every process on one Redis, as
//! [`super::shared_window`] counts the 10-second window: each resource's
//! day is a hash (`used`, and GHL's own `limit` once an answer named it)
//! under a key holding the UTC day's number, kept a little past the day's
//! end; a pause GHL asked for (no burst room left) is a key of its own
//! that expires with the pause. Scripts read and change them at once, so
//! two processes never both take the last call of the day. The rules are
//! [`super::budget`]'s.

use super::budget::{until_next_day, Observed, DAILY_LIMIT, DAY_MS, DEFAULT_INTERVAL_MS};
use crate::store::StoreResult;
use deadpool_redis::Pool;
use redis::Script;
use std::sync::LazyLock;
use std::time::Duration;

/// KEYS: the day's hash, the pause key. ARGV: now ms, default limit, ttl ms.
/// -1 when the day is used up; else counts the call and returns the ms
/// left of GHL's pause (0: none).
static TAKE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
        local used = tonumber(redis.call('HGET', KEYS[1], 'used') or '0')
        local limit = tonumber(redis.call('HGET', KEYS[1], 'limit') or ARGV[2])
        if used >= limit then return -1 end
        redis.call('HINCRBY', KEYS[1], 'used', 1)
        redis.call('PEXPIRE', KEYS[1], ARGV[3])
        local pause_until = tonumber(redis.call('GET', KEYS[2]) or '0')
        return math.max(0, pause_until - tonumber(ARGV[1]))
        "#,
    )
});

/// KEYS: the day's hash, the pause key. ARGV: GHL's daily limit, its
/// daily remaining, its pause in ms (each '' when not said), now ms,
/// default limit, ttl ms.
static OBSERVE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
        if ARGV[1] ~= '' then redis.call('HSET', KEYS[1], 'limit', ARGV[1]) end
        if ARGV[2] ~= '' then
            local limit = tonumber(redis.call('HGET', KEYS[1], 'limit') or ARGV[5])
            local floor = math.max(0, limit - tonumber(ARGV[2]))
            if floor > tonumber(redis.call('HGET', KEYS[1], 'used') or '0') then
                redis.call('HSET', KEYS[1], 'used', floor)
            end
        end
        redis.call('PEXPIRE', KEYS[1], ARGV[6])
        if ARGV[3] ~= '' then
            local pause = tonumber(ARGV[3])
            redis.call('SET', KEYS[2], tonumber(ARGV[4]) + pause, 'PX', math.max(1, pause))
        end
        return 0
        "#,
    )
});

/// The day's keys last this long past its end (clocks differ a little).
const KEEP_PAST_DAY_MS: i64 = 3600 * 1000;

pub struct SharedBudget {
    pool: Pool,
    prefix: String,
}

impl SharedBudget {
    pub fn new(pool: Pool, prefix: &str) -> Self {
        Self {
            pool,
            prefix: format!("{prefix}ghl:"),
        }
    }

    fn keys(&self, resource: &str, now_ms: i64) -> (String, String) {
        let day = now_ms.div_euclid(DAY_MS);
        let prefix = &self.prefix;
        (
            format!("{prefix}day:{day}:{resource}"),
            format!("{prefix}pause:{resource}"),
        )
    }

    fn ttl_ms(now_ms: i64) -> i64 {
        (now_ms.div_euclid(DAY_MS) + 1) * DAY_MS - now_ms + KEEP_PAST_DAY_MS
    }

    /// [`super::budget::DailyBudget::take`], counted on Redis; the outer
    /// error is Redis's.
    pub async fn take(&self, resource: &str, now_ms: i64) -> StoreResult<Result<Option<Duration>, Duration>> {
        let mut conn = self.pool.get().await?;
        let (day, pause) = self.keys(resource, now_ms);
        let answer: i64 = TAKE
            .key(day)
            .key(pause)
            .arg(now_ms)
            .arg(DAILY_LIMIT)
            .arg(Self::ttl_ms(now_ms))
            .invoke_async(&mut conn)
            .await?;
        Ok(match answer {
            ..0 => Err(until_next_day(now_ms)),
            0 => Ok(None),
            ms => Ok(Some(Duration::from_millis(ms as u64))),
        })
    }

    /// [`super::budget::DailyBudget::observe`], on Redis.
    pub async fn observe(&self, resource: &str, observed: Observed, now_ms: i64) -> StoreResult<()> {
        let said = |value: Option<u64>| value.map(|v| v.to_string()).unwrap_or_default();
        let pause =
            (observed.remaining == Some(0)).then(|| observed.interval_ms.unwrap_or(DEFAULT_INTERVAL_MS));
        let mut conn = self.pool.get().await?;
        let (day, pause_key) = self.keys(resource, now_ms);
        OBSERVE
            .key(day)
            .key(pause_key)
            .arg(said(observed.daily_limit))
            .arg(said(observed.daily_remaining))
            .arg(said(pause))
            .arg(now_ms)
            .arg(DAILY_LIMIT)
            .arg(Self::ttl_ms(now_ms))
            .invoke_async::<i64>(&mut conn)
            .await?;
        Ok(())
    }
}
