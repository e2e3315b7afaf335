//! What a WhatsApp session reports to its actor, in the gateway's own terms.

use crate::domain::{GroupRef, MessageDetails, MessageKind, Phone};
use bytes::Bytes;
use std::time::Duration;

#[derive(Debug, Clone)]
pub enum WaEvent {
    /// A QR code to scan (the text to encode), valid for `valid_for`.
    Qr { code: String, valid_for: Duration },
    /// All QR codes were shown and none scanned; a new pairing must start.
    QrExhausted,
    /// A pairing code to type on the phone (link with phone number).
    PairCode { code: String },
    /// Connected and logged in as `phone` (when known).
    Connected { phone: Option<Phone> },
    /// The connection dropped. When `will_retry` is false the gateway must
    /// open a fresh session itself.
    Disconnected { reason: String, will_retry: bool },
    /// The phone unlinked this device; a new scan is needed.
    LoggedOut { reason: String },
    /// WhatsApp banned the number for a while: `lasts` when it said.
    TemporaryBan { reason: String, lasts: Option<Duration> },
    /// Another client took over this session.
    StreamReplaced,
    /// WhatsApp refused the client's version as outdated; retrying with the
    /// same version cannot help.
    ClientOutdated,
    /// A message from a contact (or typed on the linked phone itself).
    Inbound(Box<InboundMessage>),
    /// Receipts for messages this instance sent.
    Receipt {
        message_ids: Vec<String>,
        kind: ReceiptKind,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReceiptKind {
    Delivered,
    Read,
}

#[derive(Debug, Clone)]
pub struct InboundMessage {
    /// WhatsApp's message id; the same message replayed has the same id.
    pub id: String,
    /// The sender's phone number, when WhatsApp told it (never read out of a
    /// hidden-number `@lid` id).
    pub from: Option<Phone>,
    /// The other person of a one-to-one chat, when their number is known:
    /// the sender of a received message, the recipient of one typed on the
    /// linked phone. `None` in groups.
    pub contact: Option<Phone>,
    /// The chat's WhatsApp id (`...@s.whatsapp.net`, `...@g.us`, `...@lid`).
    pub chat: String,
    pub push_name: Option<String>,
    pub kind: MessageKind,
    pub text: Option<String>,
    pub caption: Option<String>,
    pub media: Option<InboundMedia>,
    /// Milliseconds since the Unix epoch, as WhatsApp stamped it.
    pub timestamp_ms: i64,
    pub is_group: bool,
    /// The group it was written in (`from` is the member who wrote).
    pub group: Option<GroupRef>,
    /// Typed on the linked phone itself rather than received.
    pub from_me: bool,
    /// What it is besides text and media: the message it quotes, the
    /// reaction, location, contact card, edit, deletion, poll, vote or
    /// missed call it is (its group is in `group`).
    pub details: MessageDetails,
}

#[derive(Debug, Clone)]
pub struct InboundMedia {
    pub mime_type: Option<String>,
    pub source: MediaSource,
}

#[derive(Debug, Clone)]
pub enum MediaSource {
    /// Already reachable at a URL (the sim gives one).
    Url(String),
    /// Downloaded and decrypted bytes; the gateway stores and serves them.
    Bytes(Bytes),
}
