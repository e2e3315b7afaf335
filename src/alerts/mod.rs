//! Alerts for whoever runs the gateway: a JSON event POSTed to
//! ALERT_WEBHOOK_URL when an instance is logged out, temporarily banned or
//! offline for longer than ALERT_OFFLINE_AFTER, and when forwards start
//! dead-lettering; once per incident, and a `recovered` event after; and
//! whenever an instance got messages it could not decrypt. It only
//! watches: the instances' state channels and the counters.

mod event;
mod incident;
mod notify;
mod watch;

use crate::config::Settings;
use crate::metrics::Metrics;
use crate::wa::manager::SessionManager;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Alerts that may wait for the webhook before new ones are dropped.
const BACKLOG: usize = 256;

pub struct AlertSettings {
    pub url: String,
    pub token: Option<String>,
    pub offline_after: Duration,
}

impl AlertSettings {
    /// The alert settings, when a webhook is configured.
    pub fn from_settings(settings: &Settings) -> Option<Self> {
        Some(Self {
            url: settings.alerts.webhook_url.clone()?,
            token: settings.alerts.webhook_token.clone(),
            offline_after: settings.alerts.offline_after,
        })
    }
}

/// Starts watching; the watchers end when `stop` is cancelled, and the
/// webhook sender after the last alert they raised.
pub fn spawn(
    settings: AlertSettings,
    sessions: Arc<SessionManager>,
    metrics: Arc<Metrics>,
    stop: CancellationToken,
) {
    let (events, pending) = tokio::sync::mpsc::channel(BACKLOG);
    tokio::spawn(notify::Notifier::new(settings.url, settings.token).run(pending));
    tokio::spawn(watch::supervise(
        sessions,
        metrics,
        settings.offline_after,
        events,
        stop,
    ));
}
