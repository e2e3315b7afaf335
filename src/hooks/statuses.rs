//! Status changes of outbound messages to the webhooks that take
//! `statuses`: an observer of the store's message changes adds one forward
//! per webhook and change, after the store took the change. A forward's id
//! is made of the webhook, the message and the status, so a change told
//! twice is forwarded once.

use super::body::{self, StatusChange};
use crate::domain::{HookEvent, InstanceId, MessageStatus};
use crate::store::{
    ForwardTarget, MessageLog, MessageObserver, Moved, NewForward, Outbox, StoreResult, WebhookStore,
};
use crate::support::clock::now_ms;
use async_trait::async_trait;
use std::sync::Arc;
use tokio::sync::Notify;

pub struct StatusHooks {
    pub webhooks: Arc<dyn WebhookStore>,
    pub outbox: Arc<dyn Outbox>,
    /// Reads the error of messages failed in bulk.
    pub log: Arc<dyn MessageLog>,
    pub wakeup: Arc<Notify>,
}

/// The statuses a webhook hears: WhatsApp's own, not the gateway's queue.
fn told(status: MessageStatus) -> bool {
    match status {
        MessageStatus::Sent | MessageStatus::Delivered | MessageStatus::Read | MessageStatus::Failed => true,
        MessageStatus::Queued | MessageStatus::Received => false,
    }
}

impl StatusHooks {
    async fn tell(&self, change: StatusChange<'_>) {
        if !told(change.status) {
            return;
        }
        if let Err(e) = self.add_forwards(&change).await {
            tracing::error!(message = change.message_id, error = %e, "could not store a status for the instance's webhooks");
        }
    }

    async fn add_forwards(&self, change: &StatusChange<'_>) -> StoreResult<()> {
        let mut added = false;
        for hook in self.webhooks.webhooks_of(change.instance).await? {
            if !hook.wants(HookEvent::Statuses) {
                continue;
            }
            let id = format!(
                "hook:{}:{}:{}",
                hook.id,
                change.message_id,
                change.status.as_str()
            );
            let forward = NewForward {
                body: body::status(change, &id, hook.id),
                target: ForwardTarget::Hook(hook.id),
                id,
            };
            added |= self
                .outbox
                .add_forward(change.instance, change.message_id, forward)
                .await?;
        }
        if added {
            self.wakeup.notify_one();
        }
        Ok(())
    }
}

#[async_trait]
impl MessageObserver for StatusHooks {
    async fn moved(&self, id: &str, moved: &Moved) {
        self.tell(StatusChange {
            instance: &moved.instance_id,
            message_id: id,
            status: moved.status,
            error: moved.error.as_deref(),
            at_ms: now_ms(),
        })
        .await;
    }

    async fn failed_queued(&self, instance: &InstanceId, ids: &[String]) {
        for id in ids {
            let error = match self.log.message(id).await {
                Ok(message) => message.and_then(|m| m.error),
                Err(e) => {
                    tracing::warn!(message = %id, error = %e, "could not read a failed message's error for the webhooks");
                    None
                }
            };
            self.tell(StatusChange {
                instance,
                message_id: id,
                status: MessageStatus::Failed,
                error: error.as_deref(),
                at_ms: now_ms(),
            })
            .await;
        }
    }
}
