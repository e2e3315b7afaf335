//! GHL location routes (stored as JSON per location), per-contact
//! instance overrides, the numbers new contacts were given and the
//! locations' round-robin turns.

use super::rows::decode_json as decode;
use super::SqliteStore;
use crate::domain::InstanceId;
use crate::store::{LocationRoute, LocationRoutes, StoreError, StoreResult};
use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension};

/// Every location's route, by location id.
pub(super) fn all_routes(conn: &Connection) -> rusqlite::Result<Vec<LocationRoute>> {
    let mut stmt = conn.prepare_cached("SELECT route FROM locations ORDER BY location_id")?;
    let routes = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .map(|json| decode(json?))
        .collect();
    routes
}

impl SqliteStore {
    /// The instance `sql` finds for a location and one key of it.
    async fn instance_for(
        &self,
        sql: &'static str,
        location_id: &str,
        key: &str,
    ) -> StoreResult<Option<InstanceId>> {
        let (location, key) = (location_id.to_owned(), key.to_owned());
        let found: Option<String> = self
            .read(move |conn| {
                conn.query_row(sql, params![location, key], |r| r.get(0))
                    .optional()
            })
            .await?;
        Ok(found.and_then(|raw| InstanceId::parse(&raw).ok()))
    }
}

#[async_trait]
impl LocationRoutes for SqliteStore {
    async fn set_location(&self, route: &LocationRoute) -> StoreResult<()> {
        let (id, json) = (
            route.location_id.clone(),
            serde_json::to_string(route).expect("plain data serialises"),
        );
        self.with(move |conn| {
            conn.execute(
                "INSERT INTO locations (location_id, route) VALUES (?1, ?2)
                 ON CONFLICT (location_id) DO UPDATE SET route = ?2",
                params![id, json],
            )
            .map(drop)
        })
        .await
    }

    async fn location(&self, location_id: &str) -> StoreResult<Option<LocationRoute>> {
        let id = location_id.to_owned();
        self.read(move |conn| {
            let json: Option<String> = conn
                .query_row("SELECT route FROM locations WHERE location_id = ?1", [id], |r| {
                    r.get(0)
                })
                .optional()?;
            json.map(decode).transpose()
        })
        .await
    }

    async fn locations(&self) -> StoreResult<Vec<LocationRoute>> {
        self.read(|conn| all_routes(conn)).await
    }

    async fn remove_location(&self, location_id: &str) -> StoreResult<bool> {
        let id = location_id.to_owned();
        self.with(move |conn| {
            let tx = conn.transaction()?;
            for table in ["contact_routes", "new_contact_numbers", "location_turns"] {
                tx.execute(&format!("DELETE FROM {table} WHERE location_id = ?1"), [&id])?;
            }
            let removed = tx.execute("DELETE FROM locations WHERE location_id = ?1", [&id])?;
            tx.commit()?;
            Ok(removed > 0)
        })
        .await
    }

    async fn set_contact_instance(
        &self,
        location_id: &str,
        contact_id: &str,
        instance: Option<&InstanceId>,
    ) -> StoreResult<()> {
        let (location, contact) = (location_id.to_owned(), contact_id.to_owned());
        let instance = instance.map(|i| i.to_string());
        self.with(move |conn| {
            match instance {
                Some(instance) => conn.execute(
                    "INSERT INTO contact_routes (location_id, contact_id, instance_id) VALUES (?1, ?2, ?3)
                     ON CONFLICT (location_id, contact_id) DO UPDATE SET instance_id = ?3",
                    params![location, contact, instance],
                ),
                None => conn.execute(
                    "DELETE FROM contact_routes WHERE location_id = ?1 AND contact_id = ?2",
                    params![location, contact],
                ),
            }
            .map(drop)
        })
        .await
    }

    async fn contact_instance(&self, location_id: &str, contact_id: &str) -> StoreResult<Option<InstanceId>> {
        let sql = "SELECT instance_id FROM contact_routes WHERE location_id = ?1 AND contact_id = ?2";
        self.instance_for(sql, location_id, contact_id).await
    }

    async fn new_contact_number(&self, location_id: &str, phone: &str) -> StoreResult<Option<InstanceId>> {
        let sql = "SELECT instance_id FROM new_contact_numbers WHERE location_id = ?1 AND phone = ?2";
        self.instance_for(sql, location_id, phone).await
    }

    async fn give_new_contact_number(
        &self,
        location_id: &str,
        phone: &str,
        instance: &InstanceId,
        replace: bool,
    ) -> StoreResult<InstanceId> {
        let (location, phone, given) = (location_id.to_owned(), phone.to_owned(), instance.to_string());
        let on_conflict = if replace {
            "UPDATE SET instance_id = ?3"
        } else {
            "NOTHING"
        };
        let standing: String = self
            .with(move |conn| {
                conn.execute(
                    &format!(
                        "INSERT INTO new_contact_numbers (location_id, phone, instance_id) VALUES (?1, ?2, ?3)
                         ON CONFLICT (location_id, phone) DO {on_conflict}"
                    ),
                    params![location, phone, given],
                )?;
                conn.query_row(
                    "SELECT instance_id FROM new_contact_numbers WHERE location_id = ?1 AND phone = ?2",
                    params![location, phone],
                    |r| r.get(0),
                )
            })
            .await?;
        InstanceId::parse(&standing).map_err(|e| StoreError::Corrupt(e.to_string()))
    }

    async fn next_turn(&self, location_id: &str) -> StoreResult<u64> {
        let location = location_id.to_owned();
        self.with(move |conn| {
            conn.query_row(
                "INSERT INTO location_turns (location_id, turn) VALUES (?1, 0)
                 ON CONFLICT (location_id) DO UPDATE SET turn = turn + 1 RETURNING turn",
                [location],
                |r| r.get::<_, i64>(0),
            )
            .map(|turn| turn as u64)
        })
        .await
    }
}
