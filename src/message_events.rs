//! Message changes as they happen, for the panel's live view. Decorators of
//! the send queue and the inbound outbox publish each change on a broadcast
//! channel once the store has taken it, so every path that moves a message
//! (the API, the senders, receipts, inbound intake) is covered without
//! knowing about listeners.

use crate::domain::{InstanceId, MessageStatus};
use crate::store::{
    Enqueued, ForwardRecord, ForwardStatus, InboundRecord, InboundRouting, MessageRecord, Moved, NewForward,
    NewOutbound, Outbox, QueueStats, Recorded, Requeue, SendQueue, StoreResult, Stores,
};
use async_trait::async_trait;
use serde::Serialize;
use std::sync::Arc;
use tokio::sync::broadcast;

/// How many changes a slow listener may fall behind before it misses some.
const BUFFER: usize = 256;

/// One message (or, with no id, several) of an instance arrived or changed status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageEvent {
    pub instance_id: InstanceId,
    pub id: Option<String>,
    pub status: MessageStatus,
    /// Where the change was made (with Redis, other processes' changes are
    /// passed on here too).
    #[serde(skip)]
    pub origin: Origin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    ThisProcess,
    AnotherProcess,
}

/// The broadcast channel of message changes.
pub struct MessageEvents {
    sender: broadcast::Sender<MessageEvent>,
}

impl Default for MessageEvents {
    fn default() -> Self {
        Self {
            sender: broadcast::channel(BUFFER).0,
        }
    }
}

impl MessageEvents {
    pub fn subscribe(&self) -> broadcast::Receiver<MessageEvent> {
        self.sender.subscribe()
    }

    /// The same stores, with a send queue and an outbox that report here.
    pub fn observe(self: &Arc<Self>, stores: Stores) -> Stores {
        let queue = Arc::new(ObservedQueue {
            inner: stores.queue.clone(),
            events: self.clone(),
        });
        let outbox = Arc::new(ObservedOutbox {
            inner: stores.outbox.clone(),
            events: self.clone(),
        });
        Stores {
            queue,
            outbox,
            ..stores
        }
    }

    fn publish(&self, instance_id: InstanceId, id: Option<String>, status: MessageStatus) {
        self.pass_on(MessageEvent {
            instance_id,
            id,
            status,
            origin: Origin::ThisProcess,
        });
    }

    /// Publishes a change to this process's listeners.
    pub fn pass_on(&self, event: MessageEvent) {
        // No listener is not an error: the panel may simply be closed.
        let _ = self.sender.send(event);
    }
}

struct ObservedQueue {
    inner: Arc<dyn SendQueue>,
    events: Arc<MessageEvents>,
}

impl ObservedQueue {
    /// Publishes a move the store made (the stored status, not the asked
    /// one); a move it refused changed nothing to show.
    fn publish_moved(&self, id: &str, moved: &Option<Moved>) {
        if let Some(moved) = moved {
            let id = Some(id.to_owned());
            self.events.publish(moved.instance_id.clone(), id, moved.status);
        }
    }
}

#[async_trait]
impl SendQueue for ObservedQueue {
    async fn enqueue(
        &self,
        message: NewOutbound,
        idempotency_key: Option<String>,
    ) -> StoreResult<Option<Enqueued>> {
        let instance = message.instance.clone();
        let enqueued = self.inner.enqueue(message, idempotency_key).await?;
        if let Some(Enqueued { id, duplicate: false }) = &enqueued {
            self.events
                .publish(instance, Some(id.clone()), MessageStatus::Queued);
        }
        Ok(enqueued)
    }

    async fn head(&self, instance: &InstanceId) -> StoreResult<Option<MessageRecord>> {
        self.inner.head(instance).await
    }

    async fn record_attempt(&self, id: &str, error: &str) -> StoreResult<()> {
        self.inner.record_attempt(id, error).await
    }

    async fn advance(
        &self,
        id: &str,
        status: MessageStatus,
        error: Option<&str>,
    ) -> StoreResult<Option<Moved>> {
        let moved = self.inner.advance(id, status, error).await?;
        self.publish_moved(id, &moved);
        Ok(moved)
    }

    async fn mark_sent(&self, id: &str, instance: &InstanceId, at_ms: i64) -> StoreResult<Option<Moved>> {
        let moved = self.inner.mark_sent(id, instance, at_ms).await?;
        self.publish_moved(id, &moved);
        Ok(moved)
    }

