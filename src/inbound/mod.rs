//! Inbound forwarding: each inbound WhatsApp message is stored with its
//! forward (the outbox) before anything else, then delivered by the
//! forwarder (to GHL_INBOUND_URL, into GHL's Conversations, or to the
//! instance's own webhooks, see `hooks`), with retries and dead letters.

mod delivery;
pub mod event_text;
mod forwarder;
pub mod handoff;
mod intake;
pub mod media_store;
mod payload;
mod poster;
mod signing;
mod webhook;

pub use delivery::{Deliveries, Delivery, HookDeliveries, Outcome};
pub use forwarder::Forwarder;
pub use intake::Intake;
pub use payload::{EventFields, GroupPayload, InboundPayload};
pub use poster::Poster;
pub use signing::{WebhookSigner, SIGNATURE_HEADER};
pub use webhook::WebhookDelivery;
