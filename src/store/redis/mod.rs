//! The Redis backend (REDIS_URL set), so several gateway processes can
//! share one state. Every key starts with one prefix (`REDIS_PREFIX`).
//! Multi-key changes run as Lua scripts, so each is atomic: a send is
//! queued with its idempotency key in one step, an inbound message with its
//! forward, a status change with the queue it leaves.

mod fields;
mod instances;
mod keys;
mod outbox;
mod queue;
mod scripts;

use super::{StoreError, StoreResult};
use deadpool_redis::{Config, Connection, Pool, Runtime};
pub use keys::Keys;

#[derive(Clone)]
pub struct RedisStore {
    pool: Pool,
    keys: Keys,
}

impl RedisStore {
    /// Connects (checking that Redis answers) with keys under `prefix`.
    pub async fn open(url: &str, prefix: &str) -> StoreResult<Self> {
        let pool = Config::from_url(url)
            .create_pool(Some(Runtime::Tokio1))
            .map_err(|e| StoreError::Unavailable(format!("bad REDIS_URL: {e}")))?;
        let store = Self {
            pool,
            keys: Keys::new(prefix),
        };
        let mut conn = store.conn().await?;
        let _: String = redis::cmd("PING")
            .query_async(&mut conn)
            .await
            .map_err(unavailable)?;
        Ok(store)
    }

    async fn conn(&self) -> StoreResult<Connection> {
        self.pool
            .get()
            .await
            .map_err(|e| StoreError::Unavailable(format!("Redis: {e}")))
    }
}

fn unavailable(e: redis::RedisError) -> StoreError {
    StoreError::Unavailable(format!("Redis: {e}"))
}
