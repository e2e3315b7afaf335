//! The session manager: starts one actor per instance (and, beside it, the
//! instance's sender), finds them by id, and stops them. Instances known to
//! the registry are restored at start, so a restart needs no new scan.

use super::actor::{Actor, ActorContext, Command, InstanceView};
use super::{
    ChatPresence, GroupSummary, InboundMessage, InstanceStatus, OutgoingMessage, SendError, WaError,
};
use crate::domain::{InstanceId, Phone};
use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio_util::sync::CancellationToken;

/// Where an actor hands inbound messages: stored first, forwarded after.
#[async_trait]
pub trait InboundSink: Send + Sync {
    async fn accept(&self, instance: &InstanceId, own_phone: Option<&str>, message: InboundMessage);
}

/// Something started beside each actor (the instance's sender) that lives
/// and dies with it. It must end soon after `stop` is cancelled, finishing
/// the step it is in.
pub trait Companion: Send + Sync {
    fn start(&self, handle: &SessionHandle, stop: CancellationToken) -> tokio::task::JoinHandle<()>;
}

/// A way to talk to one instance's actor.
#[derive(Clone)]
pub struct SessionHandle {
    pub id: InstanceId,
    commands: mpsc::Sender<Command>,
    view: watch::Receiver<InstanceView>,
}

#[derive(Debug, thiserror::Error)]
#[error("the session of this instance has stopped")]
pub struct SessionGone;

impl SessionHandle {
    pub fn view(&self) -> InstanceView {
        self.view.borrow().clone()
    }

    /// A receiver that sees every change of the instance's state.
    pub fn watch(&self) -> watch::Receiver<InstanceView> {
        self.view.clone()
    }

    pub async fn send(&self, message: OutgoingMessage) -> Result<(), SendError> {
        let message = Box::new(message);
        self.ask_send(|reply| Command::Send { message, reply }).await
    }

    /// Shows `to` "typing…" or "recording…", or stops it.
    pub async fn presence(&self, to: Phone, presence: ChatPresence) -> Result<(), SendError> {
        self.ask_send(|reply| Command::Presence { to, presence, reply })
            .await
    }

    /// Marks the contact's messages read.
    pub async fn mark_read(&self, contact: Phone, message_ids: Vec<String>) -> Result<(), SendError> {
        self.ask_send(|reply| Command::MarkRead {
            contact,
            message_ids,
            reply,
        })
        .await
    }

    /// Whether `phone` is on WhatsApp (its WhatsApp id if so).
    pub async fn lookup(&self, phone: Phone) -> Result<Option<String>, SendError> {
        self.ask_send(|reply| Command::Lookup { phone, reply }).await
    }

    /// The groups the number is in.
    pub async fn groups(&self) -> Result<Vec<GroupSummary>, SendError> {
        self.ask_send(|reply| Command::Groups { reply }).await
    }

    /// Asks the session something that fails as a send does.
    async fn ask_send<T>(
        &self,
        command: impl FnOnce(oneshot::Sender<Result<T, SendError>>) -> Command,
    ) -> Result<T, SendError> {
        let (reply, answer) = oneshot::channel();
        let gone = || SendError::Transient(SessionGone.to_string());
        self.commands.send(command(reply)).await.map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }

    pub async fn pair_code(&self, phone: Phone) -> Result<String, WaError> {
        let (reply, answer) = oneshot::channel();
        let gone = || WaError::PairCode(SessionGone.to_string());
        self.commands
            .send(Command::PairCode { phone, reply })
            .await
            .map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }

    pub async fn reconnect(&self) -> Result<(), SessionGone> {
        self.commands
            .send(Command::Reconnect)
            .await
            .map_err(|_| SessionGone)
    }

    pub async fn clear(&self) -> Result<(), SessionGone> {
        self.ask(|reply| Command::Clear { reply }).await
    }

    pub async fn logout(&self) -> Result<(), SessionGone> {
        self.ask(|reply| Command::Logout { reply }).await
    }

    async fn ask(&self, command: impl FnOnce(oneshot::Sender<()>) -> Command) -> Result<(), SessionGone> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(command(reply))
            .await
            .map_err(|_| SessionGone)?;
        answer.await.map_err(|_| SessionGone)
    }
}

struct Running {
    handle: SessionHandle,
    companion: tokio::task::JoinHandle<()>,
    stop_companion: CancellationToken,
}

