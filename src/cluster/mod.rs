//! Where each instance's session runs. Embedded (no Redis): every instance
//! runs in this process. With Redis: each instance is owned by exactly one
//! gateway process through a lease (`lease`, `coordinator`); the API reaches
//! an instance through [`Fleet`], locally when it runs here, else through
//! Redis to its owner (`remote`); its sender sends only while the lease
//! lasts (`tenure`). Live changes cross between processes (`live`).

pub mod control;
pub mod coordinator;
pub mod lease;
pub mod live;
pub mod remote;
pub mod tenure;

use crate::domain::InstanceId;
use crate::live::MessageEvents;
use crate::send::Wakeups;
use crate::store::InstanceRecord;
use crate::wa::actor::InstanceView;
use crate::wa::manager::SessionManager;
use crate::wa::InstanceStatus;
use control::{Control, ControlReply, SimSteering};
use live::{LiveRelay, OpenFeed, OpenFeeds, RemoteView};
use remote::Remote;
use std::sync::Arc;
use tokio::sync::broadcast;

/// An instance's state and the process that runs it.
#[derive(Debug, Clone)]
pub struct FleetView {
    pub view: InstanceView,
    /// The node id of the owning process; None when none runs it now.
    pub owner: Option<String>,
}

pub struct Fleet {
    pub node: String,
    sessions: Arc<SessionManager>,
    wakeups: Arc<Wakeups>,
    /// Present with Redis: sessions may run in other processes.
    remote: Option<Remote>,
    sim: Option<Arc<dyn SimSteering>>,
    /// State changes of instances that run in other processes.
    remote_views: broadcast::Sender<RemoteView>,
    feeds: Arc<OpenFeeds>,
}

impl Fleet {
    pub fn new(
        node: String,
        sessions: Arc<SessionManager>,
        wakeups: Arc<Wakeups>,
        remote: Option<Remote>,
        sim: Option<Arc<dyn SimSteering>>,
    ) -> Self {
        Self {
            node,
            sessions,
            wakeups,
            remote,
            sim,
            remote_views: broadcast::channel(live::VIEWS_BUFFER).0,
            feeds: Arc::default(),
        }
    }

    /// Whether instances are shared with other processes (through Redis).
    pub fn is_shared(&self) -> bool {
        self.remote.is_some()
    }

    /// Counts a panel feed as open here until the result is dropped.
    pub fn open_feed(&self) -> OpenFeed {
        self.feeds.open()
    }

    /// Follows the state changes of instances that run in other processes.
    pub fn remote_views(&self) -> broadcast::Receiver<RemoteView> {
        self.remote_views.subscribe()
    }

    /// The relay of live changes between processes, with Redis.
    pub fn live_relay(&self, messages: Arc<MessageEvents>) -> Option<LiveRelay> {
        Some(LiveRelay::new(
            self.remote.clone()?,
            self.node.clone(),
            messages,
            self.remote_views.clone(),
            self.feeds.clone(),
        ))
    }

    /// The published state of each of `records` that runs in another
    /// process (none when embedded: every instance runs here).
    pub async fn published_elsewhere(&self, records: &[InstanceRecord]) -> Vec<RemoteView> {
        let Some(remote) = &self.remote else {
            return Vec::new();
        };
        let mut found = Vec::new();
        for record in records.iter().filter(|r| self.sessions.get(&r.id).is_none()) {
            if let Ok(Some(published)) = remote.view(record.id.as_str()).await {
                found.push(RemoteView {
                    instance: record.id.clone(),
                    view: published.view,
                });
            }
        }
        found
    }

    /// Tells the instance's sender that a message was queued, in whichever
    /// process it runs (through Redis only when it runs elsewhere).
    pub async fn wake(&self, id: &InstanceId) {
        self.wakeups.wake(id);
        // A session running here has its sender here: woken just now.
        if self.sessions.get(id).is_some() {
            return;
        }
        if let Some(remote) = &self.remote {
            if let Err(e) = remote.announce(id.as_str()).await {
                tracing::warn!(instance = %id, error = %e, "could not announce a queued message; its sender will find it");
            }
        }
    }

    /// The state of the instance's session when it runs in this process.
    pub fn local_view(&self, id: &InstanceId) -> Option<InstanceView> {
        self.sessions.get(id).map(|handle| handle.view())
    }

    /// The instance's state. Embedded, its session is started if it is not
    /// running; with Redis, the owner's published state is read.
    pub async fn view(&self, record: &InstanceRecord) -> FleetView {
        let local = match &self.remote {
            None => Some(self.sessions.start(&record.id, record.phone.clone())),
            Some(_) => self.sessions.get(&record.id),
        };
        if let Some(handle) = local {
            return FleetView {
                view: handle.view(),
                owner: Some(self.node.clone()),
            };
        }
        let published = match &self.remote {
            Some(remote) => remote.view(record.id.as_str()).await.ok().flatten(),
            None => None,
        };
        match published {
            Some(p) => FleetView {
                view: p.view,
                owner: Some(p.owner),
            },
            None => FleetView {
                view: unowned_view(record),
                owner: None,
            },
        }
    }

    /// Carries `control` out where the instance runs.
    pub async fn control(&self, record: &InstanceRecord, control: Control) -> ControlReply {
        let local = match &self.remote {
            None => Some(self.sessions.start(&record.id, record.phone.clone())),
            Some(_) => self.sessions.get(&record.id),
        };
        match (local, &self.remote) {
            (Some(handle), _) => control::execute(&handle, self.sim.as_ref(), control).await,
            (None, Some(remote)) => remote.ask(record.id.as_str(), control).await,
            (None, None) => Err("the instance is not running".into()),
        }
    }

    /// Stops the instance here (if it runs here) and deletes its auth state.
    /// With Redis, an owner elsewhere does the same once the record is gone.
    pub async fn remove(&self, record: &InstanceRecord) {
        if self.remote.is_none() || self.sessions.get(&record.id).is_some() {
            self.sessions.remove(&record.id).await;
        }
    }
}

/// The state shown for an instance that no process runs at the moment.
fn unowned_view(record: &InstanceRecord) -> InstanceView {
    InstanceView {
        status: InstanceStatus::Connecting,
        qr: None,
        qr_expires_at_ms: None,
        pair_code: None,
        phone: record.phone.clone(),
        last_error: record.last_error.clone(),
        last_connected_at_ms: record.last_connected_at_ms,
        new_contact_block: None,
        down_since_ms: None,
    }
}
