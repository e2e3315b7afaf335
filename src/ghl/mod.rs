//! GoHighLevel's side of the wiring that is not plain HTTP routing:
//! verifying the signatures GHL puts on its webhooks, the Conversation
//! Provider's Delivery URL payload, and the provider's calls back to GHL
//! (OAuth tokens, status updates, inbound messages into Conversations),
//! all through one rate-limited client; and the user context GHL hands
//! the panel when it frames it.

pub mod app_events;
pub mod budget;
pub mod client;
pub mod conversations;
pub mod group_contacts;
pub mod install_state;
pub mod jobs;
pub mod marketplace_app;
pub mod media;
pub mod menu_link;
pub mod number_choice;
pub mod oauth;
pub mod provider;
pub mod provider_parts;
pub mod rate_limit;
pub mod replay;
pub mod routing;
pub mod shared_budget;
pub mod shared_window;
pub mod signature;
pub mod status;
pub mod tokens;
pub mod user_context;
