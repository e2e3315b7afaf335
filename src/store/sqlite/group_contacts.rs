//! The embedded store's links between WhatsApp groups and GHL contacts:
//! one row per group and location, found by either end.

use super::rows::decode_json;
use super::SqliteStore;
use crate::domain::GroupId;
use crate::store::{GroupContact, GroupContacts, StoreResult};
use async_trait::async_trait;
use rusqlite::{params, OptionalExtension};

pub const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS ghl_group_contacts (
    location_id TEXT NOT NULL,
    group_id TEXT NOT NULL,
    contact_id TEXT NOT NULL,
    link TEXT NOT NULL,
    PRIMARY KEY (location_id, group_id)
);
CREATE INDEX IF NOT EXISTS ghl_group_contacts_by_contact ON ghl_group_contacts (location_id, contact_id);
"#;

impl SqliteStore {
    async fn group_link(
        &self,
        location_id: &str,
        column: &'static str,
        value: &str,
    ) -> StoreResult<Option<GroupContact>> {
        let (location, value) = (location_id.to_owned(), value.to_owned());
        self.read(move |conn| {
            let json: Option<String> = conn
                .query_row(
                    &format!("SELECT link FROM ghl_group_contacts WHERE location_id = ?1 AND {column} = ?2"),
                    params![location, value],
                    |r| r.get(0),
                )
                .optional()?;
            json.map(decode_json).transpose()
        })
        .await
    }
}

#[async_trait]
impl GroupContacts for SqliteStore {
    async fn contact_for_group(
        &self,
        location_id: &str,
        group: &GroupId,
    ) -> StoreResult<Option<GroupContact>> {
        self.group_link(location_id, "group_id", group.as_str()).await
    }

    async fn group_of_contact(
        &self,
        location_id: &str,
        contact_id: &str,
    ) -> StoreResult<Option<GroupContact>> {
        self.group_link(location_id, "contact_id", contact_id).await
    }

    async fn link_group_contact(&self, location_id: &str, link: &GroupContact) -> StoreResult<GroupContact> {
        let location = location_id.to_owned();
        let (group, contact) = (link.group.as_str().to_owned(), link.contact_id.clone());
        let json = serde_json::to_string(link).expect("plain data serialises");
        self.with(move |conn| {
            conn.execute(
                "INSERT INTO ghl_group_contacts (location_id, group_id, contact_id, link)
                 VALUES (?1, ?2, ?3, ?4) ON CONFLICT (location_id, group_id) DO NOTHING",
                params![location, group, contact, json],
            )?;
            let standing: String = conn.query_row(
                "SELECT link FROM ghl_group_contacts WHERE location_id = ?1 AND group_id = ?2",
                params![location, group],
                |r| r.get(0),
            )?;
            decode_json(standing)
        })
        .await
    }
}
