//! One actor task per instance: the only owner of that instance's WhatsApp
//! session. It opens the session, turns its events into state, stored
//! receipts and inbound messages, rebuilds the client when the connection
//! stays down, and carries out commands (send, pair, reconnect, clear,
//! logout, stop) one at a time, so two clients never share a store.

mod events;
mod new_contacts;

use super::{
    ChatPresence, GroupSummary, InstanceStatus, OutgoingMessage, SendError, WaBackend, WaError, WaEvent,
    WaSession,
};
use crate::domain::{InstanceId, Phone};
use crate::store::{NewContactBlock, Stores};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;

/// How `last_error` starts when WhatsApp banned the number for a while.
pub const TEMPORARY_BAN: &str = "temporarily banned by WhatsApp";
/// How `last_error` starts when WhatsApp refused the client's version.
pub const CLIENT_OUTDATED: &str = "WhatsApp refused this client version as outdated";
/// `last_error` after a logout asked for through the API (not by the phone).
pub const LOGGED_OUT_BY_GATEWAY: &str = "logged out through the gateway";

/// What the API and the panel see of an instance, kept current by its actor.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct InstanceView {
    pub status: InstanceStatus,
    /// The QR code text to show while pairing.
    pub qr: Option<String>,
    /// When the shown QR code stops being valid, ms since the epoch.
    pub qr_expires_at_ms: Option<i64>,
    pub pair_code: Option<String>,
    /// The linked account's own number.
    pub phone: Option<String>,
    pub last_error: Option<String>,
    pub last_connected_at_ms: Option<i64>,
    /// WhatsApp refuses this number's messages to new contacts for now.
    #[serde(default)]
    pub new_contact_block: Option<NewContactBlock>,
    /// Since when the instance has not been online (None while online).
    #[serde(default)]
    pub down_since_ms: Option<i64>,
}

pub enum Command {
    Send {
        message: Box<OutgoingMessage>,
        reply: oneshot::Sender<Result<(), SendError>>,
    },
    Presence {
        to: Phone,
        presence: ChatPresence,
        reply: oneshot::Sender<Result<(), SendError>>,
    },
    MarkRead {
        contact: Phone,
        message_ids: Vec<String>,
        reply: oneshot::Sender<Result<(), SendError>>,
    },
    Lookup {
        phone: Phone,
        reply: oneshot::Sender<Result<Option<String>, SendError>>,
    },
    Groups {
        reply: oneshot::Sender<Result<Vec<GroupSummary>, SendError>>,
    },
    PairCode {
        phone: Phone,
        reply: oneshot::Sender<Result<String, WaError>>,
    },
    /// Throw the client away and build a fresh one.
    Reconnect,
    /// Forget the auth state and start a fresh pairing.
    Clear { reply: oneshot::Sender<()> },
    /// Unlink from the phone and forget the auth state.
    Logout { reply: oneshot::Sender<()> },
    /// Close the session and end the actor.
    Stop { reply: oneshot::Sender<()> },
}

/// What an actor needs from the rest of the gateway.
pub struct ActorContext {
    pub backend: Arc<dyn WaBackend>,
    pub stores: Stores,
    pub inbound: Arc<dyn super::manager::InboundSink>,
    /// How long a connection that the client retries itself may stay down
    /// before the actor builds a fresh client.
    pub watchdog: Duration,
}

pub(super) struct Actor {
    id: InstanceId,
    ctx: Arc<ActorContext>,
    view: watch::Sender<InstanceView>,
    session: Option<Box<dyn WaSession>>,
    events: Option<mpsc::Receiver<WaEvent>>,
    /// When to throw the session away and open a new one.
    reopen_at: Option<Instant>,
    /// Consecutive failed openings, for the reopen backoff.
    failures: u32,
    /// When WhatsApp's block on new contacts ends.
    block_lifts_at: Option<Instant>,
}

const EVENT_BUFFER: usize = 256;
const REOPEN_BACKOFF_MAX: Duration = Duration::from_secs(60);

impl Actor {
    pub(super) fn new(id: InstanceId, ctx: Arc<ActorContext>, view: watch::Sender<InstanceView>) -> Self {
        Self {
            id,
            ctx,
            view,
            session: None,
            events: None,
            reopen_at: None,
            failures: 0,
            block_lifts_at: None,
        }
    }

    pub(super) async fn run(mut self, mut commands: mpsc::Receiver<Command>) {
        self.restore_new_contact_block().await;
        self.open().await;
        loop {
            tokio::select! {
                command = commands.recv() => match command {
                    Some(Command::Stop { reply }) => { self.close().await; let _ = reply.send(()); return; }
                    Some(command) => self.handle_command(command).await,
                    None => { self.close().await; return; }
                },
                event = next_event(&mut self.events) => match event {
                    Some(event) => self.handle_event(event).await,
                    None => self.lost_session().await,
                },
                _ = sleep_until(self.reopen_at) => self.reopen().await,
                _ = sleep_until(self.block_lifts_at) => self.lift_new_contact_block().await,
            }
        }
    }

