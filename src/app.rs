//! Wiring: opens the store, builds the WhatsApp backend and the session
//! manager, decides where sessions run (all here when embedded; by lease
//! with Redis), starts the forwarder and the alerts, and serves HTTP (roles
//! `all`, `api`) until `shutdown` is cancelled; then stops taking requests,
//! lets each instance finish the send in flight, and closes the WhatsApp
//! clients, all within SHUTDOWN_TIMEOUT.

mod parts;

use crate::alerts::{self, AlertSettings};
use crate::api::{self, AppState, InboundTestLog, StateParts};
use crate::config::{Role, Settings};
use crate::liveness::TaskFlag;
use crate::message_events::MessageEvents;
use crate::metrics::Metrics;
use crate::store::{StoreError, Stores};
use parts::Parts;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("cannot use SESSION_DIR {path}: {source}")]
    SessionDir { path: String, source: std::io::Error },
    #[error(
        "SESSION_DIR {path} is not writable by this process (uid {uid}, gid {gid}); give it that \
         user, e.g. on the host `chown -R {uid}:{gid} <the folder mounted at {path}>`, then start again"
    )]
    SessionDirNotWritable { path: String, uid: u32, gid: u32 },
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
    let metrics = Arc::new(Metrics::new());
    let mut parts = Parts::build(&settings, &stores, base_url, metrics.clone());
    relay_live_changes(&parts, &message_events, &shutdown);
    let forwarder_alive = Arc::new(TaskFlag::default());
    let workers = start_workers(&settings, &mut parts, &forwarder_alive, &shutdown).await?;
    let state = AppState::new(StateParts {
        settings: settings.clone(),
        stores: parts.stores.clone(),
        ghl: parts.ghl.clone(),
        fleet: parts.fleet.clone(),
        sessions: parts.sessions.clone(),
        wakeups: parts.wakeups.clone(),
        in_flight: parts.in_flight.clone(),
        sim: parts.sim.clone(),
        inbound_test: Arc::new(InboundTestLog::default()),
        forwarder_wakeup: parts.forwarder_wakeup.clone(),
        message_events,
        shutdown: shutdown.clone(),
        metrics: metrics.clone(),
        forwarder_alive,
    });
    let routes = api::routes(state, api_key, parts.media.dir().to_path_buf());
    tracing::info!(address = %local, node = %settings.node_id, role = ?settings.raw.role, "wagate is serving");
    let server = api::serve(
        routes,
        listener,
        settings.http_limits(),
        metrics,
        shutdown.clone(),
    );
    serve_then_stop(
        server,
        &shutdown,
        settings.raw.shutdown_timeout,
        finish(parts, workers),
    )
    .await;
    Ok(())
}

/// Runs sessions, senders and forwarders without HTTP (role `worker`).
pub async fn run_worker(settings: Settings, shutdown: CancellationToken) -> Result<(), AppError> {
    let base_url = settings
        .public_base_url
        .clone()
        .unwrap_or_else(|| format!("http://127.0.0.1:{}", settings.raw.port));
    let (settings, stores, _) = prepare(settings).await?;
    let message_events = Arc::new(MessageEvents::default());
    let stores = message_events.observe(stores);
    let mut parts = Parts::build(&settings, &stores, base_url, Arc::new(Metrics::new()));
    relay_live_changes(&parts, &message_events, &shutdown);
    let forwarder_alive = Arc::new(TaskFlag::default());
    let workers = start_workers(&settings, &mut parts, &forwarder_alive, &shutdown).await?;
    tracing::info!(node = %settings.node_id, "wagate worker is running");
    shutdown.cancelled().await;
    if tokio::time::timeout(settings.raw.shutdown_timeout, finish(parts, workers))
        .await
        .is_err()
    {
        tracing::warn!("SHUTDOWN_TIMEOUT passed before every session closed; stopping anyway");
    }
    Ok(())
}

