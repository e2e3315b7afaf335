//! GHL's routes: workflow sends (`/api/ghl/outbound`), the marketplace
//! app's settings, its OAuth callback and webhooks, the Conversation
//! Provider's Delivery URL, and which numbers serve each location.

pub(super) mod app_settings;
pub(super) mod contact_number;
pub(super) mod delivery_url;
pub(super) mod locations;
pub(super) mod oauth;
pub(super) mod webhooks;
pub(super) mod workflow;
