//! Instance state changes to the webhooks that take `instance`. Runs where
//! the sessions run, following each session from its start (a session
//! starts CONNECTING, see `SessionManager::start`; one already running when
//! this begins is followed from the state it is in): each later change of
//! status adds one forward per webhook. Should it miss session starts (a
//! burst past the announcements' buffer), it takes up every running session
//! it does not follow yet.

use super::body;
use super::forwards::HookForwards;
use crate::domain::{HookEvent, InstanceId};
use crate::store::{InstanceWebhook, StoreResult};
use crate::support::clock::now_ms;
use crate::wa::actor::InstanceView;
use crate::wa::manager::{SessionHandle, SessionManager};
use crate::wa::InstanceStatus;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::broadcast::error::RecvError;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Where state changes are stored as forwards.
#[derive(Clone)]
pub struct StateHooks {
    pub forwards: HookForwards,
}

/// Follows every session of `sessions` until `stop`.
pub async fn follow_states(sessions: Arc<SessionManager>, hooks: StateHooks, stop: CancellationToken) {
    let mut followed: HashMap<InstanceId, JoinHandle<()>> = HashMap::new();
    let (running, mut started) = sessions.running_and_started();
    let spawn = |handle: SessionHandle, status, followed: &mut HashMap<_, _>| {
        let task = tokio::spawn(follow(handle.clone(), hooks.clone(), stop.clone(), status));
        followed.insert(handle.id, task);
    };
    for handle in running {
        spawn(handle.clone(), handle.view().status, &mut followed);
    }
    loop {
        let next = tokio::select! {
            next = started.recv() => next,
            _ = stop.cancelled() => return,
        };
        followed.retain(|_, task| !task.is_finished());
        match next {
            Ok(handle) => spawn(handle, InstanceStatus::Connecting, &mut followed),
            Err(RecvError::Lagged(missed)) => {
                tracing::warn!(
                    missed,
                    "missed session starts; following the running sessions anew"
                );
                for handle in sessions.handles() {
                    if !followed.contains_key(&handle.id) {
                        spawn(handle.clone(), handle.view().status, &mut followed);
                    }
                }
            }
            Err(RecvError::Closed) => return,
        }
    }
}

/// Tells each change of the session's status after `status`, until the
/// session ends.
async fn follow(
    handle: SessionHandle,
    hooks: StateHooks,
    stop: CancellationToken,
    mut status: InstanceStatus,
) {
    let mut views = handle.watch();
    loop {
        let view = views.borrow_and_update().clone();
        if view.status != status {
            status = view.status;
            if let Err(e) = hooks.add_forwards(&handle.id, &view).await {
                tracing::error!(instance = %handle.id, error = %e, "could not store a state change for the instance's webhooks");
            }
        }
        tokio::select! {
            changed = views.changed() => if changed.is_err() { return },
            _ = stop.cancelled() => return,
        }
    }
}

impl StateHooks {
    async fn add_forwards(&self, instance: &InstanceId, view: &InstanceView) -> StoreResult<()> {
        let at_ms = now_ms();
        let made = |hook: &InstanceWebhook| {
            let id = uuid::Uuid::new_v4().to_string();
            let body = body::instance(instance, view, at_ms, &id, hook.id);
            (id, body)
        };
        self.forwards.add(instance, "", HookEvent::Instance, made).await
    }
}
