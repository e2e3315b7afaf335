//! Message changes, told to whoever follows them (the panel's live feed,
//! GHL's status reports) once the store has taken them. The send queue and
//! the outbox are wrapped once, here, so every path that moves a message
//! (the API, the senders, receipts, inbound intake) is covered without
//! knowing who listens; each follower is one [`MessageObserver`].

use super::{
    Enqueued, ForwardRecord, ForwardStatus, InboundRecord, InboundRouting, MessageRecord, Moved, NewForward,
    NewOutbound, Outbox, QueueStats, Recorded, Requeue, SendQueue, SentMark, StoreResult, Stores,
};
use crate::domain::{InstanceId, MessageStatus};
use async_trait::async_trait;
use std::sync::Arc;

/// Follows message changes as stored. Each call comes after the store
/// took the change; a change the store refused (a late receipt that would
/// move a message back) is not told.
#[async_trait]
pub trait MessageObserver: Send + Sync {
    /// A new outbound message was queued (not a repeated idempotent send).
    async fn queued(&self, _instance: &InstanceId, _id: &str) {}
    /// A message moved; `moved` holds the stored status.
    async fn moved(&self, _id: &str, _moved: &Moved) {}
    /// The queued messages `ids` of `instance` were failed at once.
    async fn failed_queued(&self, _instance: &InstanceId, _ids: &[String]) {}
    /// An inbound message was stored (not a repeat).
    async fn received(&self, _instance: &InstanceId, _id: &str) {}
}

pub type Observers = Arc<[Arc<dyn MessageObserver>]>;

impl Stores {
    /// The same stores, with message changes told to `observers`, in order.
    pub fn observed(self, observers: Vec<Arc<dyn MessageObserver>>) -> Stores {
        let observers: Observers = observers.into();
        let queue = Arc::new(ObservedQueue {
            inner: self.queue.clone(),
            observers: observers.clone(),
        });
        let outbox = Arc::new(ObservedOutbox {
            inner: self.outbox.clone(),
            observers,
        });
        Stores {
            queue,
            outbox,
            ..self
        }
    }
}

struct ObservedQueue {
    inner: Arc<dyn SendQueue>,
    observers: Observers,
}

impl ObservedQueue {
    async fn tell_moved(&self, id: &str, moved: &Option<Moved>) {
        let Some(moved) = moved else { return };
        for observer in self.observers.iter() {
            observer.moved(id, moved).await;
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
            for observer in self.observers.iter() {
                observer.queued(&instance, id).await;
            }
        }
        Ok(enqueued)
    }

    async fn head(&self, instance: &InstanceId) -> StoreResult<Option<MessageRecord>> {
        self.inner.head(instance).await
    }

    async fn queued(&self, instance: &InstanceId, limit: usize) -> StoreResult<Vec<MessageRecord>> {
        self.inner.queued(instance, limit).await
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
        self.tell_moved(id, &moved).await;
        Ok(moved)
    }

    async fn mark_sent(&self, sent: &SentMark) -> StoreResult<Option<Moved>> {
        let moved = self.inner.mark_sent(sent).await?;
        self.tell_moved(&sent.id, &moved).await;
        Ok(moved)
    }

    async fn fail_queued(&self, instance: &InstanceId, reason: &str) -> StoreResult<Vec<String>> {
        let failed = self.inner.fail_queued(instance, reason).await?;
        if !failed.is_empty() {
            for observer in self.observers.iter() {
                observer.failed_queued(instance, &failed).await;
            }
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
    observers: Observers,
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
            for observer in self.observers.iter() {
                observer.received(&instance, &id).await;
            }
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
