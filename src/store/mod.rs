//! Durable state: the instance registry, the message log with its
//! per-instance send queue, idempotency keys, the forwarding outbox, GHL
//! location routes, the instances' own webhooks and the GHL provider's
//! tokens and message links.
//! Traits here; backends beside them. The backend is chosen in one place
//! ([`open`]), and nothing above this module knows which one runs.

mod ghl_state;
mod group_contacts;
mod observed;
mod records;
pub mod redis;
mod sending;
pub mod sqlite;
mod webhooks;

pub use ghl_state::{GhlLink, GhlState, StoredToken, TokenOwnerKind};
pub use group_contacts::{GroupContact, GroupContacts};
pub use observed::MessageObserver;
pub use records::{
    Enqueued, ForwardRecord, ForwardStatus, ForwardTarget, ForwardTiming, HistoryQuery, InboundRecord,
    InboundRouting, InstanceRecord, LocationRoute, MessageRecord, Moved, NewContacts, NewForward,
    NewOutbound, QueueStats, Recorded, Requeue,
};
pub use sending::{NewContactBlock, SendingState, SentMark};
pub use webhooks::{InstanceWebhook, WebhookStore};

use crate::domain::{InstanceId, MessageStatus};
use async_trait::async_trait;
use std::sync::Arc;

