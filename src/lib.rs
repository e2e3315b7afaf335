//! wagate: a WhatsApp gateway appliance for GoHighLevel agencies. GHL sends
//! go into durable per-instance queues and out over WhatsApp, paced against
//! bans; inbound WhatsApp messages are stored, then forwarded to GHL with
//! retries. `app::run` starts the whole gateway on a listener.

#![forbid(unsafe_code)]

pub mod alerts;
pub mod api;
pub mod app;
pub mod cli;
pub mod cluster;
pub mod config;
pub mod domain;
pub mod ghl;
pub mod hooks;
pub mod inbound;
pub mod live;
pub mod metrics;
pub mod send;
pub mod session_dir;
pub mod store;
pub mod support;
pub mod wa;
