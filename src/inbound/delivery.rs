//! Where a forward goes, behind one interface: the forwarder picks the
//! delivery by the forward's target (the webhook, GHL for messages into
//! Conversations and status updates, or an instance's own webhook) and
//! treats each outcome alike: stored as delivered, tried again on the
//! schedule, or a dead letter.

use crate::domain::WebhookId;
use crate::store::{ForwardRecord, ForwardTarget};
use async_trait::async_trait;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// What one try of a forward came to.
pub enum Outcome {
    Delivered,
    /// Not tried: the forwarder stopped while the forward waited its turn.
    Untried,
    Failed {
        error: String,
        /// The receiver's own word on when to try again.
        retry_after: Option<Duration>,
    },
    /// Its destination no longer exists (an instance's webhook was
    /// removed): a dead letter at once, without a try.
    Gone {
        error: String,
    },
}

#[async_trait]
pub trait Delivery: Send + Sync {
    /// Tries `forward` once; a wait for its turn ends when `stop` does.
    async fn deliver(&self, forward: &ForwardRecord, stop: &CancellationToken) -> Outcome;
}

/// Delivers forwards to the instances' own webhooks, by the webhook's id.
#[async_trait]
pub trait HookDeliveries: Send + Sync {
    async fn deliver(&self, hook: WebhookId, forward: &ForwardRecord, stop: &CancellationToken) -> Outcome;
}

/// The delivery of each target.
pub struct Deliveries {
    pub webhook: Arc<dyn Delivery>,
    /// Messages into GHL's Conversations and status updates.
    pub ghl: Arc<dyn Delivery>,
    pub hooks: Arc<dyn HookDeliveries>,
}

impl Deliveries {
    /// Tries `forward` once by its target's delivery.
    pub async fn deliver(&self, forward: &ForwardRecord, stop: &CancellationToken) -> Outcome {
        match forward.target {
            ForwardTarget::Webhook => self.webhook.deliver(forward, stop).await,
            ForwardTarget::GhlConversation | ForwardTarget::GhlStatus => {
                self.ghl.deliver(forward, stop).await
            }
            ForwardTarget::Hook(hook) => self.hooks.deliver(hook, forward, stop).await,
        }
    }
}
