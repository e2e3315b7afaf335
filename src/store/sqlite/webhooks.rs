//! The instances' own webhooks in the embedded store: one row per webhook,
//! kept as JSON beside its instance. Triggers move the routing generation
//! on with every write (see `routing`), in the writing transaction.

use super::rows::decode_json as decode;
use super::SqliteStore;
use crate::domain::{InstanceId, WebhookId};
use crate::store::{InstanceWebhook, StoreResult, WebhookStore};
use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension};

pub const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS webhooks (
    id TEXT PRIMARY KEY,
    instance_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    hook TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS webhooks_of_instance ON webhooks (instance_id, created_at);
CREATE TRIGGER IF NOT EXISTS routing_webhook_added AFTER INSERT ON webhooks
    BEGIN UPDATE routing_generation SET generation = generation + 1; END;
CREATE TRIGGER IF NOT EXISTS routing_webhook_changed AFTER UPDATE ON webhooks
    BEGIN UPDATE routing_generation SET generation = generation + 1; END;
CREATE TRIGGER IF NOT EXISTS routing_webhook_removed AFTER DELETE ON webhooks
    BEGIN UPDATE routing_generation SET generation = generation + 1; END;
"#;

/// Every instance's webhooks, oldest first.
pub(super) fn all_webhooks(conn: &Connection) -> rusqlite::Result<Vec<InstanceWebhook>> {
    let mut stmt = conn.prepare_cached("SELECT hook FROM webhooks ORDER BY created_at, id")?;
    let hooks = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .map(|json| decode(json?))
        .collect();
    hooks
}

/// Removes the instance's webhooks (in the caller's transaction).
pub(super) fn forget(conn: &Connection, instance: &InstanceId) -> rusqlite::Result<()> {
    conn.execute("DELETE FROM webhooks WHERE instance_id = ?1", [instance.as_str()])
        .map(drop)
}

#[async_trait]
impl WebhookStore for SqliteStore {
    async fn save_webhook(&self, hook: &InstanceWebhook) -> StoreResult<()> {
        let json = serde_json::to_string(hook).expect("plain data serialises");
        let (id, instance, created) = (
            hook.id.to_string(),
            hook.instance_id.to_string(),
            hook.created_at_ms,
        );
        self.with(move |conn| {
            conn.execute(
                "INSERT INTO webhooks (id, instance_id, created_at, hook) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (id) DO UPDATE SET hook = ?4",
                params![id, instance, created, json],
            )
            .map(drop)
        })
        .await
    }

    async fn add_webhook(&self, hook: &InstanceWebhook, max: usize) -> StoreResult<bool> {
        let json = serde_json::to_string(hook).expect("plain data serialises");
        let (id, instance, created) = (
            hook.id.to_string(),
            hook.instance_id.to_string(),
            hook.created_at_ms,
        );
        let max = i64::try_from(max).unwrap_or(i64::MAX);
        // One statement: the count and the insert cannot be split by
        // another writer.
        self.with(move |conn| {
            conn.execute(
                "INSERT INTO webhooks (id, instance_id, created_at, hook)
                 SELECT ?1, ?2, ?3, ?4
                 WHERE (SELECT COUNT(*) FROM webhooks WHERE instance_id = ?2) < ?5",
                params![id, instance, created, json, max],
            )
            .map(|added| added == 1)
        })
        .await
    }

    async fn webhook(&self, id: WebhookId) -> StoreResult<Option<InstanceWebhook>> {
        self.read(move |conn| {
            let json: Option<String> = conn
                .query_row("SELECT hook FROM webhooks WHERE id = ?1", [id.to_string()], |r| {
                    r.get(0)
                })
                .optional()?;
            json.map(decode).transpose()
        })
        .await
    }

    async fn webhooks_of(&self, instance: &InstanceId) -> StoreResult<Vec<InstanceWebhook>> {
        let instance = instance.to_string();
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached("SELECT hook FROM webhooks WHERE instance_id = ?1 ORDER BY created_at, id")?;
            let hooks = stmt
                .query_map([instance], |r| r.get::<_, String>(0))?
                .map(|json| decode(json?))
                .collect();
            hooks
        })
        .await
    }

    async fn remove_webhook(&self, id: WebhookId) -> StoreResult<bool> {
        self.with(move |conn| {
            conn.execute("DELETE FROM webhooks WHERE id = ?1", [id.to_string()])
                .map(|removed| removed > 0)
        })
        .await
    }
}
