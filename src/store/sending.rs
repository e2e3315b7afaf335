//! What an instance's sender keeps besides its queue, to send like a
//! person: the instance's sending settings, how many messages it sent in
//! each cap window, the contacts it has a chat with (and the last message
//! from each one not yet marked read), and WhatsApp's block on reaching
//! new contacts. Counts and contacts are written in the same step as the
//! send or the inbound message they come from (`mark_sent`,
//! `record_inbound`), so they never disagree with the message log.

use super::{StoreError, StoreResult};
use crate::domain::InstanceId;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// A send's success as [`SendQueue::mark_sent`](super::SendQueue::mark_sent)
/// stores it: the message, the instance's pacing mark, one more send in
/// the cap window, and the recipient as a contact of the instance.
#[derive(Debug, Clone)]
pub struct SentMark {
    pub id: String,
    pub instance: InstanceId,
    pub at_ms: i64,
    /// The cap window the send counts in (see `send::schedule`).
    pub window: i64,
    /// The recipient, E.164; None for a group.
    pub contact: Option<String>,
}

/// WhatsApp refuses this number's messages to people it has no chat with
/// (a 463 answer, the "reach-out timelock"), until `until_ms` when known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewContactBlock {
    pub since_ms: i64,
    /// When WhatsApp said the block ends; None when it did not say.
    pub until_ms: Option<i64>,
    pub reason: String,
}

#[async_trait]
pub trait SendingState: Send + Sync {
    /// The instance's settings as stored (JSON), None before any were saved.
    async fn sending_settings(&self, instance: &InstanceId) -> StoreResult<Option<String>>;
    async fn save_sending_settings(&self, instance: &InstanceId, settings_json: &str) -> StoreResult<()>;
    /// How many sends of the instance counted in `window`.
    async fn sent_in_window(&self, instance: &InstanceId, window: i64) -> StoreResult<u64>;
    /// Which of `contacts` (E.164) the instance has a chat with: it sent
    /// them a message, or heard from them.
    async fn known_contacts(
        &self,
        instance: &InstanceId,
        contacts: &[String],
    ) -> StoreResult<HashSet<String>>;
    /// When the instance last talked with `contact` (sent to or heard from),
    /// ms since the epoch; None when it never did.
    async fn last_talked(&self, instance: &InstanceId, contact: &str) -> StoreResult<Option<i64>>;
    /// The contact's latest message not yet marked read, taken: the next
    /// call answers None until another one arrives.
    async fn take_unread(&self, instance: &InstanceId, contact: &str) -> StoreResult<Option<String>>;
    async fn new_contact_block(&self, instance: &InstanceId) -> StoreResult<Option<NewContactBlock>>;
    /// Sets the block, or lifts it with None.
    async fn set_new_contact_block(
        &self,
        instance: &InstanceId,
        block: Option<&NewContactBlock>,
    ) -> StoreResult<()>;
}

impl NewContactBlock {
    /// A block as stored (JSON), if one is.
    pub fn decode(stored: Option<String>) -> StoreResult<Option<Self>> {
        stored
            .map(|raw| serde_json::from_str(&raw).map_err(|e| StoreError::Corrupt(e.to_string())))
            .transpose()
    }

    pub fn encode(&self) -> String {
        serde_json::to_string(self).expect("plain data serialises")
    }
}