async fn prepare(settings: Settings) -> Result<(Arc<Settings>, Stores, Arc<str>), AppError> {
    let session_dir = settings.raw.session_dir.clone();
    let unusable = |source| session_dir_error(&session_dir, source);
    crate::session_dir::prepare(&session_dir).map_err(unusable)?;
    let api_key: Arc<str> = crate::api_key::load_or_create(settings.raw.api_key.as_deref(), &session_dir)
        .map_err(AppError::ApiKey)?
        .into();
    let redis = settings
        .raw
        .redis_url
        .as_deref()
        .map(|url| (url, settings.raw.redis_prefix.as_str()));
    let stores = Stores::open(&session_dir, redis).await?;
    let ids: Vec<_> = stores
        .instances
        .instances()
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect();
    crate::session_dir::move_old_instance_folders(&session_dir, &ids).map_err(unusable)?;
    Ok((Arc::new(settings), stores, api_key))
}

/// Why SESSION_DIR cannot be used; for a folder this user may not write
/// (a bind mount owned by root, say), with the command that fixes it.
fn session_dir_error(session_dir: &std::path::Path, source: std::io::Error) -> AppError {
    use std::os::unix::fs::MetadataExt;
    let path = session_dir.display().to_string();
    // `/proc/self` belongs to the process's own user and group.
    match std::fs::metadata("/proc/self") {
        Ok(me) if source.kind() == std::io::ErrorKind::PermissionDenied => AppError::SessionDirNotWritable {
            path,
            uid: me.uid(),
            gid: me.gid(),
        },
        _ => AppError::SessionDir { path, source },
    }
}

/// With Redis, passes live changes to and from the other processes, for
/// the panels they serve and the panel served here.
fn relay_live_changes(parts: &Parts, message_events: &Arc<MessageEvents>, shutdown: &CancellationToken) {
    if let Some(relay) = parts.fleet.live_relay(message_events.clone()) {
        tokio::spawn(relay.run(shutdown.child_token()));
    }
}

/// Starts what runs sessions, forwards and alerts, unless the role is `api`.
async fn start_workers(
    settings: &Settings,
    parts: &mut Parts,
    forwarder_alive: &Arc<TaskFlag>,
    shutdown: &CancellationToken,
) -> Result<Vec<JoinHandle<()>>, AppError> {
    let handed = parts.handed.take();
    let (Some(handed), false) = (handed, settings.raw.role == Role::Api) else {
        return Ok(Vec::new());
    };
    let forwarder = parts.forwarder(settings);
    let running = forwarder_alive.running();
    let stop = shutdown.child_token();
    let mut tasks = vec![
        tokio::spawn(async move {
            let _running = running;
            forwarder.run(handed, stop).await
        }),
        tokio::spawn(parts.ghl.tokens.clone().run(shutdown.child_token())),
    ];
    let stores = &parts.stores;
    match parts.coordinator(settings) {
        Some(coordinator) => tasks.push(tokio::spawn(
            coordinator.run(parts.wakeups.clone(), shutdown.child_token()),
        )),
        None => {
            for record in stores.instances.instances().await? {
                parts.sessions.start(&record.id, record.phone.clone());
            }
        }
    }
    if let Some(alert_settings) = AlertSettings::from_settings(settings) {
        alerts::spawn(
            alert_settings,
            parts.sessions.clone(),
            parts.metrics.clone(),
            shutdown.child_token(),
        );
    }
    Ok(tasks)
}

/// Closes the sessions (each finishing its send in flight), then waits for
/// the forwarder and the coordinator.
async fn finish(parts: Parts, workers: Vec<JoinHandle<()>>) {
    parts.sessions.stop_all().await;
    for task in workers {
        let _ = task.await;
    }
}

/// Serves until `shutdown`; then lets requests in progress and the
/// workers (sends in flight, sessions, forwarder) finish, within `timeout`.
async fn serve_then_stop(
    server: impl Future<Output = ()>,
    shutdown: &CancellationToken,
    timeout: Duration,
    workers: impl Future<Output = ()>,
) {
    tokio::pin!(server);
    let server_ended = tokio::select! {
        _ = &mut server => true,
        _ = shutdown.cancelled() => false,
    };
    let deadline = Instant::now() + timeout;
    tracing::info!(
        ?timeout,
        "shutting down: finishing requests and sends in flight, closing sessions"
    );
    if !server_ended && tokio::time::timeout_at(deadline, server).await.is_err() {
        tracing::warn!("requests still in progress at SHUTDOWN_TIMEOUT were cut off");
    }
    if tokio::time::timeout_at(deadline, workers).await.is_err() {
        tracing::warn!("SHUTDOWN_TIMEOUT passed before every session closed; stopping anyway");
    }
}
