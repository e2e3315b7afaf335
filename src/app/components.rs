//! The long-lived pieces of a gateway process, built from the settings.

use super::deployment::Deployment;
use crate::cluster::control::SimSteering;
use crate::cluster::coordinator::Coordinator;
use crate::cluster::lease::Leases;
use crate::cluster::remote::Remote;
use crate::cluster::tenure::Tenure;
use crate::cluster::Fleet;
use crate::config::{Settings, WaBackendKind};
use crate::ghl::provider_parts::{status_reporter, GhlProvider};
use crate::ghl::routing::RoutingCache;
use crate::hooks::{HookDelivery, HookForwards, StateHooks, StatusHooks};
use crate::inbound::media_store::MediaStore;
use crate::inbound::{handoff, Deliveries, Forwarder, Intake, WebhookDelivery, WebhookSigner};
use crate::live::MessageEvents;
use crate::metrics::Metrics;
use crate::send::{Gate, SenderCompanion, SendingPolicy, Wakeups};
use crate::session_dir;
use crate::store::Stores;
use crate::support::retry::RetrySchedule;
use crate::support::secrets::{SecretBox, SecretText};
use crate::wa::actor::ActorContext;
use crate::wa::manager::SessionManager;
use crate::wa::media::voice::{VoiceLimits, VoiceMaker};
use crate::wa::media::{MediaFetcher, MediaPolicy};
use crate::wa::real::RealBackend;
use crate::wa::sim::{SimBackend, SimNetwork};
use crate::wa::WaBackend;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

pub(super) struct Parts {
    /// The stores as everything in this process uses them: message
    /// changes go to the panel's live feed, to GHL's status reports and to
    /// the instances' webhooks.
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
    /// With Redis: this node's leases (until the coordinator takes them)
    /// and requests to the other processes.
    leases: Option<Leases>,
    remote: Option<Remote>,
    /// Shared by the coordinator (which holds the leases) and the senders.
    tenure: Arc<Tenure>,
}

