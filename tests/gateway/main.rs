//! Integration tests: the real gateway on 127.0.0.1:0 with the sim
//! WhatsApp backend and a local receiver standing in for GHL.

// Helpers shared by every test crate; this one uses a part of them.
#[allow(dead_code)]
#[path = "../support/mod.rs"]
mod support;

mod alerts;
mod cli;
mod common;
mod compat;
mod connections;
mod credentials;
mod damaged_store;
mod fake_ghl;
mod front_door;
mod ghl;
mod ghl_agency;
mod ghl_front_door;
mod ghl_groups;
mod ghl_menu_link;
mod ghl_provider;
mod ghl_shared_day;
mod ghl_sso;
mod groups;
mod healthcheck;
mod human_sending;
mod inbound;
mod inbound_events;
mod linking;
mod lookup;
mod old_ui;
mod openapi;
mod operations;
mod panel;
mod restart;
mod rich_sends;
mod routing;
mod sending;
mod session_files;
mod shutdown;
mod sticky_routing;
mod store_contract;
mod validation;
mod voice;
mod webhooks;
