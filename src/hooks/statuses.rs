//! Status changes of outbound messages to the webhooks that take
//! `statuses`: an observer of the store's message changes adds one forward
//! per webhook and change, after the store took the change. A forward's id
//! is made of the webhook, the message and the status, so a change told
//! twice is forwarded once.

use super::body::{self, StatusChange};
use super::forwards::HookForwards;
use crate::domain::{HookEvent, InstanceId, MessageStatus};
use crate::store::{InstanceWebhook, MessageLog, MessageObserver, Moved, StoreResult};
use crate::support::clock::now_ms;
use async_trait::async_trait;
use std::sync::Arc;

pub struct StatusHooks {
    pub forwards: HookForwards,
    /// Reads the error of messages failed in bulk.
    pub log: Arc<dyn MessageLog>,
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
        let made = |hook: &InstanceWebhook| {
            let status = change.status.as_str();
            let id = format!("hook:{}:{}:{status}", hook.id, change.message_id);
            let body = body::status(change, &id, hook.id);
            (id, body)
        };
        let (instance, chat) = (change.instance, change.message_id);
        self.forwards.add(instance, chat, HookEvent::Statuses, made).await
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
