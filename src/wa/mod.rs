//! The WhatsApp layer. The rest of the gateway sees WhatsApp only through
//! the traits here: a [`WaBackend`] opens one [`WaSession`] per instance, and
//! the session reports what happens as [`WaEvent`]s. Two backends implement
//! them: `real` (whatsapp-rust) and `sim` (an in-process simulated network).
//! `manager` and `actor` drive one session per instance on top of them.

pub mod actor;
pub mod events;
pub mod manager;
pub mod media;
pub mod real;
pub mod sim;
pub mod status;

use crate::domain::{GroupId, InstanceId, MessageDetails, MessageKind, Phone, Recipient};
use async_trait::async_trait;
pub use events::{InboundMedia, InboundMessage, MediaSource, ReceiptKind, WaEvent};
pub use status::InstanceStatus;
use tokio::sync::mpsc;

/// One message on its way out, as the sender hands it to a session.
#[derive(Debug, Clone)]
pub struct OutgoingMessage {
    /// WhatsApp message id chosen when the gateway accepted the message; the
    /// same id on every attempt, so a resend is never a second message.
    pub id: String,
    /// A number, or a group the instance is in.
    pub to: Recipient,
    pub kind: MessageKind,
    /// The text of a text message.
    pub text: String,
    pub media_url: Option<String>,
    pub caption: Option<String>,
    /// The message it quotes, or the reaction, location or contact card
    /// it is.
    pub details: MessageDetails,
}

/// A group the instance's number is in.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GroupSummary {
    pub id: GroupId,
    pub subject: String,
    /// Members, the number itself included.
    pub size: usize,
}

/// Why a send did not go out; decides between retrying and giving up.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum SendError {
    /// Worth another try later: not connected, a timeout, a server hiccup.
    #[error("{0}")]
    Transient(String),
    /// Can never succeed: the number is not on WhatsApp, the media is refused.
    #[error("{0}")]
    Permanent(String),
    /// WhatsApp refuses this number's messages to people it has no chat
    /// with (error 463, the "reach-out timelock"), until `until_ms` when
    /// WhatsApp said. Retrying cannot help before then.
    #[error("{reason}")]
    NewContactsBlocked { reason: String, until_ms: Option<i64> },
}

/// What a contact sees in the chat while the gateway prepares a send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChatPresence {
    /// "typing…"
    Composing,
    /// "recording audio…"
    Recording,
    /// Neither any more.
    Paused,
}

impl ChatPresence {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Composing => "composing",
            Self::Recording => "recording",
            Self::Paused => "paused",
        }
    }
}

/// Errors from starting or steering a session.
#[derive(Debug, thiserror::Error)]
pub enum WaError {
    #[error("could not open the session store: {0}")]
    Store(String),
    #[error("could not start the WhatsApp client: {0}")]
    Start(String),
    #[error("pairing by code failed: {0}")]
    PairCode(String),
    #[error("logout failed: {0}")]
    Logout(String),
}

/// Opens sessions. One backend serves every instance of the process.
#[async_trait]
pub trait WaBackend: Send + Sync + 'static {
    /// Starts a session for `instance` whose events go to `events` until it is
    /// shut down. Auth state lives in the instance's SESSION_DIR folder, so a
    /// linked instance connects without a new scan.
    async fn open(
        &self,
        instance: &InstanceId,
        events: mpsc::Sender<WaEvent>,
    ) -> Result<Box<dyn WaSession>, WaError>;

    /// Deletes the instance's stored auth state (after a logout, on clear,
    /// on delete). The next `open` starts a fresh pairing.
    async fn forget(&self, instance: &InstanceId) -> Result<(), WaError>;
}

/// A running connection for one instance. Exactly one exists per instance
/// at a time; the actor owns it.
#[async_trait]
pub trait WaSession: Send + Sync {
    /// Sends one message with its gateway-chosen id.
    async fn send(&self, message: &OutgoingMessage) -> Result<(), SendError>;

    /// Shows `to` that a message is being typed or recorded, or stops it.
    async fn presence(&self, to: &Phone, presence: ChatPresence) -> Result<(), SendError>;

    /// Marks messages `contact` sent as read (their blue ticks).
    async fn mark_read(&self, contact: &Phone, message_ids: &[String]) -> Result<(), SendError>;

    /// Whether `phone` is on WhatsApp: its WhatsApp id if so.
    async fn lookup(&self, phone: &Phone) -> Result<Option<String>, SendError>;

    /// The groups the number is in.
    async fn groups(&self) -> Result<Vec<GroupSummary>, SendError>;

    /// Asks for an 8-character pairing code for `phone` (link with phone
    /// number instead of QR). A backend may also report it as [`WaEvent::PairCode`].
    async fn pair_with_code(&self, phone: &Phone) -> Result<String, WaError>;

    /// Unlinks the device from the phone's account.
    async fn logout(&self) -> Result<(), WaError>;

    /// Stops the connection and waits until the client is gone, so a new
    /// session may open on the same store afterwards.
    async fn shutdown(self: Box<Self>);
}