pub struct SessionManager {
    ctx: Arc<ActorContext>,
    companion: Arc<dyn Companion>,
    running: RwLock<HashMap<InstanceId, Running>>,
    /// Announces each session as it starts (the panel's live view follows it).
    started: broadcast::Sender<SessionHandle>,
}

const COMMAND_BUFFER: usize = 64;
/// Session starts a slow listener may fall behind by before it misses some.
const STARTED_BUFFER: usize = 64;
/// How long a stopping companion may take to finish its current step.
const COMPANION_GRACE: std::time::Duration = std::time::Duration::from_secs(30);

impl SessionManager {
    pub fn new(ctx: ActorContext, companion: Arc<dyn Companion>) -> Self {
        Self {
            ctx: Arc::new(ctx),
            companion,
            running: RwLock::new(HashMap::new()),
            started: broadcast::channel(STARTED_BUFFER).0,
        }
    }

    /// Every running session, and from then on each one that starts: no
    /// start falls between the two.
    pub fn running_and_started(&self) -> (Vec<SessionHandle>, broadcast::Receiver<SessionHandle>) {
        let running = self.running.read().unwrap_or_else(|p| p.into_inner());
        let handles = running.values().map(|r| r.handle.clone()).collect();
        (handles, self.started.subscribe())
    }

    /// The instance's handle, starting its actor if it is not running.
    pub fn start(&self, id: &InstanceId, phone: Option<String>) -> SessionHandle {
        let mut running = self.running.write().unwrap_or_else(|p| p.into_inner());
        if let Some(existing) = running.get(id) {
            return existing.handle.clone();
        }
        let (commands, inbox) = mpsc::channel(COMMAND_BUFFER);
        let (view_tx, view) = watch::channel(InstanceView {
            status: InstanceStatus::Connecting,
            qr: None,
            qr_expires_at_ms: None,
            pair_code: None,
            phone,
            last_error: None,
            last_connected_at_ms: None,
            new_contact_block: None,
            down_since_ms: Some(crate::support::clock::now_ms()),
        });
        tokio::spawn(Actor::new(id.clone(), self.ctx.clone(), view_tx).run(inbox));
        let handle = SessionHandle {
            id: id.clone(),
            commands,
            view,
        };
        let stop_companion = CancellationToken::new();
        let companion = self.companion.start(&handle, stop_companion.clone());
        running.insert(
            id.clone(),
            Running {
                handle: handle.clone(),
                companion,
                stop_companion,
            },
        );
        // Sent under the lock, so `running_and_started` sees it exactly once.
        let _ = self.started.send(handle.clone());
        handle
    }

    pub fn get(&self, id: &InstanceId) -> Option<SessionHandle> {
        self.running
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(id)
            .map(|r| r.handle.clone())
    }

    /// True while the instance's actor and its companion (the sender) both run.
    pub fn is_running(&self, id: &InstanceId) -> bool {
        self.running
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(id)
            .is_some_and(|r| !r.handle.commands.is_closed() && !r.companion.is_finished())
    }

    /// The handles of every running instance.
    pub fn handles(&self) -> Vec<SessionHandle> {
        self.running
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .map(|r| r.handle.clone())
            .collect()
    }

    /// Stops the instance's companion (letting a send in flight finish, up
    /// to [`COMPANION_GRACE`]), then its actor, and waits for the session
    /// to close.
    pub async fn stop(&self, id: &InstanceId) {
        let removed = self.running.write().unwrap_or_else(|p| p.into_inner()).remove(id);
        if let Some(mut running) = removed {
            running.stop_companion.cancel();
            if tokio::time::timeout(COMPANION_GRACE, &mut running.companion)
                .await
                .is_err()
            {
                running.companion.abort();
            }
            let _ = running.handle.ask(|reply| Command::Stop { reply }).await;
        }
    }

    /// Stops the instance and deletes its auth state.
    pub async fn remove(&self, id: &InstanceId) {
        self.stop(id).await;
        if let Err(e) = self.ctx.backend.forget(id).await {
            tracing::error!(instance = %id, error = %e, "could not delete the session's auth state");
        }
    }

    pub async fn stop_all(&self) {
        let ids: Vec<InstanceId> = self
            .running
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .keys()
            .cloned()
            .collect();
        futures::future::join_all(ids.iter().map(|id| self.stop(id))).await;
    }
}
