//! The Redis backend (REDIS_URL set), so several gateway processes can
//! share one state. Every key starts with one prefix (`REDIS_PREFIX`).
//! Multi-key changes run as Lua scripts, so each is atomic: a send is
//! queued with its idempotency key in one step, an inbound message with its
//! forwards, a status change with the queue it leaves.

mod error;
mod fields;
mod ghl;
mod group_contacts;
mod instances;
mod keys;
mod link;
mod outbox;
mod queue;
mod routes;
mod scripts;
mod sending;
mod webhooks;

use super::{StoreError, StoreResult};
use deadpool_redis::{Config, Pool, PoolConfig, Runtime, Timeouts};
use error::unavailable;
pub use keys::Keys;

#[derive(Clone)]
pub struct RedisStore {
    link: link::Link,
    keys: Keys,
}

impl RedisStore {
    /// Connects (checking that Redis answers) with keys under `prefix`.
    pub async fn open(url: &str, prefix: &str) -> StoreResult<Self> {
        let store = Self {
            link: link::Link::new(url)?,
            keys: Keys::new(prefix),
        };
        let mut conn = store.conn().await?;
        let _: String = redis::cmd("PING")
            .query_async(&mut conn)
            .await
            .map_err(unavailable)?;
        Ok(store)
    }

    async fn conn(&self) -> StoreResult<link::LinkConnection> {
        self.link.conn().await
    }
}

/// Connections for one process. Nothing holds two at once, and a wait for
/// one is bounded, so a busy pool answers with an error rather than hanging.
pub fn pool(url: &str) -> StoreResult<Pool> {
    let mut config = Config::from_url(url);
    let mut limits = PoolConfig::new(POOL_SIZE);
    limits.timeouts = Timeouts {
        wait: Some(POOL_WAIT),
        create: Some(POOL_WAIT),
        recycle: Some(POOL_WAIT),
    };
    config.pool = Some(limits);
    config
        .create_pool(Some(Runtime::Tokio1))
        .map_err(|e| StoreError::Unavailable(format!("bad REDIS_URL: {e}")))
}

const POOL_SIZE: usize = 32;
const POOL_WAIT: std::time::Duration = std::time::Duration::from_secs(5);
