//! Scale-out: the Redis several processes share, and what this process
//! does among them.

use super::Role;
use clap::Args;

#[derive(Debug, Clone, Args)]
pub struct RedisSection {
    /// Redis for scale-out. Unset: the embedded SQLite store.
    #[arg(
        id = "redis_url",
        long = "redis-url",
        env = "REDIS_URL",
        hide_env_values = true
    )]
    pub url: Option<String>,
    /// The start of every Redis key this gateway writes.
    #[arg(
        id = "redis_prefix",
        long = "redis-prefix",
        env = "REDIS_PREFIX",
        default_value = "wagate:"
    )]
    pub prefix: String,
    /// all, api (HTTP only) or worker (sessions and queues only); api and worker need REDIS_URL.
    #[arg(long, env = "ROLE", value_enum, default_value = "all")]
    pub role: Role,
    /// How long an instance's ownership lease lasts without renewal, in ms (Redis only).
    #[arg(long, env = "LEASE_MS", default_value_t = 15_000)]
    pub lease_ms: u64,
}

impl RedisSection {
    pub(super) fn validate(&self) -> Result<(), String> {
        if let Some(url) = &self.url {
            if !url.starts_with("redis://") && !url.starts_with("rediss://") {
                return Err("REDIS_URL must start with redis:// or rediss://".into());
            }
        }
        if self.role != Role::All && self.url.is_none() {
            return Err(
                "ROLE api or worker needs REDIS_URL: processes share their work through Redis".into(),
            );
        }
        if self.lease_ms < 1000 {
            return Err("LEASE_MS must be at least 1000".into());
        }
        Ok(())
    }
}
