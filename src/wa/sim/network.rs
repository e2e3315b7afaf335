//! The simulated WhatsApp network: per instance, the link, the record of
//! what arrived, and the one live connection (if any) whose events go to
//! the gateway. Tests and demos steer it through `/api/sim/*`.

use super::chat_log::{self, ChatEntry};
use super::groups::{self, SimGroup};
use super::number_lists::{self, List};
use super::record::{self, SentEntry};
use crate::domain::{GroupId, InstanceId, Phone};
use crate::wa::{GroupSummary, ReceiptKind, WaEvent};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SimError {
    #[error("instance {0} has no running session")]
    NotRunning(InstanceId),
    #[error("instance {0} is already linked")]
    AlreadyLinked(InstanceId),
    #[error("instance {0} is not linked")]
    NotLinked(InstanceId),
    #[error("could not write the simulated network's record: {0}")]
    Io(String),
}

/// The connection the gateway holds right now.
struct Live {
    generation: u64,
    events: mpsc::Sender<WaEvent>,
}

#[derive(Default)]
struct SimInstance {
    linked: Option<String>,
    live: Option<Live>,
    /// The record of arrivals, opened on the first and kept open.
    sent: Option<std::fs::File>,
}

impl SimInstance {
    fn record_arrival(&mut self, dir: &Path, entry: &SentEntry) -> std::io::Result<()> {
        let file = match &mut self.sent {
            Some(file) => file,
            None => self.sent.insert(record::open_sent(dir)?),
        };
        let written = record::append_sent(file, entry);
        if written.is_err() {
            self.sent = None;
        }
        written
    }
}

pub struct SimNetwork {
    /// SESSION_DIR/instances: each instance's files are in its folder there.
    instances_dir: PathBuf,
    receipt_delay: Duration,
    /// How long a send takes to reach the network, like a real round trip.
    send_delay: Duration,
    instances: Mutex<HashMap<InstanceId, SimInstance>>,
    generations: std::sync::atomic::AtomicU64,
}

impl SimNetwork {
    pub fn new(instances_dir: PathBuf, receipt_delay: Duration, send_delay: Duration) -> Arc<Self> {
        Arc::new(Self {
            instances_dir,
            receipt_delay,
            send_delay,
            instances: Mutex::new(HashMap::new()),
            generations: Default::default(),
        })
    }

    pub fn send_delay(&self) -> Duration {
        self.send_delay
    }

    fn dir(&self, id: &InstanceId) -> PathBuf {
        self.instances_dir.join(id.as_str())
    }

    /// Runs `f` on the instance's state, loading it from disk the first time.
    fn with<T>(&self, id: &InstanceId, f: impl FnOnce(&mut SimInstance) -> T) -> T {
        let mut all = self.instances.lock().unwrap_or_else(|p| p.into_inner());
        let state = all.entry(id.clone()).or_insert_with(|| SimInstance {
            linked: record::load_link(&self.dir(id)),
            ..SimInstance::default()
        });
        f(state)
    }

    /// Attaches a new connection; returns its generation and the linked phone.
    pub(super) fn attach(&self, id: &InstanceId, events: mpsc::Sender<WaEvent>) -> (u64, Option<String>) {
        let generation = self
            .generations
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            + 1;
        // The link is read again: another gateway process may have changed it.
        let linked = record::load_link(&self.dir(id));
        self.with(id, |s| {
            s.live = Some(Live { generation, events });
            s.linked = linked.clone();
            (generation, linked)
        })
    }

    /// Detaches the connection if it is still the one of `generation`.
    pub(super) fn detach(&self, id: &InstanceId, generation: u64) {
        self.with(id, |s| {
            if s.live.as_ref().is_some_and(|l| l.generation == generation) {
                s.live = None;
            }
        })
    }

    pub(super) fn is_attached(&self, id: &InstanceId, generation: u64) -> bool {
        self.with(id, |s| {
            s.live.as_ref().is_some_and(|l| l.generation == generation)
        })
    }

    /// Attached and linked: able to carry messages.
    pub(super) fn is_current(&self, id: &InstanceId, generation: u64) -> bool {
        self.is_attached(id, generation) && self.linked(id).is_some()
    }

    fn live_events(&self, id: &InstanceId) -> Result<mpsc::Sender<WaEvent>, SimError> {
        self.with(id, |s| s.live.as_ref().map(|l| l.events.clone()))
            .ok_or_else(|| SimError::NotRunning(id.clone()))
    }

    /// The phone scans the QR code: the instance becomes linked to `phone`.
    pub async fn scan(&self, id: &InstanceId, phone: Phone) -> Result<(), SimError> {
        let events = self.live_events(id)?;
        let dir = self.dir(id);
        self.with(id, |s| {
            if s.linked.is_some() {
                return Err(SimError::AlreadyLinked(id.clone()));
            }
            record::save_link(&dir, Some(phone.e164())).map_err(|e| SimError::Io(e.to_string()))?;
            s.linked = Some(phone.e164().to_owned());
            Ok(())
        })?;
        let _ = events.send(WaEvent::Connected { phone: Some(phone) }).await;
        Ok(())
    }

    /// A contact writes to the instance.
    pub async fn deliver_inbound(&self, id: &InstanceId, event: WaEvent) -> Result<(), SimError> {
        let events = self.live_events(id)?;
        if self.linked(id).is_none() {
            return Err(SimError::NotLinked(id.clone()));
        }
        let _ = events.send(event).await;
        Ok(())
    }

