//! Redis's errors as the store's, for everything in the process that talks
//! to Redis (the store, the cluster's leases and messages, GHL's shared
//! rate counts): OOM (maxmemory reached, writes refused) reads as a full
//! store, everything else as unavailable, so a Redis out of memory is
//! reported the same way wherever it is met. `?` converts both Redis's and
//! the connection pool's errors.

use crate::store::StoreError;
use deadpool_redis::PoolError;
use redis::RedisError;

impl From<RedisError> for StoreError {
    fn from(e: RedisError) -> Self {
        match e.code() {
            Some("OOM") => StoreError::Full(format!("Redis: {e}")),
            _ => StoreError::Unavailable(format!("Redis: {e}")),
        }
    }
}

/// A connection that could not be had: Redis's own refusal as above, a
/// wait that ran out or a closed pool as unavailable.
impl From<PoolError> for StoreError {
    fn from(e: PoolError) -> Self {
        match e {
            PoolError::Backend(e) => e.into(),
            other => StoreError::Unavailable(format!("Redis: {other}")),
        }
    }
}

/// For `map_err`: [`StoreError::from`] on a Redis error.
pub(super) fn unavailable(e: RedisError) -> StoreError {
    e.into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use deadpool_redis::TimeoutType;
    use redis::ErrorKind;

    /// Redis's answer when maxmemory is reached and the command may grow
    /// the data set (redis.io, "Key eviction": noeviction policy).
    fn out_of_memory() -> RedisError {
        let reply = "-OOM command not allowed when used memory > 'maxmemory'.\r\n";
        let parsed = redis::parse_redis_value(reply.as_bytes()).expect("a reply");
        parsed.extract_error().expect_err("an error reply")
    }

    #[test]
    fn out_of_memory_reads_as_a_full_store() {
        let e = StoreError::from(out_of_memory());
        assert!(
            matches!(&e, StoreError::Full(m) if m.contains("command not allowed when used memory")),
            "{e}"
        );
        let through_pool = StoreError::from(PoolError::Backend(out_of_memory()));
        assert!(matches!(through_pool, StoreError::Full(_)), "{through_pool}");
    }

    #[test]
    fn other_failures_read_as_unavailable() {
        let refused = RedisError::from((ErrorKind::Io, "connection refused"));
        assert!(matches!(StoreError::from(refused), StoreError::Unavailable(_)));
        let waited = StoreError::from(PoolError::Timeout(TimeoutType::Wait));
        assert!(
            matches!(&waited, StoreError::Unavailable(m) if m.starts_with("Redis: ")),
            "{waited}"
        );
        let closed = StoreError::from(PoolError::Closed);
        assert!(matches!(closed, StoreError::Unavailable(_)));
    }
}
