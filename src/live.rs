//! Message changes as they happen, for the panel's live view: a
//! [`MessageObserver`] of the store that publishes each change on a
//! broadcast channel.

use crate::domain::{InstanceId, MessageStatus};
use crate::store::{MessageObserver, Moved};
use async_trait::async_trait;
use serde::Serialize;
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

#[async_trait]
impl MessageObserver for MessageEvents {
    async fn queued(&self, instance: &InstanceId, id: &str) {
        self.publish(instance.clone(), Some(id.to_owned()), MessageStatus::Queued);
    }

    async fn moved(&self, id: &str, moved: &Moved) {
        self.publish(moved.instance_id.clone(), Some(id.to_owned()), moved.status);
    }

    /// One change for all of them: the panel reloads the instance's list.
    async fn failed_queued(&self, instance: &InstanceId, _ids: &[String]) {
        self.publish(instance.clone(), None, MessageStatus::Failed);
    }

    async fn received(&self, instance: &InstanceId, id: &str) {
        self.publish(instance.clone(), Some(id.to_owned()), MessageStatus::Received);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::MessageKind;
    use crate::store::{NewOutbound, Stores};
    use std::sync::Arc;

    #[tokio::test]
    async fn queueing_and_forward_moves_are_published_and_backward_moves_are_not() {
        let dir = tempfile::tempdir().unwrap();
        let events = Arc::new(MessageEvents::default());
        let stores = Stores::open(dir.path(), None)
            .await
            .unwrap()
            .observed(vec![events.clone()]);
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
            details: Default::default(),
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
