//! Adding an event's forwards to an instance's own webhooks: one for each
//! webhook of the instance that takes the event, into the durable outbox,
//! waking the outbox's worker when one was new. Status changes
//! (`statuses`) and state changes (`states`) both come through here.

use crate::domain::{HookEvent, InstanceId};
use crate::store::{ForwardTarget, InstanceWebhook, NewForward, Outbox, StoreResult, WebhookStore};
use std::sync::Arc;
use tokio::sync::Notify;

/// Where the forwards to instances' webhooks are kept.
#[derive(Clone)]
pub struct HookForwards {
    pub webhooks: Arc<dyn WebhookStore>,
    pub outbox: Arc<dyn Outbox>,
    pub wakeup: Arc<Notify>,
}

impl HookForwards {
    /// Adds a forward under `chat` for each of `instance`'s webhooks that
    /// takes `event`, with the id and body `made(hook)` gives.
    pub(super) async fn add(
        &self,
        instance: &InstanceId,
        chat: &str,
        event: HookEvent,
        made: impl Fn(&InstanceWebhook) -> (String, String),
    ) -> StoreResult<()> {
        let mut added = false;
        for hook in self.webhooks.webhooks_of(instance).await? {
            if !hook.wants(event) {
                continue;
            }
            let (id, body) = made(&hook);
            let target = ForwardTarget::Hook(hook.id);
            let forward = NewForward { id, target, body };
            added |= self.outbox.add_forward(instance, chat, forward).await?;
        }
        if added {
            self.wakeup.notify_one();
        }
        Ok(())
    }
}
