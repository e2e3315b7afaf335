//! Where this process's state lives, decided once at start: in the
//! embedded store (this one process runs every instance) or in Redis
//! (processes share the instances by lease). Everything that differs
//! between the two, the stores, the leases, the requests to other
//! processes, the sender's tenure and GHL's rate window, is asked of this
//! value, so nothing else reads REDIS_URL.

use crate::cluster::lease::Leases;
use crate::cluster::remote::Remote;
use crate::cluster::tenure::Tenure;
use crate::config::Settings;
use crate::ghl::rate_limit::RateLimiter;
use crate::ghl::shared_budget::SharedBudget;
use crate::ghl::shared_window::SharedWindow;
use crate::store::{StoreResult, Stores};
use deadpool_redis::Pool;
use std::path::Path;
use std::time::Duration;

pub enum Deployment {
    Embedded,
    Shared(SharedRedis),
}

/// The Redis every process of the deployment shares.
pub struct SharedRedis {
    url: String,
    prefix: String,
    /// The process's one pool: leases, requests to other processes and
    /// GHL's window. (The store multiplexes its calls on a connection of
    /// its own, see `store::redis::link`.)
    pool: Pool,
    lease: Duration,
}

impl Deployment {
    pub fn from_settings(settings: &Settings) -> StoreResult<Self> {
        let Some(url) = &settings.redis.url else {
            return Ok(Self::Embedded);
        };
        Ok(Self::Shared(SharedRedis {
            url: url.clone(),
            prefix: settings.redis.prefix.clone(),
            pool: crate::store::redis::pool(url)?,
            lease: Duration::from_millis(settings.redis.lease_ms),
        }))
    }

    /// Opens the store: Redis, or the embedded file in `session_dir`.
    pub async fn open_stores(&self, session_dir: &Path) -> StoreResult<Stores> {
        let redis = match self {
            Self::Embedded => None,
            Self::Shared(redis) => Some((redis.url.as_str(), redis.prefix.as_str())),
        };
        Stores::open(session_dir, redis).await
    }

    /// How long sessions here may act: while their lease lasts a third of
    /// its time longer (a renewal's worth), or always when embedded.
    pub fn tenure(&self) -> Tenure {
        match self {
            Self::Embedded => Tenure::unlimited(),
            Self::Shared(redis) => Tenure::leased(redis.lease / 3),
        }
    }

    /// Requests to and from other processes; None when embedded.
    pub fn remote(&self) -> Option<Remote> {
        let Self::Shared(redis) = self else {
            return None;
        };
        Some(Remote::new(redis.pool.clone(), &redis.prefix, &redis.url))
    }

    /// This node's instance leases; None when embedded.
    pub fn leases(&self, node: &str) -> Option<Leases> {
        let Self::Shared(redis) = self else {
            return None;
        };
        Some(Leases::new(redis.pool.clone(), &redis.prefix, node, redis.lease))
    }

    /// GHL's rate window: counted across processes, or in this one.
    pub fn ghl_rate_limiter(&self) -> RateLimiter {
        match self {
            Self::Embedded => RateLimiter::default(),
            Self::Shared(redis) => RateLimiter::shared(
                SharedWindow::new(redis.pool.clone(), &redis.prefix),
                SharedBudget::new(redis.pool.clone(), &redis.prefix),
            ),
        }
    }
}
