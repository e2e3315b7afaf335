//! Where a forward goes, behind one interface: the forwarder picks the
//! delivery by the forward's target (the webhook, or GHL for messages into
//! Conversations and status updates) and treats each outcome alike:
//! stored as delivered, tried again on the schedule, or a dead letter.

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
}

#[async_trait]
pub trait Delivery: Send + Sync {
    /// Tries `forward` once; a wait for its turn ends when `stop` does.
    async fn deliver(&self, forward: &ForwardRecord, stop: &CancellationToken) -> Outcome;
}

/// The delivery of each target.
pub struct Deliveries {
    pub webhook: Arc<dyn Delivery>,
    /// Messages into GHL's Conversations and status updates.
    pub ghl: Arc<dyn Delivery>,
}

impl Deliveries {
    pub fn of(&self, target: ForwardTarget) -> &dyn Delivery {
        match target {
            ForwardTarget::Webhook => self.webhook.as_ref(),
            ForwardTarget::GhlConversation | ForwardTarget::GhlStatus => self.ghl.as_ref(),
        }
    }
}
