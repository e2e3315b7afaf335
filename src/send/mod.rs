//! Sending: one sender task per instance drains that instance's durable
//! queue in strict order, paced by the configured delays, retrying passing
//! failures and failing what can never go out. Instances never wait on
//! each other.

mod pacing;
mod sender;

pub use pacing::Pacing;
pub use sender::{InstanceSender, SenderCompanion};

use crate::domain::InstanceId;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

/// Wakes an instance's sender when a message was queued for it.
#[derive(Default)]
pub struct Wakeups {
    by_instance: Mutex<HashMap<InstanceId, Arc<Notify>>>,
}

impl Wakeups {
    pub fn for_instance(&self, id: &InstanceId) -> Arc<Notify> {
        let mut all = self.by_instance.lock().unwrap_or_else(|p| p.into_inner());
        all.entry(id.clone()).or_default().clone()
    }

    /// Tells the instance's sender there is work (kept if it is busy).
    pub fn wake(&self, id: &InstanceId) {
        self.for_instance(id).notify_one();
    }
}
