//! The instance registry table.

use super::{rows, SqliteStore};
use crate::domain::InstanceId;
use crate::store::{InstanceRecord, InstanceRegistry, StoreResult};
use async_trait::async_trait;
use rusqlite::{params, OptionalExtension};

const COLUMNS: &str = "id, alias, phone, created_at, last_connected_at, last_error";

#[async_trait]
impl InstanceRegistry for SqliteStore {
    async fn save_instance(&self, record: &InstanceRecord) -> StoreResult<()> {
        let r = record.clone();
        self.with(move |conn| {
            conn.execute(
                "INSERT INTO instances (id, alias, phone, created_at, last_connected_at, last_error)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (id) DO UPDATE SET alias = ?2, phone = ?3, last_connected_at = ?5, last_error = ?6",
                params![r.id.as_str(), r.alias, r.phone, r.created_at_ms, r.last_connected_at_ms, r.last_error],
            )
            .map(drop)
        })
        .await
    }

    async fn instance(&self, id: &InstanceId) -> StoreResult<Option<InstanceRecord>> {
        let id = id.clone();
        self.read(move |conn| {
            conn.prepare_cached(&format!("SELECT {COLUMNS} FROM instances WHERE id = ?1"))?
                .query_row([id.as_str()], rows::instance)
                .optional()
        })
        .await
    }

    async fn instances(&self) -> StoreResult<Vec<InstanceRecord>> {
        self.with(|conn| {
            let mut stmt = conn.prepare(&format!("SELECT {COLUMNS} FROM instances ORDER BY id"))?;
            let found = stmt.query_map([], rows::instance)?.collect();
            found
        })
        .await
    }

    async fn remove_instance(&self, id: &InstanceId) -> StoreResult<()> {
        let id = id.clone();
        self.with(move |conn| {
            conn.execute("DELETE FROM instances WHERE id = ?1", [id.as_str()])
                .map(drop)
        })
        .await
    }
}