impl Parts {
    pub fn build(
        settings: &Settings,
        deployment: &Deployment,
        stores: Stores,
        message_events: Arc<MessageEvents>,
        media_base_url: String,
        metrics: Arc<Metrics>,
    ) -> Self {
        let (backend, sim) = backend(settings);
        let media = Arc::new(MediaStore::new(
            session_dir::media_dir(&settings.session_dir),
            media_base_url,
        ));
        let forwarder_wakeup = Arc::new(Notify::new());
        let reporter = Arc::new(status_reporter(&stores, forwarder_wakeup.clone()));
        let status_hooks = Arc::new(StatusHooks {
            forwards: hook_forwards(&stores, &forwarder_wakeup),
            log: stores.log.clone(),
        });
        let stores = &stores.observed(vec![message_events, reporter, status_hooks]);
        let ghl = Arc::new(GhlProvider::build(
            settings,
            stores,
            media.clone(),
            deployment.ghl_rate_limiter(),
        ));
        let (handoff, handed) = handoff::channel();
        let intake = Intake {
            outbox: stores.outbox.clone(),
            routing: RoutingCache::default(),
            log: stores.log.clone(),
            webhook: settings.forward.inbound_url.is_some(),
            media: media.clone(),
            handoff,
            forwarder_wakeup: forwarder_wakeup.clone(),
            metrics: metrics.clone(),
        };
        let wakeups = Arc::new(Wakeups::default());
        let in_flight = Arc::new(AtomicU64::new(0));
        let tenure = Arc::new(deployment.tenure());
        let ctx = ActorContext {
            backend,
            stores: stores.clone(),
            inbound: Arc::new(intake),
            watchdog: Duration::from_millis(settings.wa.reconnect_watchdog_ms),
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
        let remote = deployment.remote();
        let fleet = Arc::new(Fleet::new(
            settings.node_id.clone(),
            sessions.clone(),
            wakeups.clone(),
            remote.clone(),
            steering(&sim),
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
            leases: deployment.leases(&settings.node_id),
            remote,
            tenure,
        }
    }

    pub fn forwarder(&self, settings: &Settings) -> Forwarder {
        if settings.forward.inbound_url.is_none() {
            tracing::info!("GHL_INBOUND_URL is not set: inbound messages go to GHL only in provider mode");
        }
        let schedule = RetrySchedule {
            base: Duration::from_millis(settings.forward.retry_base_ms),
            max: Duration::from_millis(settings.forward.retry_max_ms),
            max_attempts: settings.forward.max_attempts,
        };
        let signer =
            (settings.forward.webhook_secret.as_ref()).map(|secret| WebhookSigner::new(secret.expose()));
        let timeout = Duration::from_millis(settings.forward.timeout_ms);
        let webhook = WebhookDelivery::new(settings.forward.inbound_url.clone(), signer.clone(), timeout);
        let hooks = HookDelivery::new(
            self.stores.webhooks.clone(),
            SecretBox::new(settings.secrets_key.as_ref().map(SecretText::expose)),
            signer,
            timeout,
            settings.forward.allow_private_webhook_urls,
        );
        let deliveries = Deliveries {
            webhook: Arc::new(webhook),
            ghl: self.ghl.jobs.clone(),
            hooks: Arc::new(hooks),
        };
        Forwarder::new(
            self.stores.outbox.clone(),
            deliveries,
            schedule,
            self.forwarder_wakeup.clone(),
            self.metrics.clone(),
        )
    }

    /// Where instances' state changes become forwards to their webhooks.
    pub fn state_hooks(&self) -> StateHooks {
        StateHooks {
            forwards: hook_forwards(&self.stores, &self.forwarder_wakeup),
        }
    }

    /// The ownership coordinator, when sessions are shared through Redis
    /// (taken once: it holds this node's leases).
    pub fn coordinator(&mut self) -> Option<Arc<Coordinator>> {
        Some(Coordinator::new(
            self.leases.take()?,
            self.remote.clone()?,
            self.sessions.clone(),
            self.stores.clone(),
            steering(&self.sim),
            self.tenure.clone(),
        ))
    }
}

fn sender(
    settings: &Settings,
    stores: &Stores,
    wakeups: Arc<Wakeups>,
    in_flight: Arc<AtomicU64>,
    metrics: Arc<Metrics>,
    tenure: Arc<Tenure>,
) -> SenderCompanion {
    SenderCompanion {
        queue: stores.queue.clone(),
        instances: stores.instances.clone(),
        wakeups,
        gate: Arc::new(Gate {
            queue: stores.queue.clone(),
            sending: stores.sending.clone(),
            policy: SendingPolicy::from_config(&settings.send.defaults),
        }),
        retry: RetrySchedule {
            base: Duration::from_millis(settings.send.retry_base_ms),
            max: Duration::from_millis(settings.send.retry_max_ms),
            max_attempts: settings.send.max_attempts,
        },
        in_flight,
        metrics,
        permission: tenure,
    }
}

/// Who carries out sim requests here: the sim network, when it runs.
fn steering(sim: &Option<Arc<SimNetwork>>) -> Option<Arc<dyn SimSteering>> {
    sim.clone().map(|network| network as Arc<dyn SimSteering>)
}

/// The one place the WhatsApp backend is chosen.
fn backend(settings: &Settings) -> (Arc<dyn WaBackend>, Option<Arc<SimNetwork>>) {
    let fetcher = MediaFetcher::new(MediaPolicy {
        max_bytes: settings.send.media_max_bytes,
        timeout: Duration::from_millis(settings.send.media_fetch_timeout_ms),
        allow_private: settings.send.allow_private_media_urls,
    });
    let voice = VoiceLimits {
        max_seconds: settings.send.voice_max_seconds,
    };
    match settings.wa.backend {
        WaBackendKind::Sim => {
            let network = SimNetwork::new(
                session_dir::instances_dir(&settings.session_dir),
                Duration::from_millis(settings.wa.sim_receipt_delay_ms),
                Duration::from_millis(settings.wa.sim_send_delay_ms),
            );
            let backend = SimBackend::new(network.clone(), VoiceMaker::new(fetcher, voice));
            (Arc::new(backend), Some(network))
        }
        WaBackendKind::Whatsapp => {
            let real = RealBackend::new(session_dir::instances_dir(&settings.session_dir), fetcher, voice)
                .with_version(settings.wa.version);
            #[cfg(feature = "wa-loopback")]
            let real = match &settings.wa.ws_url {
                Some(url) => real.with_ws_url(url),
                None => real,
            };
            (Arc::new(real), None)
        }
    }
}

/// Where the forwards to instances' own webhooks go.
fn hook_forwards(stores: &Stores, wakeup: &Arc<Notify>) -> HookForwards {
    HookForwards {
        webhooks: stores.webhooks.clone(),
        outbox: stores.outbox.clone(),
        wakeup: wakeup.clone(),
    }
}
