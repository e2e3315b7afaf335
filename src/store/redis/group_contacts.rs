//! Links between WhatsApp groups and GHL contacts in Redis: per location,
//! one hash by group and one by contact, written together; the first link
//! made for a group stands (HSETNX), and the contact hash follows it.

use super::{scripts, unavailable, RedisStore};
use crate::domain::GroupId;
use crate::store::{GroupContact, GroupContacts, StoreError, StoreResult};
use async_trait::async_trait;
use redis::AsyncCommands;

fn decode(json: Option<String>) -> StoreResult<Option<GroupContact>> {
    json.map(|json| serde_json::from_str(&json).map_err(|e| StoreError::Corrupt(e.to_string())))
        .transpose()
}

impl RedisStore {
    /// The link a hash holds under `field`.
    async fn link_in(&self, hash: String, field: &str) -> StoreResult<Option<GroupContact>> {
        let mut conn = self.conn().await?;
        let json: Option<String> = conn.hget(hash, field).await.map_err(unavailable)?;
        decode(json)
    }
}

#[async_trait]
impl GroupContacts for RedisStore {
    async fn contact_for_group(
        &self,
        location_id: &str,
        group: &GroupId,
    ) -> StoreResult<Option<GroupContact>> {
        self.link_in(self.keys.group_contacts(location_id), group.as_str())
            .await
    }

    async fn group_of_contact(
        &self,
        location_id: &str,
        contact_id: &str,
    ) -> StoreResult<Option<GroupContact>> {
        self.link_in(self.keys.contact_groups(location_id), contact_id)
            .await
    }

    async fn link_group_contact(&self, location_id: &str, link: &GroupContact) -> StoreResult<GroupContact> {
        let json = serde_json::to_string(link).expect("plain data serialises");
        let mut conn = self.conn().await?;
        let standing: String = scripts::LINK_GROUP_CONTACT
            .key(self.keys.group_contacts(location_id))
            .key(self.keys.contact_groups(location_id))
            .arg(link.group.as_str())
            .arg(&link.contact_id)
            .arg(json)
            .invoke_async(&mut conn)
            .await
            .map_err(unavailable)?;
        decode(Some(standing)).map(|found| found.expect("a link was read"))
    }
}