    /// Cuts the connection; the gateway has to open a new one by itself.
    pub async fn drop_connection(&self, id: &InstanceId) -> Result<(), SimError> {
        let live = self
            .with(id, |s| s.live.take())
            .ok_or_else(|| SimError::NotRunning(id.clone()))?;
        let reason = "connection dropped by the simulated network".to_owned();
        let _ = live
            .events
            .send(WaEvent::Disconnected {
                reason,
                will_retry: false,
            })
            .await;
        Ok(())
    }

    /// The phone unlinks the device.
    pub async fn logout(&self, id: &InstanceId) -> Result<(), SimError> {
        let live = self.unlink(id)?;
        if let Some(events) = live {
            let reason = "device removed on the phone".to_owned();
            let _ = events.send(WaEvent::LoggedOut { reason }).await;
        }
        Ok(())
    }

    /// Forgets the link and detaches any live connection.
    pub(super) fn unlink(&self, id: &InstanceId) -> Result<Option<mpsc::Sender<WaEvent>>, SimError> {
        let dir = self.dir(id);
        self.with(id, |s| {
            if s.linked.is_none() && s.live.is_none() {
                return Err(SimError::NotLinked(id.clone()));
            }
            record::save_link(&dir, None).map_err(|e| SimError::Io(e.to_string()))?;
            s.linked = None;
            Ok(s.live.take().map(|l| l.events))
        })
    }

    pub fn linked(&self, id: &InstanceId) -> Option<String> {
        self.with(id, |s| s.linked.clone())
    }

    /// The chat states and read marks the instance's contacts saw.
    pub fn chat_log(&self, id: &InstanceId) -> Vec<ChatEntry> {
        chat_log::load(&self.dir(id))
    }

    pub(super) fn note_chat(&self, id: &InstanceId, entry: &ChatEntry) -> Result<(), SimError> {
        chat_log::append(&self.dir(id), entry).map_err(|e| SimError::Io(e.to_string()))
    }

    /// Answers sends to `to` with error 463 from now on, reporting a block
    /// until `until_ms`; `refuse: false` withdraws that.
    pub fn refuse(
        &self,
        id: &InstanceId,
        to: &Phone,
        refuse: bool,
        until_ms: Option<i64>,
    ) -> Result<(), SimError> {
        number_lists::set(
            &self.dir(id),
            List::Refused,
            to.e164(),
            refuse.then_some(until_ms),
        )
        .map_err(|e| SimError::Io(e.to_string()))
    }

    /// Whether sends to `to` are refused, and until when the block lasts.
    pub(super) fn refusal(&self, id: &InstanceId, to: &Phone) -> Option<Option<i64>> {
        number_lists::load(&self.dir(id), List::Refused)
            .get(to.e164())
            .copied()
    }

    /// Makes `phone` a number that is not on WhatsApp, or one that is again.
    pub fn set_registered(&self, id: &InstanceId, phone: &Phone, registered: bool) -> Result<(), SimError> {
        let entry = (!registered).then_some(None);
        number_lists::set(&self.dir(id), List::Unregistered, phone.e164(), entry)
            .map_err(|e| SimError::Io(e.to_string()))
    }

    pub(super) fn is_registered(&self, id: &InstanceId, phone: &Phone) -> bool {
        !number_lists::load(&self.dir(id), List::Unregistered).contains_key(phone.e164())
    }

    /// Makes the instance's number a member of a group (under `id`, or a
    /// fresh one); returns the group's id.
    pub fn add_group(
        &self,
        id: &InstanceId,
        group_id: Option<GroupId>,
        group: SimGroup,
    ) -> Result<GroupId, SimError> {
        groups::add(&self.dir(id), group_id, group).map_err(|e| SimError::Io(e.to_string()))
    }

    pub(super) fn groups(&self, id: &InstanceId) -> Vec<GroupSummary> {
        groups::summaries(&groups::load(&self.dir(id)))
    }

    /// The subject of a group the number is in; None when it is in none such.
    pub(super) fn group_subject(&self, id: &InstanceId, group: &GroupId) -> Option<String> {
        groups::load(&self.dir(id)).remove(group).map(|g| g.subject)
    }

    /// What arrived for the instance, read from its record on disk (which
    /// every gateway process sharing SESSION_DIR appends to).
    pub fn sent(&self, id: &InstanceId) -> Vec<SentEntry> {
        record::load_sent(&self.dir(id)).entries().to_vec()
    }

    /// Records an arrival and schedules its delivered and read receipts.
    pub(super) fn receive(self: &Arc<Self>, id: &InstanceId, entry: SentEntry) -> Result<(), SimError> {
        let dir = self.dir(id);
        self.with(id, |s| s.record_arrival(&dir, &entry))
            .map_err(|e| SimError::Io(e.to_string()))?;
        let message_id = entry.id.clone();
        let network = Arc::clone(self);
        let id = id.clone();
        tokio::spawn(async move {
            for kind in [ReceiptKind::Delivered, ReceiptKind::Read] {
                tokio::time::sleep(network.receipt_delay).await;
                let Ok(events) = network.live_events(&id) else {
                    return;
                };
                let receipt = WaEvent::Receipt {
                    message_ids: vec![message_id.clone()],
                    kind,
                };
                let _ = events.send(receipt).await;
            }
        });
        Ok(())
    }
}
