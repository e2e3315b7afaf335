//! Where alerts go and when an instance that is down raises one.

use super::duration;
use clap::Args;
use std::time::Duration;

#[derive(Debug, Clone, Args)]
pub struct AlertSection {
    /// Where alert events are POSTed as JSON (logout, ban, long offline, dead letters). Unset: no alerts.
    #[arg(
        id = "alert_webhook_url",
        long = "alert-webhook-url",
        env = "ALERT_WEBHOOK_URL"
    )]
    pub webhook_url: Option<String>,
    /// Other name of ALERT_WEBHOOK_URL.
    #[arg(long, env = "MONITORING_WEBHOOK_URL", hide = true)]
    pub monitoring_webhook_url: Option<String>,
    /// Sent as `Authorization: Bearer` with every alert.
    #[arg(
        id = "monitoring_webhook_token",
        long = "monitoring-webhook-token",
        env = "MONITORING_WEBHOOK_TOKEN",
        hide_env_values = true
    )]
    pub webhook_token: Option<String>,
    /// How long a linked instance may be down before an alert: 5m, 30s, or ms.
    #[arg(id = "alert_offline_after", long = "alert-offline-after", env = "ALERT_OFFLINE_AFTER", default_value = "5m", value_parser = duration::parse)]
    pub offline_after: Duration,
}
