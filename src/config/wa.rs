//! WhatsApp's settings: which backend runs the sessions, the version the
//! real client announces, reconnects, number lookups, and the sim's timing.

use super::WaBackendKind;
use clap::Args;

#[derive(Debug, Clone, Args)]
pub struct WaSection {
    /// Which WhatsApp backend to run.
    #[arg(
        id = "wa_backend",
        long = "wa-backend",
        env = "WA_BACKEND",
        value_enum,
        default_value = "whatsapp"
    )]
    pub backend: WaBackendKind,
    /// WhatsApp Web version to announce (e.g. 2.3000.1023456789). Unset: fetched from web.whatsapp.com.
    #[arg(id = "wa_version", long = "wa-version", env = "WA_VERSION", value_parser = crate::wa::real::WaVersion::parse)]
    pub version: Option<crate::wa::real::WaVersion>,
    /// Loopback tests only (feature wa-loopback): the ws:// URL of a loopback WhatsApp server.
    #[cfg(feature = "wa-loopback")]
    #[arg(id = "wa_ws_url", long = "wa-ws-url", env = "WA_WS_URL", value_parser = crate::wa::real::parse_ws_url)]
    pub ws_url: Option<String>,
    /// How long a connection may stay down before the gateway builds a fresh client, in ms.
    #[arg(long, env = "RECONNECT_WATCHDOG_MS", default_value_t = 120_000)]
    pub reconnect_watchdog_ms: u64,
    /// How many "is this number on WhatsApp?" lookups each instance may make a minute
    /// (many lookups are a bulk-checking signal that gets numbers banned).
    #[arg(long, env = "LOOKUPS_PER_MINUTE", default_value_t = 20)]
    pub lookups_per_minute: u32,
    /// Sim backend only: delay before a simulated delivered receipt (read follows after as long again), in ms.
    #[arg(long, env = "SIM_RECEIPT_DELAY_MS", default_value_t = 300)]
    pub sim_receipt_delay_ms: u64,
    /// Sim backend only: how long a send takes to reach the simulated network, in ms.
    #[arg(long, env = "SIM_SEND_DELAY_MS", default_value_t = 0)]
    pub sim_send_delay_ms: u64,
}
