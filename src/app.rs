//! Wiring: opens the store, builds the WhatsApp backend, restores every
//! known instance, starts the forwarder and serves HTTP until `shutdown`
//! is cancelled; then stops taking requests, lets each instance finish the
//! send in flight, and closes the WhatsApp clients, all within
//! SHUTDOWN_TIMEOUT.

use crate::alerts::{self, AlertSettings};
use crate::api::{self, AppState, InboundTestLog};
use crate::config::{Settings, WaBackendKind};
use crate::forward::{Forwarder, ForwarderSettings, Intake};
use crate::liveness::TaskFlag;
use crate::media_store::MediaStore;
use crate::metrics::Metrics;
use crate::queue::{Pacing, SenderCompanion, Wakeups};
use crate::retry::RetrySchedule;
use crate::store::{StoreError, Stores};
use crate::wa::actor::ActorContext;
use crate::wa::manager::SessionManager;
use crate::wa::media::{MediaFetcher, MediaPolicy};
use crate::wa::real::RealBackend;
use crate::wa::sim::{SimBackend, SimNetwork};
use crate::wa::WaBackend;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("cannot use SESSION_DIR {path}: {source}")]
    SessionDir { path: String, source: std::io::Error },
    #[error("cannot read or create the API key: {0}")]
    ApiKey(std::io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot read the listening address: {0}")]
    Listener(std::io::Error),
}

