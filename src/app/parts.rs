//! The long-lived pieces of a gateway process, built from the settings.

use crate::cluster::coordinator::Coordinator;
use crate::cluster::lease::Leases;
use crate::cluster::remote::Remote;
use crate::cluster::tenure::Tenure;
use crate::cluster::Fleet;
use crate::config::{Settings, WaBackendKind};
use crate::forward::{handoff, Forwarder, ForwarderSettings, Intake, WebhookSigner};
use crate::ghl::routing::RoutingCache;
use crate::ghl::wiring::{reporting_statuses, GhlProvider};
use crate::media_store::MediaStore;
use crate::metrics::Metrics;
use crate::queue::{Pacing, SenderCompanion, Wakeups};
use crate::retry::RetrySchedule;
use crate::session_dir;
use crate::store::Stores;
use crate::wa::actor::ActorContext;
use crate::wa::manager::SessionManager;
use crate::wa::media::{MediaFetcher, MediaPolicy};
use crate::wa::real::RealBackend;
use crate::wa::sim::{SimBackend, SimNetwork};
use crate::wa::WaBackend;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

pub(super) struct Parts {
    /// The stores as everything in this process uses them (with GHL
    /// status reporting on the send queue).
    pub stores: Stores,
    pub ghl: Arc<GhlProvider>,
    pub sessions: Arc<SessionManager>,
    pub fleet: Arc<Fleet>,
    pub media: Arc<MediaStore>,
    pub forwarder_wakeup: Arc<Notify>,
    pub wakeups: Arc<Wakeups>,
    pub in_flight: Arc<AtomicU64>,
    pub sim: Option<Arc<SimNetwork>>,
    pub metrics: Arc<Metrics>,
    /// The forwarder's end of the intake's handoff, until the forwarder
    /// takes it (dropped where no forwarder runs, so none is handed over).
    pub handed: Option<handoff::Handed>,
    /// Redis connections for ownership and remote requests.
    redis: Option<deadpool_redis::Pool>,
    /// Shared by the coordinator (which holds the leases) and the senders.
    tenure: Arc<Tenure>,
}

impl Parts {
    pub fn build(
        settings: &Settings,
        stores: &Stores,
        media_base_url: String,
        metrics: Arc<Metrics>,
    ) -> Self {
        let raw = &settings.raw;
        let (backend, sim) = backend(settings);
        let media = Arc::new(MediaStore::new(
            session_dir::media_dir(&raw.session_dir),
            media_base_url,
        ));
        let forwarder_wakeup = Arc::new(Notify::new());
        let stores = &reporting_statuses(stores.clone(), forwarder_wakeup.clone());
        let redis = raw.redis_url.as_deref().map(redis_pool);
        let ghl = Arc::new(GhlProvider::build(settings, stores, media.clone(), redis.clone()));
        let (handoff, handed) = handoff::channel();
        let intake = Intake {
            outbox: stores.outbox.clone(),
            routing: RoutingCache::default(),
            log: stores.log.clone(),
            webhook: raw.ghl_inbound_url.is_some(),
            media: media.clone(),
            handoff,
            forwarder_wakeup: forwarder_wakeup.clone(),
        };
        let wakeups = Arc::new(Wakeups::default());
        let in_flight = Arc::new(AtomicU64::new(0));
        let tenure = Arc::new(match &redis {
            // A send starts only while a renewal period of the lease is left.
            Some(_) => Tenure::leased(Duration::from_millis(raw.lease_ms) / 3),
            None => Tenure::unlimited(),
        });
        let ctx = ActorContext {
            backend,
            stores: stores.clone(),
            inbound: Arc::new(intake),
            watchdog: Duration::from_millis(raw.reconnect_watchdog_ms),
        };
        let sender = sender(
            settings,
            stores,
            wakeups.clone(),
            in_flight.clone(),
            metrics.clone(),
            tenure.clone(),
        );
        let sessions = Arc::new(SessionManager::new(ctx, Arc::new(sender)));
        let remote = redis.clone().map(|pool| {
            Remote::new(
                pool,
                &raw.redis_prefix,
                raw.redis_url.as_deref().unwrap_or_default(),
            )
        });
        let fleet = Arc::new(Fleet::new(
            settings.node_id.clone(),
            sessions.clone(),
            wakeups.clone(),
            remote,
            sim.clone(),
        ));
        Self {
            stores: stores.clone(),
            ghl,
            sessions,
            fleet,
            media,
            forwarder_wakeup,
            wakeups,
            in_flight,
            sim,
            metrics,
            handed: Some(handed),
            redis,
            tenure,
        }
    }

