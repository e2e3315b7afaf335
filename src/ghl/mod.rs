//! GoHighLevel's side of the wiring that is not plain HTTP routing:
//! verifying the signatures GHL puts on its webhooks, and reading the
//! Conversation Provider's Delivery URL payload.

pub mod provider;
pub mod signature;
