//! wagate: a WhatsApp gateway appliance for GoHighLevel agencies. GHL sends
//! go into durable per-instance queues and out over WhatsApp, paced against
//! bans; inbound WhatsApp messages are stored, then forwarded to GHL with
//! retries. `app::run` starts the whole gateway on a listener.

#![forbid(unsafe_code)]

pub mod alerts;
pub mod api;
pub mod api_key;
pub mod app;
pub mod cli;
pub mod clock;
pub mod cluster;
pub mod config;
pub mod domain;
pub mod duration;
pub mod forward;
pub mod ghl;
pub mod keyed_lock;
pub mod liveness;
pub mod media_store;
pub mod message_events;
pub mod metrics;
pub mod panel_token;
pub mod private_files;
pub mod qr;
pub mod queue;
pub mod retry;
pub mod routes;
pub mod secrets;
pub mod session_dir;
pub mod store;
pub mod wa;
