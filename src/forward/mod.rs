//! Inbound forwarding: each inbound WhatsApp message is stored with its
//! forward (the outbox) before anything else, then POSTed to
//! GHL_INBOUND_URL by the forwarder, with retries and dead letters.

mod forwarder;
pub mod handoff;
mod intake;
mod payload;
mod signing;

pub use forwarder::{Forwarder, ForwarderSettings};
pub use intake::Intake;
pub use payload::InboundPayload;
pub use signing::{WebhookSigner, SIGNATURE_HEADER};
