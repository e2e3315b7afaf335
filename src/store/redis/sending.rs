//! Redis's sending state: a hash per instance for its settings and
//! new-contact block, one for its sends per cap window and one for its
//! contacts (written by the ADVANCE and RECORD_INBOUND scripts).

use super::{unavailable, RedisStore};
use crate::domain::InstanceId;
use crate::store::{NewContactBlock, SendingState, StoreResult};
use async_trait::async_trait;
use redis::AsyncCommands;
use std::collections::HashSet;

const SETTINGS: &str = "settings";
const NEW_CONTACT_BLOCK: &str = "new_contact_block";

/// Takes the contact's unread message id, leaving "" (still a contact).
static TAKE_UNREAD: std::sync::LazyLock<redis::Script> = std::sync::LazyLock::new(|| {
    redis::Script::new(
        r#"
        local unread = redis.call('HGET', KEYS[1], ARGV[1])
        if not unread or unread == '' then return false end
        redis.call('HSET', KEYS[1], ARGV[1], '')
        return unread
        "#,
    )
});

impl RedisStore {
    async fn sending_field(&self, instance: &InstanceId, field: &str) -> StoreResult<Option<String>> {
        let mut conn = self.conn().await?;
        conn.hget(self.keys.sending(instance), field)
            .await
            .map_err(unavailable)
    }

    /// Sets one field of the instance's sending hash, or removes it (None).
    async fn set_sending_field(
        &self,
        instance: &InstanceId,
        field: &str,
        value: Option<String>,
    ) -> StoreResult<()> {
        let mut conn = self.conn().await?;
        let key = self.keys.sending(instance);
        match value {
            Some(value) => conn.hset(key, field, value).await,
            None => conn.hdel(key, field).await,
        }
        .map_err(unavailable)
    }

    /// The keys of everything kept for sending by the instance.
    pub(super) fn sending_keys(&self, instance: &InstanceId) -> [String; 4] {
        [
            self.keys.sending(instance),
            self.keys.sent_windows(instance),
            self.keys.contacts(instance),
            self.keys.talked(instance),
        ]
    }
}

#[async_trait]
impl SendingState for RedisStore {
    async fn sending_settings(&self, instance: &InstanceId) -> StoreResult<Option<String>> {
        self.sending_field(instance, SETTINGS).await
    }

    async fn save_sending_settings(&self, instance: &InstanceId, settings_json: &str) -> StoreResult<()> {
        self.set_sending_field(instance, SETTINGS, Some(settings_json.to_owned()))
            .await
    }

    async fn sent_in_window(&self, instance: &InstanceId, window: i64) -> StoreResult<u64> {
        let mut conn = self.conn().await?;
        let sent: Option<u64> = conn
            .hget(self.keys.sent_windows(instance), window)
            .await
            .map_err(unavailable)?;
        Ok(sent.unwrap_or(0))
    }

    async fn known_contacts(
        &self,
        instance: &InstanceId,
        contacts: &[String],
    ) -> StoreResult<HashSet<String>> {
        if contacts.is_empty() {
            return Ok(HashSet::new());
        }
        let mut conn = self.conn().await?;
        let mut pipe = redis::pipe();
        for contact in contacts {
            pipe.hexists(self.keys.contacts(instance), contact);
        }
        let known: Vec<bool> = pipe.query_async(&mut conn).await.map_err(unavailable)?;
        Ok(contacts
            .iter()
            .zip(known)
            .filter(|(_, known)| *known)
            .map(|(contact, _)| contact.clone())
            .collect())
    }

    async fn last_talked(&self, instance: &InstanceId, contact: &str) -> StoreResult<Option<i64>> {
        let mut conn = self.conn().await?;
        conn.hget(self.keys.talked(instance), contact)
            .await
            .map_err(unavailable)
    }

    async fn take_unread(&self, instance: &InstanceId, contact: &str) -> StoreResult<Option<String>> {
        let mut conn = self.conn().await?;
        TAKE_UNREAD
            .key(self.keys.contacts(instance))
            .arg(contact)
            .invoke_async(&mut conn)
            .await
            .map_err(unavailable)
    }

    async fn new_contact_block(&self, instance: &InstanceId) -> StoreResult<Option<NewContactBlock>> {
        NewContactBlock::decode(self.sending_field(instance, NEW_CONTACT_BLOCK).await?)
    }

    async fn set_new_contact_block(
        &self,
        instance: &InstanceId,
        block: Option<&NewContactBlock>,
    ) -> StoreResult<()> {
        self.set_sending_field(instance, NEW_CONTACT_BLOCK, block.map(NewContactBlock::encode))
            .await
    }
}