    async fn handle_command(&mut self, command: Command) {
        match command {
            Command::Send { message, reply } => {
                let _ = reply.send(self.send(&message).await);
            }
            Command::Presence { to, presence, reply } => {
                let shown = async { self.online_session()?.presence(&to, presence).await };
                let _ = reply.send(shown.await);
            }
            Command::MarkRead {
                contact,
                message_ids,
                reply,
            } => {
                let marked = async { self.online_session()?.mark_read(&contact, &message_ids).await };
                let _ = reply.send(marked.await);
            }
            Command::Lookup { phone, reply } => {
                let found = async { self.online_session()?.lookup(&phone).await };
                let _ = reply.send(found.await);
            }
            Command::Groups { reply } => {
                let listed = async { self.online_session()?.groups().await };
                let _ = reply.send(listed.await);
            }
            Command::PairCode { phone, reply } => {
                let _ = reply.send(self.pair_code(&phone).await);
            }
            Command::Reconnect => self.reopen().await,
            Command::Clear { reply } => {
                self.forget().await;
                self.reopen().await;
                let _ = reply.send(());
            }
            Command::Logout { reply } => {
                if let Some(session) = &self.session {
                    if let Err(e) = session.logout().await {
                        tracing::warn!(instance = %self.id, error = %e, "logout was not confirmed by WhatsApp");
                    }
                }
                self.logged_out(LOGGED_OUT_BY_GATEWAY).await;
                let _ = reply.send(());
            }
            Command::Stop { .. } => unreachable!("handled by the run loop"),
        }
    }

    async fn send(&mut self, message: &OutgoingMessage) -> Result<(), SendError> {
        let sent = self.online_session()?.send(message).await;
        if let Err(SendError::NewContactsBlocked { reason, until_ms }) = &sent {
            self.block_new_contacts(reason, *until_ms).await;
        }
        sent
    }

    /// The session, when it is online and can carry messages.
    fn online_session(&self) -> Result<&dyn WaSession, SendError> {
        let status = self.view.borrow().status;
        match (&self.session, status) {
            (Some(session), InstanceStatus::Online) => Ok(session.as_ref()),
            (_, status) => Err(SendError::Transient(format!("instance is {}", status.as_str()))),
        }
    }

    async fn pair_code(&mut self, phone: &Phone) -> Result<String, WaError> {
        let session = self
            .session
            .as_ref()
            .ok_or_else(|| WaError::PairCode("no session is running".into()))?;
        let code = session.pair_with_code(phone).await?;
        self.update(|v| v.pair_code = Some(code.clone()));
        Ok(code)
    }

    /// Opens a new session; on failure, tries again after a backoff.
    async fn open(&mut self) {
        self.reopen_at = None;
        let (tx, rx) = mpsc::channel(EVENT_BUFFER);
        self.update(|v| {
            v.status = InstanceStatus::Connecting;
            v.qr = None;
            v.qr_expires_at_ms = None;
            v.pair_code = None;
        });
        match self.ctx.backend.open(&self.id, tx).await {
            Ok(session) => {
                self.session = Some(session);
                self.events = Some(rx);
            }
            Err(e) => {
                tracing::warn!(instance = %self.id, error = %e, "could not open the WhatsApp session");
                self.update(|v| {
                    v.status = InstanceStatus::Offline;
                    v.last_error = Some(e.to_string());
                });
                let wait = self.backoff();
                self.schedule_reopen(wait);
            }
        }
    }

    async fn reopen(&mut self) {
        self.close().await;
        self.open().await;
    }

    /// Shuts the session down and waits until its client is gone.
    async fn close(&mut self) {
        self.events = None;
        self.reopen_at = None;
        if let Some(session) = self.session.take() {
            session.shutdown().await;
        }
    }

    async fn lost_session(&mut self) {
        self.events = None;
        self.update(|v| v.status = InstanceStatus::Reconnecting);
        let wait = self.backoff();
        self.schedule_reopen(wait);
    }

    fn schedule_reopen(&mut self, after: Duration) {
        self.reopen_at = Some(Instant::now() + after);
    }

    /// 1 s, 2 s, 4 s, ... up to a minute, as openings keep failing.
    fn backoff(&mut self) -> Duration {
        self.failures = self.failures.saturating_add(1);
        let secs = 1u64 << self.failures.saturating_sub(1).min(6);
        Duration::from_secs(secs).min(REOPEN_BACKOFF_MAX)
    }

    /// Changes the view, keeping `down_since_ms` in step with the status.
    fn update(&self, change: impl FnOnce(&mut InstanceView)) {
        self.view.send_modify(|view| {
            change(view);
            if view.status == InstanceStatus::Online {
                view.down_since_ms = None;
            } else if view.down_since_ms.is_none() {
                view.down_since_ms = Some(crate::support::clock::now_ms());
            }
        });
    }
}

async fn next_event(events: &mut Option<mpsc::Receiver<WaEvent>>) -> Option<WaEvent> {
    match events {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
