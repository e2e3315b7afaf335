//! The provider mode's long-lived parts, built once per process from the
//! settings: the app's settings, the rate-limited client, the token keeper
//! and the job runner the forwarder hands GHL jobs to.

use super::client::GhlClient;
use super::conversations::Mirror;
use super::jobs::GhlJobs;
use super::marketplace_app::GhlApp;
use super::media::MediaFiles;
use super::rate_limit::RateLimiter;
use super::status::StatusReporter;
use super::tokens::TokenKeeper;
use crate::config::Settings;
use crate::inbound::media_store::MediaStore;
use crate::store::Stores;
use crate::support::secrets::{SecretBox, SecretText};
use crate::wa::media::{MediaFetcher, MediaPolicy};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

pub struct GhlProvider {
    pub app: Arc<GhlApp>,
    pub tokens: Arc<TokenKeeper>,
    pub jobs: Arc<GhlJobs>,
}

impl GhlProvider {
    /// `limiter` keeps GHL's rate limit: in this process, or across every
    /// process of the deployment.
    pub fn build(settings: &Settings, stores: &Stores, media: Arc<MediaStore>, limiter: RateLimiter) -> Self {
        let secrets = SecretBox::new(settings.secrets_key.as_ref().map(SecretText::expose));
        if !secrets.encrypts() {
            tracing::info!("SECRETS_KEY is not set: GHL tokens are stored unencrypted");
        }
        let app = Arc::new(GhlApp::new(settings, stores.ghl.clone(), secrets));
        let timeout = Duration::from_millis(settings.forward.timeout_ms);
        let client = Arc::new(GhlClient::new(&settings.ghl.api_base, timeout, limiter));
        let panel_url = settings
            .public_base_url
            .as_ref()
            .map(|base| format!("{base}/panel/"));
        let tokens = Arc::new(TokenKeeper::new(
            stores.ghl.clone(),
            app.clone(),
            client.clone(),
            panel_url,
        ));
        let fetcher = MediaFetcher::new(MediaPolicy {
            max_bytes: settings.send.media_max_bytes,
            timeout: Duration::from_millis(settings.send.media_fetch_timeout_ms),
            allow_private: settings.send.allow_private_media_urls,
        });
        let jobs = Arc::new(GhlJobs {
            app: app.clone(),
            client: client.clone(),
            tokens: tokens.clone(),
            store: stores.ghl.clone(),
            mirror: Mirror {
                client,
                files: MediaFiles {
                    store: media,
                    fetcher,
                },
                groups: stores.group_contacts.clone(),
            },
            status_order: Default::default(),
            contact_order: Default::default(),
        });
        Self { app, tokens, jobs }
    }
}

/// Stores status updates for GHL as messages move (an observer of
/// `stores`' message changes).
pub fn status_reporter(stores: &Stores, wakeup: Arc<Notify>) -> StatusReporter {
    StatusReporter {
        log: stores.log.clone(),
        ghl: stores.ghl.clone(),
        outbox: stores.outbox.clone(),
        wakeup,
    }
}
