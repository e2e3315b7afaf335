//! The inbound path's settings: where messages from WhatsApp are POSTed,
//! how they are signed, how forwards are retried, and where instances' own
//! webhooks may point.

use crate::support::secrets::SecretText;
use clap::Args;

#[derive(Debug, Clone, Args)]
pub struct ForwardSection {
    /// Where inbound WhatsApp messages are POSTed (a GHL inbound webhook URL).
    #[arg(id = "ghl_inbound_url", long = "ghl-inbound-url", env = "GHL_INBOUND_URL")]
    pub inbound_url: Option<String>,
    /// Signs each forward with HMAC-SHA256 (header X-Wagate-Signature). Unset: unsigned.
    #[arg(long, env = "WEBHOOK_SECRET", hide_env_values = true)]
    pub webhook_secret: Option<SecretText>,
    /// Tries of a forward to GHL before it becomes a dead letter.
    #[arg(
        id = "forward_max_attempts",
        long = "forward-max-attempts",
        env = "FORWARD_MAX_ATTEMPTS",
        default_value_t = 8
    )]
    pub max_attempts: u32,
    /// First pause before retrying a forward, in ms (doubles each time, with jitter).
    #[arg(
        id = "forward_retry_base_ms",
        long = "forward-retry-base-ms",
        env = "FORWARD_RETRY_BASE_MS",
        default_value_t = 1000
    )]
    pub retry_base_ms: u64,
    /// Longest pause between two tries of a forward, in ms.
    #[arg(
        id = "forward_retry_max_ms",
        long = "forward-retry-max-ms",
        env = "FORWARD_RETRY_MAX_MS",
        default_value_t = 300_000
    )]
    pub retry_max_ms: u64,
    /// Time limit of one forward request, in ms.
    #[arg(
        id = "forward_timeout_ms",
        long = "forward-timeout-ms",
        env = "FORWARD_TIMEOUT_MS",
        default_value_t = 10_000
    )]
    pub timeout_ms: u64,
    /// Let instances' own webhooks point at loopback or private addresses (off: refused, against SSRF).
    #[arg(
        long,
        env = "ALLOW_PRIVATE_WEBHOOK_URLS",
        default_value_t = false,
        num_args = 0..=1,
        default_missing_value = "true",
        action = clap::ArgAction::Set
    )]
    pub allow_private_webhook_urls: bool,
}

impl ForwardSection {
    pub(super) fn validate(&self) -> Result<(), String> {
        super::check_url("GHL_INBOUND_URL", self.inbound_url.as_deref())?;
        super::positive("FORWARD_MAX_ATTEMPTS", self.max_attempts.into())?;
        super::positive("FORWARD_TIMEOUT_MS", self.timeout_ms)
    }
}