#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    #[error("the store is unavailable: {0}")]
    Unavailable(String),
    /// The disk (or Redis's memory) has no room for the write; reads still
    /// answer, and writes succeed again once room is made.
    #[error("no room is left for the store: {0}")]
    Full(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// How long a forward being tried is kept from every other forwarder: a
/// round's read claims the forwards it takes for this long (Redis), and so
/// does a handover in memory (both stores). No try may outlast its claim.
pub const FORWARD_CLAIM: std::time::Duration = std::time::Duration::from_secs(120);

/// Whether writes find room on the disk (the embedded store; Redis reports
/// a full memory with each refused command instead). Reads still answer
/// while the disk is full, so this is asked apart from them.
#[async_trait]
pub trait DiskCheck: Send + Sync {
    /// None while writes succeed; else why they fail, after one fresh try.
    async fn write_problem(&self) -> Option<String>;
    /// The damage a read or write found in the database file since the
    /// start, if any (it stays until the file is repaired and the
    /// gateway restarted).
    fn damage(&self) -> Option<String>;
}

/// Which instances exist, with what they should survive a restart with.
#[async_trait]
pub trait InstanceRegistry: Send + Sync {
    async fn save_instance(&self, record: &InstanceRecord) -> StoreResult<()>;
    async fn instance(&self, id: &InstanceId) -> StoreResult<Option<InstanceRecord>>;
    async fn instances(&self) -> StoreResult<Vec<InstanceRecord>>;
    async fn remove_instance(&self, id: &InstanceId) -> StoreResult<()>;
}

/// Outbound messages, kept in arrival order per instance: the queued ones
/// form each instance's send queue.
#[async_trait]
pub trait SendQueue: Send + Sync {
    /// Stores a new message as queued, unless `idempotency_key` was seen
    /// before: then the earlier message's id is returned, nothing is stored.
    /// None when the message's instance is not registered (never was, or
    /// was deleted meanwhile): nothing is stored. The check and the write
    /// are one step, so no message is queued behind a deletion's
    /// [`SendQueue::fail_queued`].
    async fn enqueue(
        &self,
        message: NewOutbound,
        idempotency_key: Option<String>,
    ) -> StoreResult<Option<Enqueued>>;
    /// The oldest queued message of the instance: the next to send.
    async fn head(&self, instance: &InstanceId) -> StoreResult<Option<MessageRecord>>;
    /// The instance's `limit` oldest queued messages, oldest first (the
    /// sender looks past the head when some recipients must wait).
    async fn queued(&self, instance: &InstanceId, limit: usize) -> StoreResult<Vec<MessageRecord>>;
    /// Counts one more send attempt and remembers the error that caused it.
    async fn record_attempt(&self, id: &str, error: &str) -> StoreResult<()>;
    /// Moves a message forward (sent, delivered, read, failed) and returns
    /// what it stored. Backwards moves are ignored (None), since receipts
    /// arrive late and twice; so are unknown ids.
    async fn advance(
        &self,
        id: &str,
        status: MessageStatus,
        error: Option<&str>,
    ) -> StoreResult<Option<Moved>>;
    /// Stores a send's success in one write: [`SendQueue::advance`] to
    /// sent, the pacing mark ([`SendQueue::last_send_at`]), the count of
    /// the cap window and the recipient as a contact ([`SendingState`]).
    async fn mark_sent(&self, sent: &SentMark) -> StoreResult<Option<Moved>>;
    /// Fails every queued message of the instance with `reason`; returns
    /// their ids.
    async fn fail_queued(&self, instance: &InstanceId, reason: &str) -> StoreResult<Vec<String>>;
    async fn queue_depths(&self) -> StoreResult<Vec<(InstanceId, u64)>>;
    /// When the instance last sent, so pacing holds when its sender moves
    /// (a restart, another process taking it over).
    async fn last_send_at(&self, instance: &InstanceId) -> StoreResult<Option<i64>>;
    async fn stats(&self) -> StoreResult<QueueStats>;
}

/// Every message of the log, both directions, for lookups and history.
#[async_trait]
pub trait MessageLog: Send + Sync {
    async fn message(&self, id: &str) -> StoreResult<Option<MessageRecord>>;
    async fn history(&self, query: &HistoryQuery) -> StoreResult<Vec<MessageRecord>>;
}

/// Inbound messages and their forwards to GHL: stored first, forwarded
/// after, retried until delivered or dead.
#[async_trait]
pub trait Outbox: Send + Sync {
    /// The routing inbound forwards are chosen by, read in one snapshot.
    async fn inbound_routing(&self) -> StoreResult<InboundRouting>;
    /// Stores an inbound message with its forwards in one step, unless its
    /// WhatsApp message id was stored before or the routing moved past
    /// [`InboundRecord::routing_generation`] (then nothing is written).
    async fn record_inbound(&self, inbound: InboundRecord) -> StoreResult<Recorded>;
    /// Stores a forward about an existing message, due now, unless one
    /// with its id exists; returns false then.
    async fn add_forward(
        &self,
        instance: &InstanceId,
        message_id: &str,
        forward: NewForward,
    ) -> StoreResult<bool>;
    /// Pending forwards due at or before `now_ms`, oldest first.
    async fn due_forwards(&self, now_ms: i64, limit: usize) -> StoreResult<Vec<ForwardRecord>>;
    /// When the next pending forward falls due, if any is pending.
    async fn next_forward_due(&self) -> StoreResult<Option<i64>>;
    async fn forward_delivered(&self, id: &str) -> StoreResult<()>;
    async fn forward_retry_at(&self, id: &str, due_ms: i64, error: &str) -> StoreResult<()>;
    async fn forward_dead(&self, id: &str, error: &str) -> StoreResult<()>;
    async fn forwards(&self, status: Option<ForwardStatus>, limit: usize) -> StoreResult<Vec<ForwardRecord>>;
    /// Puts a forward back to pending, due now, with its attempts reset,
    /// unless a forwarder has it claimed (see [`Requeue::Claimed`]).
    async fn requeue_forward(&self, id: &str) -> StoreResult<Requeue>;
    /// Makes these forwards due at once if they are still pending: a
    /// stopping forwarder hands back those it had claimed but not tried,
    /// so another process (or this one once restarted) takes them without
    /// waiting for the claim to run out.
    async fn release_forwards(&self, ids: &[String]) -> StoreResult<()>;
}

/// GHL number routing: which instances serve a GHL location (its default
/// first), per-contact overrides, and the numbers new contacts were given.
#[async_trait]
pub trait LocationRoutes: Send + Sync {
    async fn set_location(&self, route: &LocationRoute) -> StoreResult<()>;
    async fn location(&self, location_id: &str) -> StoreResult<Option<LocationRoute>>;
    async fn locations(&self) -> StoreResult<Vec<LocationRoute>>;
    /// Returns false when the location had no route.
    async fn remove_location(&self, location_id: &str) -> StoreResult<bool>;
    /// Sets (or with `None` clears) the instance that serves one contact.
    async fn set_contact_instance(
        &self,
        location_id: &str,
        contact_id: &str,
        instance: Option<&InstanceId>,
    ) -> StoreResult<()>;
    async fn contact_instance(&self, location_id: &str, contact_id: &str) -> StoreResult<Option<InstanceId>>;
    /// The number the location gave a contact (E.164) that none of its
    /// numbers had talked with yet.
    async fn new_contact_number(&self, location_id: &str, phone: &str) -> StoreResult<Option<InstanceId>>;
    /// Gives a new contact `instance`, unless it was given one already and
    /// `replace` is false; returns the number that stands. So sends to a
    /// new contact accepted together, by one process or several, all go
    /// from the first number given.
    async fn give_new_contact_number(
        &self,
        location_id: &str,
        phone: &str,
        instance: &InstanceId,
        replace: bool,
    ) -> StoreResult<InstanceId>;
    /// The location's next turn for round robin: 0, 1, 2, ...
    async fn next_turn(&self, location_id: &str) -> StoreResult<u64>;
}

/// The store as the rest of the gateway holds it.
#[derive(Clone)]
pub struct Stores {
    pub instances: Arc<dyn InstanceRegistry>,
    pub queue: Arc<dyn SendQueue>,
    pub log: Arc<dyn MessageLog>,
    pub outbox: Arc<dyn Outbox>,
    pub routes: Arc<dyn LocationRoutes>,
    pub ghl: Arc<dyn GhlState>,
    pub group_contacts: Arc<dyn GroupContacts>,
    pub sending: Arc<dyn SendingState>,
    pub webhooks: Arc<dyn WebhookStore>,
    /// The embedded store's disk; None with Redis.
    pub disk: Option<Arc<dyn DiskCheck>>,
}

impl Stores {
    /// Redis when `redis` names one (URL and key prefix), else the
    /// embedded SQLite file in `session_dir`. The gateway's deployment
    /// (`app::deployment`) decides which.
    pub async fn open(session_dir: &std::path::Path, redis: Option<(&str, &str)>) -> StoreResult<Self> {
        match redis {
            Some((url, prefix)) => Ok(Self::from_backend(
                Arc::new(redis::RedisStore::open(url, prefix).await?),
                None,
            )),
            None => {
                let sqlite = Arc::new(sqlite::SqliteStore::open(&crate::session_dir::store_file(
                    session_dir,
                ))?);
                Ok(Self::from_backend(sqlite.clone(), Some(sqlite)))
            }
        }
    }

    fn from_backend<B>(backend: Arc<B>, disk: Option<Arc<dyn DiskCheck>>) -> Self
    where
        B: InstanceRegistry
            + SendQueue
            + MessageLog
            + Outbox
            + LocationRoutes
            + GhlState
            + GroupContacts
            + SendingState
            + WebhookStore
            + 'static,
    {
        Self {
            instances: backend.clone(),
            queue: backend.clone(),
            log: backend.clone(),
            outbox: backend.clone(),
            routes: backend.clone(),
            sending: backend.clone(),
            group_contacts: backend.clone(),
            webhooks: backend.clone(),
            ghl: backend,
            disk,
        }
    }
}
