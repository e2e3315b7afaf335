//! Sending: one sender task per instance drains that instance's durable
//! queue in order, like a person would: random pauses, typing before each
//! message, a daily cap that a new number works up to, and patience while
//! WhatsApp blocks it from new contacts. It retries passing failures and
//! fails what can never go out. Instances never wait on each other.

mod gate;
mod human;
mod pacing;
mod policy;
mod schedule;
mod sender;
mod settings;

pub use gate::Gate;
pub use policy::{Outlook, SendingPolicy};
pub use schedule::Windows;
pub use sender::{InstanceSender, SenderCompanion};
pub use settings::{InvalidSettings, SendingSettings};

use crate::domain::InstanceId;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

/// Whether this process may hand an instance's message to WhatsApp now.
/// With Redis, only while it surely still holds the instance
/// (`cluster::tenure`); alone, always. The sender asks right before
/// each send, so a process frozen past its lease never sends twice.
pub trait SendPermission: Send + Sync {
    fn allows_send(&self, instance: &InstanceId) -> bool;
}

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
