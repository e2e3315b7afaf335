//! What request handlers share: settings, stores, the session manager, the
//! sim network when it runs, the built-in inbound test receiver, the
//! metrics and the forwarder's liveness.

use crate::cluster::Fleet;
use crate::config::Settings;
use crate::live::MessageEvents;
use crate::metrics::Metrics;
use crate::send::Wakeups;
use crate::store::Stores;
use crate::support::liveness::TaskFlag;
use crate::wa::manager::SessionManager;
use crate::wa::sim::SimNetwork;
use std::collections::VecDeque;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use tokio_util::sync::CancellationToken;

/// Cloned for every request, so it is one shared pointer to the parts.
#[derive(Clone)]
pub struct AppState(Arc<StateParts>);

impl AppState {
    pub fn new(parts: StateParts) -> Self {
        Self(Arc::new(parts))
    }
}

impl std::ops::Deref for AppState {
    type Target = StateParts;
    fn deref(&self) -> &StateParts {
        &self.0
    }
}

pub struct StateParts {
    pub settings: Arc<Settings>,
    pub stores: Stores,
    /// GHL provider mode: app settings, tokens, jobs.
    pub ghl: Arc<crate::ghl::provider_parts::GhlProvider>,
    /// Where each instance runs, and how to reach it.
    pub fleet: Arc<Fleet>,
    /// The sessions running in this process (the live event stream watches them).
    pub sessions: Arc<SessionManager>,
    pub wakeups: Arc<Wakeups>,
    /// Sends in flight, for `/api/send/stats`.
    pub in_flight: Arc<AtomicU64>,
    /// Present only with `WA_BACKEND=sim`.
    pub sim: Option<Arc<SimNetwork>>,
    pub inbound_test: Arc<InboundTestLog>,
    /// Wakes the forwarder when a dead letter is put back.
    pub forwarder_wakeup: Arc<tokio::sync::Notify>,
    /// Message status changes, for the panel's live feed.
    pub message_events: Arc<MessageEvents>,
    /// Cancelled at shutdown: ends the panel's open event streams.
    pub shutdown: CancellationToken,
    pub metrics: Arc<Metrics>,
    /// Set while the forwarder task runs, for `/readyz`.
    pub forwarder_alive: Arc<TaskFlag>,
}

/// The last requests `/api/ghl/inbound-test` received, newest last.
#[derive(Default)]
pub struct InboundTestLog {
    entries: Mutex<VecDeque<serde_json::Value>>,
}

/// How many received requests the test receiver keeps.
const INBOUND_TEST_KEEP: usize = 100;

impl InboundTestLog {
    pub fn record(&self, entry: serde_json::Value) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() == INBOUND_TEST_KEEP {
            entries.pop_front();
        }
        entries.push_back(entry);
    }

    pub fn list(&self) -> Vec<serde_json::Value> {
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .cloned()
            .collect()
    }
}