/// Runs the gateway on `listener` until `shutdown` is cancelled.
pub async fn run(
    settings: Settings,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> Result<(), AppError> {
    let settings = Arc::new(settings);
    let local = listener.local_addr().map_err(AppError::Listener)?;
    let (stores, api_key, media) = open_storage(&settings, local)?;
    let metrics = Arc::new(Metrics::new());
    let parts = Parts::build(&settings, &stores, media.clone(), metrics.clone());
    let sessions = parts.sessions.clone();
    for record in stores.instances.instances().await? {
        sessions.start(&record.id, record.phone.clone());
    }
    let forwarder_alive = Arc::new(TaskFlag::default());
    let running = forwarder_alive.running();
    let forwarder_stop = shutdown.child_token();
    let forwarder_task = tokio::spawn(async move {
        let _running = running;
        parts.forwarder.run(forwarder_stop).await
    });
    if let Some(alerts) = AlertSettings::from_settings(&settings) {
        alerts::spawn(alerts, sessions.clone(), metrics.clone(), shutdown.child_token());
    }
    let state = AppState {
        settings: settings.clone(),
        stores,
        sessions: sessions.clone(),
        wakeups: parts.wakeups,
        in_flight: parts.in_flight,
        sim: parts.sim,
        inbound_test: Arc::new(InboundTestLog::default()),
        forwarder_wakeup: parts.forwarder_wakeup,
        metrics: metrics.clone(),
        forwarder_alive,
    };
    let routes = api::routes(state, api_key, media.dir().to_path_buf());
    tracing::info!(address = %local, backend = ?settings.raw.wa_backend, "wagate is serving");
    let server = api::serve(routes, listener, metrics, shutdown.clone().cancelled_owned());
    let workers = async move {
        sessions.stop_all().await;
        let _ = forwarder_task.await;
    };
    serve_then_stop(server, &shutdown, settings.raw.shutdown_timeout, workers).await;
    Ok(())
}

/// The session directory, the API key, the store and the media store.
fn open_storage(
    settings: &Settings,
    local: std::net::SocketAddr,
) -> Result<(Stores, Arc<str>, Arc<MediaStore>), AppError> {
    let session_dir = settings.raw.session_dir.clone();
    std::fs::create_dir_all(&session_dir).map_err(|source| AppError::SessionDir {
        path: session_dir.display().to_string(),
        source,
    })?;
    let api_key: Arc<str> = crate::api_key::load_or_create(settings.raw.api_key.as_deref(), &session_dir)
        .map_err(AppError::ApiKey)?
        .into();
    let stores = Stores::open_embedded(&session_dir)?;
    let base_url = settings
        .public_base_url
        .clone()
        .unwrap_or_else(|| format!("http://{local}"));
    let media = Arc::new(MediaStore::new(session_dir.join("media"), base_url));
    Ok((stores, api_key, media))
}

/// Serves until `shutdown`; then lets requests in progress and the
/// workers (sends in flight, sessions, forwarder) finish, within `timeout`.
async fn serve_then_stop(
    server: impl Future<Output = Result<(), hyper::Error>>,
    shutdown: &CancellationToken,
    timeout: Duration,
    workers: impl Future<Output = ()>,
) {
    tokio::pin!(server);
    let ended_by_itself = tokio::select! {
        served = &mut server => Some(served),
        _ = shutdown.cancelled() => None,
    };
    let deadline = Instant::now() + timeout;
    tracing::info!(
        ?timeout,
        "shutting down: finishing requests and sends in flight, closing sessions"
    );
    match ended_by_itself {
        Some(served) => log_server_end(served),
        None => match tokio::time::timeout_at(deadline, server).await {
            Ok(served) => log_server_end(served),
            Err(_) => tracing::warn!("requests still in progress at SHUTDOWN_TIMEOUT were cut off"),
        },
    }
    if tokio::time::timeout_at(deadline, workers).await.is_err() {
        tracing::warn!("SHUTDOWN_TIMEOUT passed before every session closed; stopping anyway");
    }
}

fn log_server_end(served: Result<(), hyper::Error>) {
    if let Err(e) = served {
        tracing::error!(error = %e, "the HTTP server failed");
    }
}

/// The long-lived pieces built from the settings.
struct Parts {
    sessions: Arc<SessionManager>,
    forwarder: Forwarder,
    forwarder_wakeup: Arc<Notify>,
    wakeups: Arc<Wakeups>,
    in_flight: Arc<std::sync::atomic::AtomicU64>,
    sim: Option<Arc<SimNetwork>>,
}

impl Parts {
    fn build(settings: &Settings, stores: &Stores, media: Arc<MediaStore>, metrics: Arc<Metrics>) -> Self {
        let raw = &settings.raw;
        let (backend, sim) = backend(settings);
        let forwarder_wakeup = Arc::new(Notify::new());
        let intake = Intake {
            outbox: stores.outbox.clone(),
            media,
            forwarder_wakeup: forwarder_wakeup.clone(),
        };
        let wakeups = Arc::new(Wakeups::default());
        let in_flight = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let (media_min, media_max) = settings.media_delay_range();
        let sender = SenderCompanion {
            queue: stores.queue.clone(),
            wakeups: wakeups.clone(),
            pacing: Pacing {
                text: settings.text_delay(),
                media_min,
                media_max,
            },
            retry: RetrySchedule {
                base: Duration::from_millis(raw.send_retry_base_ms),
                max: Duration::from_secs(300),
                max_attempts: raw.send_max_attempts,
            },
            in_flight: in_flight.clone(),
            metrics: metrics.clone(),
        };
        let ctx = ActorContext {
            backend,
            stores: stores.clone(),
            inbound: Arc::new(intake),
            watchdog: Duration::from_millis(raw.reconnect_watchdog_ms),
        };
        let forwarder = Forwarder::new(
            stores.outbox.clone(),
            ForwarderSettings {
                url: raw.ghl_inbound_url.clone(),
                schedule: RetrySchedule {
                    base: Duration::from_millis(raw.forward_retry_base_ms),
                    max: Duration::from_millis(raw.forward_retry_max_ms),
                    max_attempts: raw.forward_max_attempts,
                },
                timeout: Duration::from_millis(raw.forward_timeout_ms),
            },
            forwarder_wakeup.clone(),
            metrics,
        );
        let sessions = Arc::new(SessionManager::new(ctx, Arc::new(sender)));
        Self {
            sessions,
            forwarder,
            forwarder_wakeup,
            wakeups,
            in_flight,
            sim,
        }
    }
}

/// The one place the WhatsApp backend is chosen.
fn backend(settings: &Settings) -> (Arc<dyn WaBackend>, Option<Arc<SimNetwork>>) {
    let raw = &settings.raw;
    match raw.wa_backend {
        WaBackendKind::Sim => {
            let network = SimNetwork::new(
                raw.session_dir.clone(),
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
            (Arc::new(RealBackend::new(raw.session_dir.clone(), fetcher)), None)
        }
    }
}
