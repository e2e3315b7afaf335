//! Watching the gateway for incidents: one task per instance follows its
//! `watch` channel (and wakes for the offline deadline); a supervisor
//! starts those tasks for new instances and checks the dead-letter count
//! and each instance's count of messages that could not be decrypted.

use super::event;
use super::incident::{BlockTracker, DeadLetterTracker, InstanceTracker, Seen, UndecryptableTracker};
use crate::domain::InstanceId;
use crate::metrics::Metrics;
use crate::wa::actor::{InstanceView, CLIENT_OUTDATED, LOGGED_OUT_BY_GATEWAY, TEMPORARY_BAN};
use crate::wa::manager::{SessionHandle, SessionManager};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// How often the supervisor looks for new instances and dead letters.
const LOOK_EVERY: Duration = Duration::from_secs(1);

pub async fn supervise(
    sessions: Arc<SessionManager>,
    metrics: Arc<Metrics>,
    offline_after: Duration,
    events: mpsc::Sender<Value>,
    stop: CancellationToken,
) {
    let mut watched: HashMap<InstanceId, JoinHandle<()>> = HashMap::new();
    let counts = || {
        (
            metrics.forward_dead_letters.get(),
            metrics.forwards_delivered.get(),
        )
    };
    let (dead, delivered) = counts();
    let mut dead_letters = DeadLetterTracker::new(dead, delivered);
    let mut undecryptable = UndecryptableTracker::default();
    let mut every = tokio::time::interval(LOOK_EVERY);
    loop {
        tokio::select! { _ = every.tick() => {}, _ = stop.cancelled() => return }
        watched.retain(|_, task| !task.is_finished());
        for handle in sessions.handles() {
            let count = metrics
                .inbound_undecryptable
                .with_label_values(&[handle.id.as_str()])
                .get();
            if let Some(new) = undecryptable.observe(handle.id.as_str(), count) {
                emit(&events, event::undecryptable(&handle.id, new, count));
            }
            watched.entry(handle.id.clone()).or_insert_with(|| {
                tokio::spawn(watch_instance(
                    handle,
                    offline_after,
                    events.clone(),
                    stop.clone(),
                ))
            });
        }
        let (dead, delivered) = counts();
        if let Some(change) = dead_letters.observe(dead, delivered) {
            emit(&events, event::forwards(change));
        }
    }
}

/// Follows one instance until its actor ends or the gateway stops.
async fn watch_instance(
    handle: SessionHandle,
    offline_after: Duration,
    events: mpsc::Sender<Value>,
    stop: CancellationToken,
) {
    let mut views = handle.watch();
    let mut tracker = InstanceTracker::default();
    let mut block = BlockTracker::default();
    loop {
        let view = views.borrow_and_update().clone();
        if let Some(change) = tracker.observe(seen(&view), Instant::now()) {
            emit(&events, event::instance(&handle.id, change, &view));
        }
        if let Some(blocked) = block.observe(view.new_contact_block.is_some()) {
            emit(&events, event::new_contacts(&handle.id, blocked, &view));
        }
        let deadline = tracker.offline_deadline(offline_after);
        tokio::select! {
            changed = views.changed() => if changed.is_err() { return },
            _ = until(deadline) => {
                if let Some(change) = tracker.tick(Instant::now(), offline_after) {
                    emit(&events, event::instance(&handle.id, change, &view));
                }
            }
            _ = stop.cancelled() => return,
        }
    }
}

fn seen(view: &InstanceView) -> Seen {
    let error = view.last_error.as_deref().unwrap_or_default();
    Seen {
        status: view.status,
        banned: error.starts_with(TEMPORARY_BAN),
        outdated: error.starts_with(CLIENT_OUTDATED),
        linked: view.phone.is_some() || view.last_connected_at_ms.is_some(),
        deliberate: error == LOGGED_OUT_BY_GATEWAY,
    }
}

async fn until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

fn emit(events: &mpsc::Sender<Value>, event: Value) {
    if events.try_send(event).is_err() {
        tracing::warn!("too many alerts waiting for the webhook; one was dropped");
    }
}
