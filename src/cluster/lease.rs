//! Instance ownership in Redis: a lease per instance (`SET NX PX`, renewed
//! by its holder) carrying a fencing token that grows with every new
//! owner, and a heartbeat per process so each knows how many share the work.

use crate::store::{StoreError, StoreResult};
use deadpool_redis::{Connection, Pool};
use redis::{AsyncCommands, Script};
use std::sync::LazyLock;
use std::time::Duration;

/// KEYS: lease, fencing counter. ARGV: node, lease ms.
/// Takes a free lease; returns the new fencing token, or 0 when held.
static ACQUIRE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
        if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
        local token = redis.call('INCR', KEYS[2])
        redis.call('SET', KEYS[1], ARGV[1] .. '|' .. token, 'PX', ARGV[2])
        return token
        "#,
    )
});

/// KEYS: lease. ARGV: holder value, lease ms. Renews only our own lease.
static RENEW: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
        return 0
        "#,
    )
});

/// KEYS: lease. ARGV: holder value. Releases only our own lease.
static RELEASE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        "#,
    )
});

/// A held lease: the value that proves it is ours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    pub fencing_token: i64,
    value: String,
}

pub struct Leases {
    pool: Pool,
    prefix: String,
    pub node: String,
    pub ttl: Duration,
}

impl Leases {
    pub fn new(pool: Pool, prefix: &str, node: &str, ttl: Duration) -> Self {
        Self {
            pool,
            prefix: prefix.to_owned(),
            node: node.to_owned(),
            ttl,
        }
    }

    async fn conn(&self) -> StoreResult<Connection> {
        Ok(self.pool.get().await?)
    }

    fn lease_key(&self, instance: &str) -> String {
        format!("{}lease:{instance}", self.prefix)
    }

    fn ttl_ms(&self) -> u64 {
        self.ttl.as_millis() as u64
    }

    pub async fn acquire(&self, instance: &str) -> StoreResult<Option<Held>> {
        let mut conn = self.conn().await?;
        let token: i64 = ACQUIRE
            .key(self.lease_key(instance))
            .key(format!("{}fence:{instance}", self.prefix))
            .arg(&self.node)
            .arg(self.ttl_ms())
            .invoke_async(&mut conn)
            .await?;
        Ok((token > 0).then(|| Held {
            fencing_token: token,
            value: format!("{}|{token}", self.node),
        }))
    }

    /// False when the lease is no longer ours.
    pub async fn renew(&self, instance: &str, held: &Held) -> StoreResult<bool> {
        let mut conn = self.conn().await?;
        let renewed: i64 = RENEW
            .key(self.lease_key(instance))
            .arg(&held.value)
            .arg(self.ttl_ms())
            .invoke_async(&mut conn)
            .await?;
        Ok(renewed == 1)
    }

    pub async fn release(&self, instance: &str, held: &Held) -> StoreResult<()> {
        let mut conn = self.conn().await?;
        RELEASE
            .key(self.lease_key(instance))
            .arg(&held.value)
            .invoke_async::<i64>(&mut conn)
            .await?;
        Ok(())
    }

    /// The node holding each instance's lease (None: free).
    pub async fn owners(&self, instances: &[String]) -> StoreResult<Vec<Option<String>>> {
        if instances.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = self.conn().await?;
        let keys: Vec<String> = instances.iter().map(|i| self.lease_key(i)).collect();
        let values: Vec<Option<String>> = conn.mget(keys).await?;
        Ok(values
            .into_iter()
            .map(|v| v.and_then(|v| v.split('|').next().map(str::to_owned)))
            .collect())
    }

    /// Marks this process alive and returns how many processes are.
    pub async fn heartbeat(&self, now_ms: i64) -> StoreResult<usize> {
        let key = format!("{}nodes", self.prefix);
        let mut conn = self.conn().await?;
        let (_, _, alive): ((), (), usize) = redis::pipe()
            .zadd(&key, &self.node, now_ms + self.ttl_ms() as i64)
            .zrembyscore(&key, "-inf", now_ms)
            .zcard(&key)
            .query_async(&mut conn)
            .await?;
        Ok(alive.max(1))
    }

    /// Removes this process from the live ones (on a clean stop).
    pub async fn leave(&self) -> StoreResult<()> {
        let mut conn = self.conn().await?;
        conn.zrem::<_, _, ()>(format!("{}nodes", self.prefix), &self.node)
            .await
            .map_err(StoreError::from)
    }
}