    async fn fail_queued(&self, instance: &InstanceId, reason: &str) -> StoreResult<Vec<String>> {
        let failed = self.inner.fail_queued(instance, reason).await?;
        if !failed.is_empty() {
            self.events.publish(instance.clone(), None, MessageStatus::Failed);
        }
        Ok(failed)
    }

    async fn last_send_at(&self, instance: &InstanceId) -> StoreResult<Option<i64>> {
        self.inner.last_send_at(instance).await
    }

    async fn queue_depths(&self) -> StoreResult<Vec<(InstanceId, u64)>> {
        self.inner.queue_depths().await
    }

    async fn stats(&self) -> StoreResult<QueueStats> {
        self.inner.stats().await
    }
}

struct ObservedOutbox {
    inner: Arc<dyn Outbox>,
    events: Arc<MessageEvents>,
}

#[async_trait]
impl Outbox for ObservedOutbox {
    async fn inbound_routing(&self) -> StoreResult<InboundRouting> {
        self.inner.inbound_routing().await
    }

    async fn record_inbound(&self, inbound: InboundRecord) -> StoreResult<Recorded> {
        let (instance, id) = (inbound.instance.clone(), inbound.wa_id.clone());
        let recorded = self.inner.record_inbound(inbound).await?;
        if recorded == Recorded::Stored {
            self.events.publish(instance, Some(id), MessageStatus::Received);
        }
        Ok(recorded)
    }

    async fn add_forward(
        &self,
        instance: &InstanceId,
        message_id: &str,
        forward: NewForward,
    ) -> StoreResult<bool> {
        self.inner.add_forward(instance, message_id, forward).await
    }

    async fn due_forwards(&self, now_ms: i64, limit: usize) -> StoreResult<Vec<ForwardRecord>> {
        self.inner.due_forwards(now_ms, limit).await
    }

    async fn next_forward_due(&self) -> StoreResult<Option<i64>> {
        self.inner.next_forward_due().await
    }

    async fn forward_delivered(&self, id: &str) -> StoreResult<()> {
        self.inner.forward_delivered(id).await
    }

    async fn forward_retry_at(&self, id: &str, due_ms: i64, error: &str) -> StoreResult<()> {
        self.inner.forward_retry_at(id, due_ms, error).await
    }

    async fn forward_dead(&self, id: &str, error: &str) -> StoreResult<()> {
        self.inner.forward_dead(id, error).await
    }

    async fn forwards(&self, status: Option<ForwardStatus>, limit: usize) -> StoreResult<Vec<ForwardRecord>> {
        self.inner.forwards(status, limit).await
    }

    async fn requeue_forward(&self, id: &str) -> StoreResult<Requeue> {
        self.inner.requeue_forward(id).await
    }

    async fn release_forwards(&self, ids: &[String]) -> StoreResult<()> {
        self.inner.release_forwards(ids).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::MessageKind;

    #[tokio::test]
    async fn queueing_and_forward_moves_are_published_and_backward_moves_are_not() {
        let dir = tempfile::tempdir().unwrap();
        let events = Arc::new(MessageEvents::default());
        let stores = events.observe(Stores::open(dir.path(), None).await.unwrap());
        let mut seen = events.subscribe();
        let instance = InstanceId::parse("wa-01").unwrap();
        let message = NewOutbound {
            id: "m1".into(),
            instance: instance.clone(),
            to: "+5511999999999".into(),
            kind: MessageKind::Text,
            text: "hi".into(),
            media_url: None,
            caption: None,
            created_at_ms: 1,
            request_id: None,
        };
        let record = crate::store::InstanceRecord::new(instance.clone(), None, 1);
        stores.instances.save_instance(&record).await.unwrap();
        assert!(stores.queue.enqueue(message, None).await.unwrap().is_some());
        stores
            .queue
            .advance("m1", MessageStatus::Read, None)
            .await
            .unwrap();
        stores
            .queue
            .advance("m1", MessageStatus::Sent, None)
            .await
            .unwrap();
        let statuses: Vec<_> = (0..2).map(|_| seen.try_recv().unwrap().status).collect();
        use MessageStatus::*;
        assert_eq!(statuses, [Queued, Read]);
        assert!(seen.try_recv().is_err(), "the late `sent` moved nothing");
    }
}
