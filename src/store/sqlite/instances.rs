//! The instance registry table; lookups by id are answered from its
//! in-memory copy (`instance_cache`).

use super::{rows, SqliteStore};
use crate::domain::InstanceId;
use crate::store::{InstanceRecord, InstanceRegistry, StoreResult};
use async_trait::async_trait;
use rusqlite::{params, Connection};

const COLUMNS: &str = "id, alias, phone, created_at, last_connected_at, last_error";

/// Every stored instance, by id.
pub(super) fn all(conn: &Connection) -> rusqlite::Result<Vec<InstanceRecord>> {
    let mut stmt = conn.prepare(&format!("SELECT {COLUMNS} FROM instances ORDER BY id"))?;
    let found = stmt.query_map([], rows::instance)?.collect();
    found
}

#[async_trait]
impl InstanceRegistry for SqliteStore {
    async fn save_instance(&self, record: &InstanceRecord) -> StoreResult<()> {
        let (r, known) = (record.clone(), self.known.clone());
        self.with(move |conn| {
            conn.execute(
                "INSERT INTO instances (id, alias, phone, created_at, last_connected_at, last_error)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (id) DO UPDATE SET alias = ?2, phone = ?3, last_connected_at = ?5, last_error = ?6",
                params![r.id.as_str(), r.alias, r.phone, r.created_at_ms, r.last_connected_at_ms, r.last_error],
            )?;
            // An update keeps the first creation time, as the table does.
            let created_at_ms = known.get(&r.id).map_or(r.created_at_ms, |old| old.created_at_ms);
            known.put(InstanceRecord { created_at_ms, ..r });
            Ok(())
        })
        .await
    }

    async fn instance(&self, id: &InstanceId) -> StoreResult<Option<InstanceRecord>> {
        Ok(self.known.get(id))
    }

    async fn instances(&self) -> StoreResult<Vec<InstanceRecord>> {
        self.read(|conn| all(conn)).await
    }

    async fn remove_instance(&self, id: &InstanceId) -> StoreResult<()> {
        let (id, known) = (id.clone(), self.known.clone());
        self.with(move |conn| {
            let tx = conn.transaction()?;
            tx.execute("DELETE FROM instances WHERE id = ?1", [id.as_str()])?;
            super::sending::forget(&tx, &id)?;
            super::webhooks::forget(&tx, &id)?;
            tx.commit()?;
            known.remove(&id);
            Ok(())
        })
        .await
    }
}
