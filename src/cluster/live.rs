//! The panel's live feed across processes (with Redis). Each process
//! announces its own message changes on a Redis channel, and each owner its
//! instances' state changes (see [`Remote::publish`]); every process passes
//! on what the others announced, so a panel served by any process follows
//! every instance: its QR while pairing, its status, its messages' ticks.

use super::remote::{Remote, ViewNote};
use crate::domain::{InstanceId, MessageStatus};
use crate::message_events::{MessageEvent, MessageEvents, Origin};
use crate::wa::actor::InstanceView;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

/// State changes of other processes' instances that a slow feed may fall
/// behind by before it misses some.
pub const VIEWS_BUFFER: usize = 256;

/// An instance's new state, from the process that runs it.
#[derive(Debug, Clone)]
pub struct RemoteView {
    pub instance: InstanceId,
    pub view: InstanceView,
}

/// A message change as announced to the other processes.
#[derive(Serialize, Deserialize)]
struct MessageNote {
    node: String,
    instance_id: String,
    id: Option<String>,
    status: MessageStatus,
}

pub struct LiveRelay {
    pub remote: Remote,
    pub node: String,
    pub messages: Arc<MessageEvents>,
    pub views: broadcast::Sender<RemoteView>,
}

impl LiveRelay {
    /// Relays both ways until `stop`.
    pub async fn run(self, stop: CancellationToken) {
        tokio::join!(self.announce_ours(&stop), self.pass_on_theirs(&stop));
    }

    /// Announces the message changes made in this process.
    async fn announce_ours(&self, stop: &CancellationToken) {
        let mut changes = self.messages.subscribe();
        let channel = self.remote.messages_channel();
        loop {
            let change = tokio::select! { c = changes.recv() => c, _ = stop.cancelled() => return };
            let event = match change {
                Ok(event) if event.origin == Origin::ThisProcess => event,
                Ok(_) => continue,
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::debug!(
                        missed,
                        "the live relay fell behind; some message changes were not announced"
                    );
                    continue;
                }
                Err(broadcast::error::RecvError::Closed) => return,
            };
            let note = MessageNote {
                node: self.node.clone(),
                instance_id: event.instance_id.to_string(),
                id: event.id,
                status: event.status,
            };
            let note = serde_json::to_string(&note).expect("plain data serialises");
            if let Err(e) = self.remote.broadcast(&channel, &note).await {
                tracing::debug!(error = %e, "could not announce a message change");
            }
        }
    }

    /// Passes on what other processes announced.
    async fn pass_on_theirs(&self, stop: &CancellationToken) {
        let (views, messages) = (self.remote.views_channel(), self.remote.messages_channel());
        let channels = [views.clone(), messages];
        self.remote
            .follow(
                &channels,
                "live changes of other processes",
                stop,
                |channel, payload| {
                    if channel == views {
                        self.pass_on_view(payload);
                    } else {
                        self.pass_on_message(payload);
                    }
                },
            )
            .await
    }

    fn pass_on_view(&self, payload: &str) {
        let Ok(note) = serde_json::from_str::<ViewNote>(payload) else {
            return;
        };
        if note.published.owner == self.node {
            return;
        }
        if let Ok(instance) = InstanceId::parse(&note.instance) {
            // No listener is not an error: no panel may be open here.
            let _ = self.views.send(RemoteView {
                instance,
                view: note.published.view,
            });
        }
    }

    fn pass_on_message(&self, payload: &str) {
        let Ok(note) = serde_json::from_str::<MessageNote>(payload) else {
            return;
        };
        if note.node == self.node {
            return;
        }
        if let Ok(instance_id) = InstanceId::parse(&note.instance_id) {
            self.messages.pass_on(MessageEvent {
                instance_id,
                id: note.id,
                status: note.status,
                origin: Origin::AnotherProcess,
            });
        }
    }
}
