//! The panel's live feed across processes (with Redis). Each owner
//! announces its instances' state changes on a Redis channel (see
//! [`Remote::publish`]), and each process its message changes while a panel
//! feed is open in another process (a process with one open says so every
//! few seconds); every process passes on what the others announced, so a
//! panel served by any process follows every instance: its QR while
//! pairing, its status, its messages' ticks.

use super::remote::{Remote, ViewNote};
use crate::domain::{InstanceId, MessageStatus};
use crate::live::{MessageEvent, MessageEvents, Origin};
use crate::wa::actor::InstanceView;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{broadcast, Notify};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// State changes of other processes' instances that a slow feed may fall
/// behind by before it misses some.
pub const VIEWS_BUFFER: usize = 256;
/// How often a process with a panel feed open says so.
const WATCHING_EVERY: Duration = Duration::from_secs(2);
/// How long the others announce message changes after one such word.
const WATCHED_FOR: Duration = Duration::from_secs(6);

/// An instance's new state, from the process that runs it.
#[derive(Debug, Clone)]
pub struct RemoteView {
    pub instance: InstanceId,
    pub view: InstanceView,
}

/// The panel feeds open in this process.
#[derive(Default)]
pub struct OpenFeeds {
    count: AtomicUsize,
    opened: Notify,
}

/// Counts one feed as open until dropped.
pub struct OpenFeed(Arc<OpenFeeds>);

impl OpenFeeds {
    pub fn open(self: &Arc<Self>) -> OpenFeed {
        self.count.fetch_add(1, Ordering::AcqRel);
        self.opened.notify_one();
        OpenFeed(self.clone())
    }

    fn any(&self) -> bool {
        self.count.load(Ordering::Acquire) > 0
    }
}

impl Drop for OpenFeed {
    fn drop(&mut self) {
        self.0.count.fetch_sub(1, Ordering::AcqRel);
    }
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
    remote: Remote,
    node: String,
    messages: Arc<MessageEvents>,
    views: broadcast::Sender<RemoteView>,
    feeds: Arc<OpenFeeds>,
    /// Until when another process has a feed open, as it last said.
    watched_until: Mutex<Option<Instant>>,
    watched: Notify,
}

impl LiveRelay {
    /// The relay of this process (`node`): its message changes, the state
    /// changes it passes on (`views`), and its open feeds.
    pub fn new(
        remote: Remote,
        node: String,
        messages: Arc<MessageEvents>,
        views: broadcast::Sender<RemoteView>,
        feeds: Arc<OpenFeeds>,
    ) -> Self {
        Self {
            remote,
            node,
            messages,
            views,
            feeds,
            watched_until: Mutex::default(),
            watched: Notify::default(),
        }
    }

    /// Relays both ways until `stop`. A process just started may have
    /// missed the word of a feed opened elsewhere before it listened, so
    /// it announces its changes for a while as if it had heard one.
    pub async fn run(self, stop: CancellationToken) {
        *self.watched_until.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now() + WATCHED_FOR);
        tokio::join!(
            self.say_when_watching(&stop),
            self.announce_ours(&stop),
            self.pass_on_theirs(&stop)
        );
    }

    /// Tells the other processes, while a feed is open here, to announce
    /// their message changes: at once when one opens, then periodically.
    async fn say_when_watching(&self, stop: &CancellationToken) {
        let channel = self.remote.watching_channel();
        loop {
            if self.feeds.any() {
                if let Err(e) = self.remote.broadcast(&channel, &self.node).await {
                    tracing::debug!(error = %e, "could not ask for live message changes");
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(WATCHING_EVERY) => {},
                _ = self.feeds.opened.notified() => {},
                _ = stop.cancelled() => return,
            }
        }
    }

    fn watched_elsewhere(&self) -> bool {
        let until = *self.watched_until.lock().unwrap_or_else(|p| p.into_inner());
        until.is_some_and(|until| Instant::now() < until)
    }

    /// Announces the message changes made in this process while another
    /// process has a feed open (nothing is sent while none is).
    async fn announce_ours(&self, stop: &CancellationToken) {
        loop {
            if !self.watched_elsewhere() {
                tokio::select! { _ = self.watched.notified() => continue, _ = stop.cancelled() => return }
            }
            let mut changes = self.messages.subscribe();
            while self.watched_elsewhere() {
                let change = tokio::select! {
                    change = changes.recv() => change,
                    _ = tokio::time::sleep(WATCHING_EVERY) => continue,
                    _ = stop.cancelled() => return,
                };
                if !self.announce(change).await {
                    return;
                }
            }
        }
    }

    /// Announces one change made here; false once the changes end.
    async fn announce(&self, change: Result<MessageEvent, broadcast::error::RecvError>) -> bool {
        let event = match change {
            Ok(event) if event.origin == Origin::ThisProcess => event,
            Ok(_) => return true,
            Err(broadcast::error::RecvError::Lagged(missed)) => {
                tracing::debug!(
                    missed,
                    "the live relay fell behind; some changes were not announced"
                );
                return true;
            }
            Err(broadcast::error::RecvError::Closed) => return false,
        };
        let note = MessageNote {
            node: self.node.clone(),
            instance_id: event.instance_id.to_string(),
            id: event.id,
            status: event.status,
        };
        let note = serde_json::to_string(&note).expect("plain data serialises");
        let channel = self.remote.messages_channel();
        if let Err(e) = self.remote.broadcast(&channel, &note).await {
            tracing::debug!(error = %e, "could not announce a message change");
        }
        true
    }

    /// Passes on what other processes announced.
    async fn pass_on_theirs(&self, stop: &CancellationToken) {
        let (views, watching) = (self.remote.views_channel(), self.remote.watching_channel());
        let channels = [views.clone(), watching.clone(), self.remote.messages_channel()];
        self.remote
            .follow(
                &channels,
                "live changes of other processes",
                stop,
                |channel, payload| {
                    if channel == views {
                        self.pass_on_view(payload);
                    } else if channel == watching {
                        self.note_watching(payload);
                    } else {
                        self.pass_on_message(payload);
                    }
                },
            )
            .await
    }

    /// Another process (`node`) has a feed open.
    fn note_watching(&self, node: &str) {
        if node != self.node {
            let until = Instant::now() + WATCHED_FOR;
            *self.watched_until.lock().unwrap_or_else(|p| p.into_inner()) = Some(until);
            self.watched.notify_one();
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_feed_counts_as_open_until_dropped() {
        let feeds = Arc::new(OpenFeeds::default());
        assert!(!feeds.any());
        let first = feeds.open();
        let second = feeds.open();
        drop(first);
        assert!(feeds.any(), "one is still open");
        drop(second);
        assert!(!feeds.any());
    }
}
