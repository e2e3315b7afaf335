//! The instances' own webhooks in Redis: one hash of webhook id → the
//! webhook as JSON (it names its instance). Each write moves the routing
//! generation on in the same atomic step; there are few webhooks, so an
//! instance's are found by reading them all.

use super::{unavailable, RedisStore};
use crate::domain::{InstanceId, WebhookId};
use crate::store::{InstanceWebhook, StoreError, StoreResult, WebhookStore};
use async_trait::async_trait;
use redis::{AsyncCommands, Script};
use std::sync::LazyLock;

/// KEYS: webhooks, routing generation. ARGV: instance id. Removes the
/// instance's webhooks, moving the generation on when there were any.
static FORGET_INSTANCE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
        local all, removed = redis.call('HGETALL', KEYS[1]), 0
        for i = 1, #all, 2 do
            if cjson.decode(all[i + 1]).instanceId == ARGV[1] then
                redis.call('HDEL', KEYS[1], all[i])
                removed = removed + 1
            end
        end
        if removed > 0 then redis.call('INCR', KEYS[2]) end
        return removed
        "#,
    )
});

/// KEYS: webhooks, routing generation. ARGV: instance id, webhook id, the
/// webhook as JSON, the cap. Adds it unless the instance has the cap's
/// number of webhooks already: 1 when added, 0 when not.
static ADD_CAPPED: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
        local all, count = redis.call('HVALS', KEYS[1]), 0
        for _, json in ipairs(all) do
            if cjson.decode(json).instanceId == ARGV[1] then count = count + 1 end
        end
        if count >= tonumber(ARGV[4]) then return 0 end
        redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
        redis.call('INCR', KEYS[2])
        return 1
        "#,
    )
});

fn decode(json: &str) -> StoreResult<InstanceWebhook> {
    serde_json::from_str(json).map_err(|e| StoreError::Corrupt(format!("a stored webhook: {e}")))
}

/// Webhooks as stored (JSON), oldest first.
pub(super) fn decode_all(all: &[String]) -> StoreResult<Vec<InstanceWebhook>> {
    let mut hooks = all
        .iter()
        .map(|json| decode(json))
        .collect::<StoreResult<Vec<_>>>()?;
    hooks.sort_by_key(|hook| (hook.created_at_ms, hook.id));
    Ok(hooks)
}

impl RedisStore {
    /// Removes the instance's webhooks (before the instance itself goes).
    pub(super) async fn forget_webhooks(&self, instance: &InstanceId) -> StoreResult<()> {
        let mut conn = self.conn().await?;
        FORGET_INSTANCE
            .key(self.keys.webhooks())
            .key(self.keys.routing_generation())
            .arg(instance.as_str())
            .invoke_async::<u64>(&mut conn)
            .await
            .map(drop)
            .map_err(unavailable)
    }

    async fn all_webhooks(&self) -> StoreResult<Vec<InstanceWebhook>> {
        let mut conn = self.conn().await?;
        let all: Vec<String> = conn.hvals(self.keys.webhooks()).await.map_err(unavailable)?;
        decode_all(&all)
    }
}

#[async_trait]
impl WebhookStore for RedisStore {
    async fn save_webhook(&self, hook: &InstanceWebhook) -> StoreResult<()> {
        let json = serde_json::to_string(hook).expect("plain data serialises");
        let mut conn = self.conn().await?;
        redis::pipe()
            .atomic()
            .hset(self.keys.webhooks(), hook.id.to_string(), json)
            .incr(self.keys.routing_generation(), 1)
            .query_async::<()>(&mut conn)
            .await
            .map_err(unavailable)
    }

    async fn add_webhook(&self, hook: &InstanceWebhook, max: usize) -> StoreResult<bool> {
        let json = serde_json::to_string(hook).expect("plain data serialises");
        let mut conn = self.conn().await?;
        ADD_CAPPED
            .key(self.keys.webhooks())
            .key(self.keys.routing_generation())
            .arg(hook.instance_id.as_str())
            .arg(hook.id.to_string())
            .arg(json)
            .arg(max)
            .invoke_async::<u8>(&mut conn)
            .await
            .map(|added| added == 1)
            .map_err(unavailable)
    }

    async fn webhook(&self, id: WebhookId) -> StoreResult<Option<InstanceWebhook>> {
        let mut conn = self.conn().await?;
        let json: Option<String> = conn
            .hget(self.keys.webhooks(), id.to_string())
            .await
            .map_err(unavailable)?;
        json.as_deref().map(decode).transpose()
    }

    async fn webhooks_of(&self, instance: &InstanceId) -> StoreResult<Vec<InstanceWebhook>> {
        let mut hooks = self.all_webhooks().await?;
        hooks.retain(|hook| hook.instance_id == *instance);
        Ok(hooks)
    }

    async fn remove_webhook(&self, id: WebhookId) -> StoreResult<bool> {
        let mut conn = self.conn().await?;
        let (removed,): (u64,) = redis::pipe()
            .atomic()
            .hdel(self.keys.webhooks(), id.to_string())
            .incr(self.keys.routing_generation(), 1)
            .ignore()
            .query_async(&mut conn)
            .await
            .map_err(unavailable)?;
        Ok(removed > 0)
    }
}