    pub fn forwarder(&self, settings: &Settings) -> Forwarder {
        let raw = &settings.raw;
        let schedule = RetrySchedule {
            base: Duration::from_millis(raw.forward_retry_base_ms),
            max: Duration::from_millis(raw.forward_retry_max_ms),
            max_attempts: raw.forward_max_attempts,
        };
        let forwarder_settings = ForwarderSettings {
            url: raw.ghl_inbound_url.clone(),
            schedule,
            timeout: Duration::from_millis(raw.forward_timeout_ms),
            signer: raw.webhook_secret.as_deref().map(WebhookSigner::new),
            ghl: self.ghl.jobs.clone(),
        };
        Forwarder::new(
            self.stores.outbox.clone(),
            forwarder_settings,
            self.forwarder_wakeup.clone(),
            self.metrics.clone(),
        )
    }

    /// The ownership coordinator, when sessions are shared through Redis.
    pub fn coordinator(&self, settings: &Settings) -> Option<Arc<Coordinator>> {
        let pool = self.redis.clone()?;
        let raw = &settings.raw;
        let leases = Leases::new(
            pool.clone(),
            &raw.redis_prefix,
            &settings.node_id,
            Duration::from_millis(raw.lease_ms),
        );
        let remote = Remote::new(
            pool,
            &raw.redis_prefix,
            raw.redis_url.as_deref().unwrap_or_default(),
        );
        Some(Coordinator::new(
            leases,
            remote,
            self.sessions.clone(),
            self.stores.clone(),
            self.sim.clone(),
            self.tenure.clone(),
        ))
    }
}

fn redis_pool(url: &str) -> deadpool_redis::Pool {
    crate::store::redis::pool(url).expect("REDIS_URL was checked when the store opened")
}

fn sender(
    settings: &Settings,
    stores: &Stores,
    wakeups: Arc<Wakeups>,
    in_flight: Arc<AtomicU64>,
    metrics: Arc<Metrics>,
    tenure: Arc<Tenure>,
) -> SenderCompanion {
    let (media_min, media_max) = settings.media_delay_range();
    SenderCompanion {
        queue: stores.queue.clone(),
        wakeups,
        pacing: Pacing {
            text: settings.text_delay(),
            media_min,
            media_max,
        },
        retry: RetrySchedule {
            base: Duration::from_millis(settings.raw.send_retry_base_ms),
            max: Duration::from_millis(settings.raw.send_retry_max_ms),
            max_attempts: settings.raw.send_max_attempts,
        },
        in_flight,
        metrics,
        tenure,
    }
}

/// The one place the WhatsApp backend is chosen.
fn backend(settings: &Settings) -> (Arc<dyn WaBackend>, Option<Arc<SimNetwork>>) {
    let raw = &settings.raw;
    match raw.wa_backend {
        WaBackendKind::Sim => {
            let network = SimNetwork::new(
                session_dir::instances_dir(&raw.session_dir),
                Duration::from_millis(raw.sim_receipt_delay_ms),
                Duration::from_millis(raw.sim_send_delay_ms),
            );
            (Arc::new(SimBackend::new(network.clone())), Some(network))
        }
        WaBackendKind::Whatsapp => {
            let fetcher = MediaFetcher::new(MediaPolicy {
                max_bytes: raw.media_max_bytes,
                timeout: Duration::from_millis(raw.media_fetch_timeout_ms),
                allow_private: raw.allow_private_media_urls,
            });
            let real = RealBackend::new(session_dir::instances_dir(&raw.session_dir), fetcher)
                .with_version(raw.wa_version);
            #[cfg(feature = "wa-loopback")]
            let real = match &raw.wa_ws_url {
                Some(url) => real.with_ws_url(url),
                None => real,
            };
            (Arc::new(real), None)
        }
    }
}
