//! The gateway's real whatsapp-rust client against the loopback WhatsApp
//! server (crate `wa-loopback`), through the gateway's own HTTP API. Built
//! only with `--features wa-loopback`: WA_WS_URL and the skipped
//! certificate-chain check exist only there.

// Helpers shared by every test crate; this one uses a part of them.
#[allow(dead_code)]
#[path = "../support/mod.rs"]
mod support;

#[allow(dead_code)]
#[path = "../gateway/common/mod.rs"]
mod common;

mod linking;

use common::{Gateway, TestEnv};
use wa_loopback::LoopbackServer;

/// The version the tests pin; not the library's default, so the server
/// sees whether WA_VERSION reached the client.
pub const PINNED_VERSION: &str = "2.3000.1023456789";

/// Starts a gateway on the real backend, connected to `server`.
pub async fn real_gateway(env: &TestEnv, server: &LoopbackServer) -> Gateway {
    env.start(&[
        ("wa-backend", "whatsapp".to_owned()),
        ("wa-ws-url", server.ws_url()),
        ("wa-version", PINNED_VERSION.to_owned()),
    ])
    .await
}
