//! Wiring: decides the deployment and opens its store, builds the WhatsApp backend and the session
//! manager, decides where sessions run (all here when embedded; by lease
//! with Redis), starts the forwarder and the alerts, and serves HTTP (roles
//! `all`, `api`) until `shutdown` is cancelled; then stops taking requests,
//! lets each instance finish the send in flight, and closes the WhatsApp
//! clients, all within SHUTDOWN_TIMEOUT.

mod components;
mod deployment;

use crate::alerts::{self, AlertSettings};
use crate::api::{self, AppState, InboundTestLog, StateParts};
use crate::config::{Role, Settings};
use crate::hooks;
use crate::live::MessageEvents;
use crate::metrics::Metrics;
use crate::store::{StoreError, Stores};
use crate::support::liveness::TaskFlag;
use crate::support::secrets::SecretText;
use components::Parts;
use deployment::Deployment;
use std::future::Future;
use std::pin::Pin;
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

/// Runs the gateway until `shutdown` is cancelled: with a listener, it
/// serves HTTP (roles `all` and `api`); without one (role `worker`) it runs
/// sessions, senders and forwarders only.
pub async fn run(
    settings: Settings,
    listener: impl Into<Option<TcpListener>>,
    shutdown: CancellationToken,
) -> Result<(), AppError> {
    let listener = listener.into();
    let base_url = media_base_url(&settings, listener.as_ref())?;
    let (settings, deployment, stores, api_key) = prepare(settings).await?;
    let message_events = Arc::new(MessageEvents::default());
    let metrics = Arc::new(Metrics::new());
    let mut parts = Parts::build(
        &settings,
        &deployment,
        stores,
        message_events.clone(),
        base_url,
        metrics.clone(),
    );
    relay_live_changes(&parts, &message_events, &shutdown);
    let forwarder_alive = Arc::new(TaskFlag::default());
    let workers = start_workers(&settings, &mut parts, &forwarder_alive, &shutdown).await?;
    let server: Pin<Box<dyn Future<Output = ()> + Send>> = match listener {
        Some(listener) => {
            let state = app_state(&settings, &parts, message_events, forwarder_alive, &shutdown);
            Box::pin(http(state, api_key, &parts, listener, &shutdown)?)
        }
        None => {
            tracing::info!(node = %settings.node_id, "wagate worker is running");
            Box::pin(std::future::pending())
        }
    };
    serve_then_stop(
        server,
        &shutdown,
        settings.shutdown_timeout,
        finish(parts, workers),
    )
    .await;
    Ok(())
}

/// Where links to stored media point: PUBLIC_BASE_URL, else this
/// process's own address.
fn media_base_url(settings: &Settings, listener: Option<&TcpListener>) -> Result<String, AppError> {
    if let Some(public) = &settings.public_base_url {
        return Ok(public.clone());
    }
    Ok(match listener {
        Some(listener) => format!("http://{}", listener.local_addr().map_err(AppError::Listener)?),
        None => format!("http://127.0.0.1:{}", settings.http.port),
    })
}

fn app_state(
    settings: &Arc<Settings>,
    parts: &Parts,
    message_events: Arc<MessageEvents>,
    forwarder_alive: Arc<TaskFlag>,
    shutdown: &CancellationToken,
) -> AppState {
    AppState::new(StateParts {
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
        metrics: parts.metrics.clone(),
        forwarder_alive,
    })
}

/// The HTTP server on `listener`, until `shutdown`.
fn http(
    state: AppState,
    api_key: Arc<str>,
    parts: &Parts,
    listener: TcpListener,
    shutdown: &CancellationToken,
) -> Result<impl Future<Output = ()> + Send, AppError> {
    let local = listener.local_addr().map_err(AppError::Listener)?;
    let settings = state.settings.clone();
    let routes = api::routes(state, api_key, parts.media.dir().to_path_buf());
    tracing::info!(address = %local, node = %settings.node_id, role = ?settings.redis.role, "wagate is serving");
    Ok(api::serve(
        routes,
        listener,
        settings.http.limits(),
        parts.metrics.clone(),
        shutdown.clone(),
    ))
}

/// Readies SESSION_DIR and the API key, decides the deployment and opens
/// its store.
async fn prepare(settings: Settings) -> Result<(Arc<Settings>, Deployment, Stores, Arc<str>), AppError> {
    let session_dir = settings.session_dir.clone();
    let unusable = |source| session_dir_error(&session_dir, source);
    crate::session_dir::prepare(&session_dir).map_err(unusable)?;
    let api_key: Arc<str> = crate::session_dir::api_key::load_or_create(
        settings.api_key.as_ref().map(SecretText::expose),
        &session_dir,
    )
    .map_err(AppError::ApiKey)?
    .into();
    let deployment = Deployment::from_settings(&settings)?;
    let stores = deployment.open_stores(&session_dir).await?;
    let ids: Vec<_> = stores
        .instances
        .instances()
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect();
    crate::session_dir::move_old_instance_folders(&session_dir, &ids).map_err(unusable)?;
    Ok((Arc::new(settings), deployment, stores, api_key))
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
    let (Some(handed), false) = (handed, settings.redis.role == Role::Api) else {
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
        tokio::spawn(hooks::follow_states(
            parts.sessions.clone(),
            parts.state_hooks(),
            shutdown.child_token(),
        )),
    ];
    match parts.coordinator() {
        Some(coordinator) => tasks.push(tokio::spawn(
            coordinator.run(parts.wakeups.clone(), shutdown.child_token()),
        )),
        None => {
            for record in parts.stores.instances.instances().await? {
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
