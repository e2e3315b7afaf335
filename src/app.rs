//! Wiring: opens the store, builds the WhatsApp backend and the session
//! manager, decides where sessions run (all here when embedded; by lease
//! with Redis), starts the forwarder, and serves HTTP (roles `all`, `api`)
//! until `shutdown` is cancelled; then stops taking requests, lets each
//! instance finish the send in flight, and closes the WhatsApp clients.

mod parts;

use crate::api::{self, AppState, InboundTestLog};
use crate::config::{Role, Settings};
use crate::message_events::MessageEvents;
use crate::store::{StoreError, Stores};
use parts::Parts;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
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

/// Serves the gateway on `listener` until `shutdown` is cancelled (roles
/// `all` and `api`).
pub async fn run(
    settings: Settings,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> Result<(), AppError> {
    let local = listener.local_addr().map_err(AppError::Listener)?;
    let base_url = settings
        .public_base_url
        .clone()
        .unwrap_or_else(|| format!("http://{local}"));
    let (settings, stores, api_key) = prepare(settings).await?;
    let message_events = Arc::new(MessageEvents::default());
    let stores = message_events.observe(stores);
    let parts = Parts::build(&settings, &stores, base_url);
    let workers = start_workers(&settings, &stores, &parts, &shutdown).await?;
    let state = AppState {
        settings: settings.clone(),
        stores,
        fleet: parts.fleet.clone(),
        sessions: parts.sessions.clone(),
        wakeups: parts.wakeups.clone(),
        in_flight: parts.in_flight.clone(),
        sim: parts.sim.clone(),
        inbound_test: Arc::new(InboundTestLog::default()),
        forwarder_wakeup: parts.forwarder_wakeup.clone(),
        message_events,
        shutdown: shutdown.clone(),
    };
    let routes = api::routes(state, api_key, parts.media.dir().to_path_buf());
    tracing::info!(address = %local, node = %settings.node_id, role = ?settings.raw.role, "wagate is serving");
    let incoming = tokio_stream::wrappers::TcpListenerStream::new(listener);
    let stopping = shutdown.clone();
    warp::serve(routes)
        .serve_incoming_with_graceful_shutdown(incoming, async move { stopping.cancelled().await })
        .await;
    finish(parts, workers).await;
    Ok(())
}

/// Runs sessions, senders and forwarders without HTTP (role `worker`).
pub async fn run_worker(settings: Settings, shutdown: CancellationToken) -> Result<(), AppError> {
    let base_url = settings
        .public_base_url
        .clone()
        .unwrap_or_else(|| format!("http://127.0.0.1:{}", settings.raw.port));
    let (settings, stores, _) = prepare(settings).await?;
    let parts = Parts::build(&settings, &stores, base_url);
    let workers = start_workers(&settings, &stores, &parts, &shutdown).await?;
    tracing::info!(node = %settings.node_id, "wagate worker is running");
    shutdown.cancelled().await;
    finish(parts, workers).await;
    Ok(())
}

async fn prepare(settings: Settings) -> Result<(Arc<Settings>, Stores, Arc<str>), AppError> {
    let session_dir = settings.raw.session_dir.clone();
    std::fs::create_dir_all(&session_dir).map_err(|source| AppError::SessionDir {
        path: session_dir.display().to_string(),
        source,
    })?;
    let api_key: Arc<str> = crate::api_key::load_or_create(settings.raw.api_key.as_deref(), &session_dir)
        .map_err(AppError::ApiKey)?
        .into();
    let redis = settings
        .raw
        .redis_url
        .as_deref()
        .map(|url| (url, settings.raw.redis_prefix.as_str()));
    let stores = Stores::open(&session_dir, redis).await?;
    Ok((Arc::new(settings), stores, api_key))
}

/// Starts what runs sessions and forwards, unless the role is `api`.
async fn start_workers(
    settings: &Settings,
    stores: &Stores,
    parts: &Parts,
    shutdown: &CancellationToken,
) -> Result<Vec<JoinHandle<()>>, AppError> {
    if settings.raw.role == Role::Api {
        return Ok(Vec::new());
    }
    let mut tasks = vec![tokio::spawn(
        parts.forwarder(settings, stores).run(shutdown.child_token()),
    )];
    match parts.coordinator(settings, stores) {
        Some(coordinator) => tasks.push(tokio::spawn(
            coordinator.run(parts.wakeups.clone(), shutdown.child_token()),
        )),
        None => {
            for record in stores.instances.instances().await? {
                parts.sessions.start(&record.id, record.phone.clone());
            }
        }
    }
    Ok(tasks)
}

async fn finish(parts: Parts, workers: Vec<JoinHandle<()>>) {
    tracing::info!("shutting down: finishing sends in flight and closing sessions");
    for task in workers {
        let _ = tokio::time::timeout(Duration::from_secs(40), task).await;
    }
    parts.sessions.stop_all().await;
}
