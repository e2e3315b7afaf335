//! Per-number webhooks: each instance may have any number of its own
//! webhooks, each taking the events it subscribed to (`messages`,
//! `statuses`, `instance`, `calls`). Their forwards go through the same
//! durable outbox as GHL_INBOUND_URL's, signed the same way, with the same
//! retries and dead letters; only the choosing of forwards and the last
//! step (which URL, which secret) are here:
//!
//! - `choice`: an inbound message's forwards to its instance's webhooks;
//! - `statuses`: an observer of the store that adds a forward for each
//!   status change of an outbound message;
//! - `states`: follows each running instance's state and adds a forward
//!   for each change;
//! - `forwards`: adds an event's forwards for the webhooks that take it
//!   (for `statuses` and `states`);
//! - `delivery`: POSTs a forward to its webhook as the webhook is now;
//! - `address`: which URLs a webhook may have.

pub mod address;
mod body;
mod choice;
mod delivery;
mod forwards;
mod states;
mod statuses;

pub use choice::message_forwards;
pub use delivery::HookDelivery;
pub use forwards::HookForwards;
pub use states::{follow_states, StateHooks};
pub use statuses::StatusHooks;
