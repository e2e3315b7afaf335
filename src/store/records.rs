//! The rows the stores keep, shared by every backend.

use super::{GhlLink, InstanceWebhook};
use crate::domain::{Direction, InstanceId, MessageDetails, MessageKind, MessageStatus, WebhookId};
use serde::{Serialize, Serializer};
use std::borrow::Cow;

/// An instance as it must survive a restart.
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceRecord {
    pub id: InstanceId,
    /// A friendly name the agency gave the number.
    pub alias: Option<String>,
    /// The linked account's own number, once paired; `None` until then.
    pub phone: Option<String>,
    pub created_at_ms: i64,
    pub last_connected_at_ms: Option<i64>,
    pub last_error: Option<String>,
}

impl InstanceRecord {
    pub fn new(id: InstanceId, alias: Option<String>, now_ms: i64) -> Self {
        Self {
            id,
            alias,
            phone: None,
            created_at_ms: now_ms,
            last_connected_at_ms: None,
            last_error: None,
        }
    }
}

/// A send accepted by the API, before it is stored.
#[derive(Debug, Clone)]
pub struct NewOutbound {
    /// WhatsApp-shaped id chosen at acceptance; also the API's message id.
    pub id: String,
    pub instance: InstanceId,
    /// E.164 recipient.
    pub to: String,
    pub kind: MessageKind,
    pub text: String,
    pub media_url: Option<String>,
    pub caption: Option<String>,
    /// A quote, reaction, location or contact card.
    pub details: MessageDetails,
    pub created_at_ms: i64,
    /// The id of the HTTP request that queued it, so the sender's logs can
    /// be matched with the request's.
    pub request_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enqueued {
    pub id: String,
    /// True when the idempotency key had been used: nothing new was queued.
    pub duplicate: bool,
}

/// What a forward move stored: the message's instance, the status it has
/// now, its error and the GHL message it was sent for, so callers need not
/// read any of them back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moved {
    pub instance_id: InstanceId,
    pub status: MessageStatus,
    pub error: Option<String>,
    pub ghl_link: Option<GhlLink>,
}

/// One message of the log, either direction.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageRecord {
    pub id: String,
    pub instance_id: InstanceId,
    #[serde(rename = "type")]
    pub direction: Direction,
    pub kind: MessageKind,
    pub from: Option<String>,
    pub to: Option<String>,
    pub text: String,
    pub media_url: Option<String>,
    pub caption: Option<String>,
    /// What an outbound message quotes, or the reaction, location or
    /// contact card it is.
    #[serde(skip_serializing_if = "MessageDetails::is_empty")]
    pub details: MessageDetails,
    pub status: MessageStatus,
    pub error: Option<String>,
    pub attempts: u32,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    /// The id of the HTTP request that queued an outbound message.
    #[serde(skip)]
    pub request_id: Option<String>,
}

/// An inbound message and the forwards that carry it to GHL.
#[derive(Debug, Clone)]
pub struct InboundRecord {
    /// WhatsApp's message id: the de-duplication key.
    pub wa_id: String,
    pub instance: InstanceId,
    pub kind: MessageKind,
    pub from: Option<String>,
    pub to: Option<String>,
    /// The other person of a one-to-one chat (E.164), kept as a contact of
    /// the instance; None in groups and for hidden numbers.
    pub contact: Option<String>,
    /// Written by the contact (not typed on the linked phone): the
    /// contact's latest message to mark read before the next reply.
    pub unread: bool,
    pub text: String,
    pub media_url: Option<String>,
    pub caption: Option<String>,
    /// The group it was written in, kept with the message.
    pub details: MessageDetails,
    pub received_at_ms: i64,
    /// Stored with the message in the same step (none when nothing is
    /// configured to take inbound messages).
    pub forwards: Vec<NewForward>,
    /// When the forwards fall due: at once, or, for forwards this process's
    /// forwarder takes straight from memory, once that claim runs out.
    pub forwards_due_at_ms: i64,
    /// The [`InboundRouting::generation`] the forwards were chosen by.
    pub routing_generation: u64,
}

/// What chooses an inbound message's forwards: the GHL locations with a
/// token, every location's route and every instance's webhooks. Each
/// change to any of them moves the generation on, in the same write as the
/// change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InboundRouting {
    pub generation: u64,
    /// Token owners (locations and companies), sorted.
    pub installed: Vec<String>,
    pub routes: Vec<LocationRoute>,
    /// Every instance's own webhooks.
    pub webhooks: Vec<InstanceWebhook>,
}

/// What [`Outbox::record_inbound`](super::Outbox::record_inbound) did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    Stored,
    /// The WhatsApp message id was stored before; nothing was written.
    SeenBefore,
    /// The routing moved past the record's generation; nothing was
    /// written, and the forwards must be chosen again.
    RoutingChanged,
}

/// When a pending forward was made and when it falls due.
#[derive(Debug, Clone, Copy)]
pub struct ForwardTiming {
    pub created_ms: i64,
    pub due_ms: i64,
}

impl ForwardTiming {
    /// Made now, due at once.
    pub fn now() -> Self {
        let now = crate::support::clock::now_ms();
        Self {
            created_ms: now,
            due_ms: now,
        }
    }
}

