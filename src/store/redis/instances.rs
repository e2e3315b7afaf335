//! The instance registry: one hash, instance id → record as JSON.

use super::{unavailable, RedisStore};
use crate::domain::InstanceId;
use crate::store::{InstanceRecord, InstanceRegistry, StoreError, StoreResult};
use async_trait::async_trait;
use redis::AsyncCommands;
use serde::{Deserialize, Serialize};

/// The stored form of an [`InstanceRecord`].
#[derive(Serialize, Deserialize)]
struct Stored {
    id: String,
    alias: Option<String>,
    phone: Option<String>,
    created_at_ms: i64,
    last_connected_at_ms: Option<i64>,
    last_error: Option<String>,
}

fn encode(r: &InstanceRecord) -> String {
    let stored = Stored {
        id: r.id.to_string(),
        alias: r.alias.clone(),
        phone: r.phone.clone(),
        created_at_ms: r.created_at_ms,
        last_connected_at_ms: r.last_connected_at_ms,
        last_error: r.last_error.clone(),
    };
    serde_json::to_string(&stored).expect("plain data serialises")
}

fn decode(raw: &str) -> StoreResult<InstanceRecord> {
    let s: Stored = serde_json::from_str(raw).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(InstanceRecord {
        id: InstanceId::parse(&s.id).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        alias: s.alias,
        phone: s.phone,
        created_at_ms: s.created_at_ms,
        last_connected_at_ms: s.last_connected_at_ms,
        last_error: s.last_error,
    })
}

#[async_trait]
impl InstanceRegistry for RedisStore {
    async fn save_instance(&self, record: &InstanceRecord) -> StoreResult<()> {
        let mut conn = self.conn().await?;
        conn.hset::<_, _, _, ()>(self.keys.instances(), record.id.as_str(), encode(record))
            .await
            .map_err(unavailable)
    }

    async fn instance(&self, id: &InstanceId) -> StoreResult<Option<InstanceRecord>> {
        let mut conn = self.conn().await?;
        let raw: Option<String> = conn
            .hget(self.keys.instances(), id.as_str())
            .await
            .map_err(unavailable)?;
        raw.as_deref().map(decode).transpose()
    }

    async fn instances(&self) -> StoreResult<Vec<InstanceRecord>> {
        let mut conn = self.conn().await?;
        let all: Vec<String> = conn.hvals(self.keys.instances()).await.map_err(unavailable)?;
        let mut records = all
            .iter()
            .map(|raw| decode(raw))
            .collect::<StoreResult<Vec<_>>>()?;
        records.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(records)
    }

    async fn remove_instance(&self, id: &InstanceId) -> StoreResult<()> {
        // Its webhooks first: a failure between the two leaves an instance
        // without webhooks, never webhooks a new instance would inherit.
        self.forget_webhooks(id).await?;
        let mut conn = self.conn().await?;
        redis::pipe()
            .atomic()
            .hdel(self.keys.instances(), id.as_str())
            .del(&self.sending_keys(id))
            .query_async::<()>(&mut conn)
            .await
            .map_err(unavailable)
    }
}
