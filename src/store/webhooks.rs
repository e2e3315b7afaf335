//! An instance's own webhooks as the store keeps them. Every write moves
//! the routing generation on in the same step (see [`InboundRouting`]), so
//! an intake that chose a message's forwards by an older list of webhooks
//! chooses them again: a webhook added or removed by any process counts
//! from the next message on.
//!
//! [`InboundRouting`]: super::InboundRouting

use super::StoreResult;
use crate::domain::{HookEvent, InstanceId, WebhookId};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// One webhook of one instance.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceWebhook {
    pub id: WebhookId,
    pub instance_id: InstanceId,
    /// Where its forwards are POSTed; may carry a receiver's token, so it
    /// is never logged.
    pub url: String,
    /// What it takes: sorted, without repeats, never empty.
    pub events: Vec<HookEvent>,
    /// Its own signing secret, sealed (`support::secrets`); without one its
    /// forwards are signed with WEBHOOK_SECRET when that is set.
    pub secret: Option<String>,
    pub created_at_ms: i64,
}

impl InstanceWebhook {
    pub fn wants(&self, event: HookEvent) -> bool {
        self.events.contains(&event)
    }
}

/// Names the webhook without its URL or secret.
impl std::fmt::Debug for InstanceWebhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InstanceWebhook")
            .field("id", &self.id)
            .field("instance_id", &self.instance_id)
            .field("events", &self.events)
            .finish_non_exhaustive()
    }
}

/// The instances' webhooks. Removing an instance removes its webhooks too
/// (a new instance of the same id starts without them).
#[async_trait]
pub trait WebhookStore: Send + Sync {
    /// Adds the webhook, or replaces the one with its id.
    async fn save_webhook(&self, hook: &InstanceWebhook) -> StoreResult<()>;
    /// Adds a new webhook unless its instance has `max` already, in one
    /// step (two processes adding at once cannot pass the cap); false when
    /// it has.
    async fn add_webhook(&self, hook: &InstanceWebhook, max: usize) -> StoreResult<bool>;
    async fn webhook(&self, id: WebhookId) -> StoreResult<Option<InstanceWebhook>>;
    /// The instance's webhooks, oldest first.
    async fn webhooks_of(&self, instance: &InstanceId) -> StoreResult<Vec<InstanceWebhook>>;
    /// False when no webhook had the id.
    async fn remove_webhook(&self, id: WebhookId) -> StoreResult<bool>;
}