impl InboundRecord {
    pub fn forward_timing(&self) -> ForwardTiming {
        ForwardTiming {
            created_ms: self.received_at_ms,
            due_ms: self.forwards_due_at_ms,
        }
    }

    /// The forwards as the store keeps them, before any attempt.
    pub fn forward_records(&self) -> Vec<ForwardRecord> {
        let record = |forward: &NewForward| ForwardRecord {
            id: forward.id.clone(),
            instance_id: self.instance.clone(),
            message_id: self.wa_id.clone(),
            target: forward.target,
            status: ForwardStatus::Pending,
            attempts: 0,
            next_attempt_at_ms: self.forwards_due_at_ms,
            last_error: None,
            created_at_ms: self.received_at_ms,
            body: forward.body.clone(),
        };
        self.forwards.iter().map(record).collect()
    }
}

/// A forward before it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewForward {
    /// Given to the receiver so it can de-duplicate; also the store's key.
    pub id: String,
    pub target: ForwardTarget,
    /// The JSON the target's handler reads (for a webhook, the exact body).
    pub body: String,
}

/// Where a forward goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForwardTarget {
    /// POSTed to GHL_INBOUND_URL (workflow mode).
    Webhook,
    /// An inbound message added to a GHL location's Conversations.
    GhlConversation,
    /// A status update of a GHL message sent through the provider.
    GhlStatus,
    /// POSTed to one of an instance's own webhooks.
    Hook(WebhookId),
}

/// How a hook's target is written: this prefix and the webhook's id.
const HOOK_PREFIX: &str = "hook:";

impl ForwardTarget {
    /// The target as the stores keep it.
    pub fn as_str(self) -> Cow<'static, str> {
        match self {
            Self::Webhook => "webhook".into(),
            Self::GhlConversation => "ghl_conversation".into(),
            Self::GhlStatus => "ghl_status".into(),
            Self::Hook(id) => format!("{HOOK_PREFIX}{id}").into(),
        }
    }
}

impl std::str::FromStr for ForwardTarget {
    type Err = ();
    fn from_str(raw: &str) -> Result<Self, ()> {
        if let Some(id) = raw.strip_prefix(HOOK_PREFIX) {
            return WebhookId::parse(id).map(Self::Hook).ok_or(());
        }
        [Self::Webhook, Self::GhlConversation, Self::GhlStatus]
            .into_iter()
            .find(|t| t.as_str() == raw)
            .ok_or(())
    }
}

/// The API's words: `webhook`, `ghlConversation`, `ghlStatus`, or
/// `hook:<webhook id>`.
impl Serialize for ForwardTarget {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Webhook => serializer.serialize_str("webhook"),
            Self::GhlConversation => serializer.serialize_str("ghlConversation"),
            Self::GhlStatus => serializer.serialize_str("ghlStatus"),
            Self::Hook(id) => serializer.collect_str(&format_args!("{HOOK_PREFIX}{id}")),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ForwardStatus {
    Pending,
    Delivered,
    Dead,
}

impl ForwardStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Dead => "dead",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "pending" => Some(Self::Pending),
            "delivered" => Some(Self::Delivered),
            "dead" => Some(Self::Dead),
            _ => None,
        }
    }
}

/// What asking to send a forward again found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requeue {
    /// It is pending, due at once with a fresh retry schedule: it was
    /// delivered, dead, or waiting for a retry.
    Requeued,
    /// A forwarder has it claimed (a try may be under way), so it is left
    /// alone: making it due would let another round send it twice. The
    /// claim runs out at `claimed_until_ms`; a failed try is retried anyway.
    Claimed {
        claimed_until_ms: i64,
    },
    Unknown,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ForwardRecord {
    pub id: String,
    pub instance_id: InstanceId,
    /// The message this forward carries or reports on (empty for an
    /// instance's state change).
    pub message_id: String,
    pub target: ForwardTarget,
    pub status: ForwardStatus,
    pub attempts: u32,
    pub next_attempt_at_ms: i64,
    pub last_error: Option<String>,
    pub created_at_ms: i64,
    #[serde(skip)]
    pub body: String,
}

/// Filters for the message history listing.
#[derive(Debug, Clone, Default)]
pub struct HistoryQuery {
    pub instance: Option<InstanceId>,
    pub direction: Option<Direction>,
    pub since_ms: Option<i64>,
    pub limit: usize,
}

/// Counts in the original gateway's BullMQ vocabulary.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct QueueStats {
    pub waiting: u64,
    pub active: u64,
    pub completed: u64,
    pub failed: u64,
    pub delayed: u64,
    pub total: u64,
}

/// The instances that serve one GHL location.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LocationRoute {
    pub location_id: String,
    /// Sends for the location go through this instance unless a contact has
    /// its own.
    pub default_instance_id: InstanceId,
    /// Every instance the location may use, the default among them.
    pub instance_ids: Vec<InstanceId>,
    /// Which instance a contact who never talked with any of them gets.
    #[serde(default)]
    pub new_contacts: NewContacts,
}

/// How a location picks the number for a contact none of its numbers has
/// talked with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum NewContacts {
    /// The location's default instance.
    #[default]
    Default,
    /// The usable instance with the fewest messages waiting.
    LeastLoaded,
    /// The usable instances in turn.
    RoundRobin,
}
