//! One running whatsapp-rust client for one instance: the bot task, the
//! event pump that turns library events into [`WaEvent`]s (downloading
//! inbound media on the way), and the [`WaSession`] operations on top.

use super::acks::{self, AckWaiters};
use super::groups::{self, GroupSubjects};
use super::mapping::{map_batch, map_event, CallBook, Incoming, PollBook};
use super::numbers::NumberDirectory;
use super::{outgoing, rich};
use crate::domain::{Phone, Recipient};
use crate::wa::media::voice::VoiceMaker;
use crate::wa::media::MediaFetcher;
use crate::wa::{
    ChatPresence, GroupSummary, InboundMedia, InboundMessage, MediaSource, OutgoingMessage, SendError,
    WaError, WaEvent, WaSession,
};
use async_trait::async_trait;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use whatsapp_rust::async_channel::Receiver;
use whatsapp_rust::bot::{Bot, BotHandle};
use whatsapp_rust::pair_code::PairCodeOptions;
use whatsapp_rust::types::events::{ChannelEventHandler, Event, Subscription};
use whatsapp_rust::{Client, Jid, SendOptions};

/// Time a graceful stop may take before the client task is aborted.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);
const SEND_TIMEOUT: Duration = Duration::from_secs(60);
const DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(120);
const SOCKET_WAIT: Duration = Duration::from_secs(30);

pub(super) struct RealSession {
    client: Arc<Client>,
    bot: BotHandle,
    pump: JoinHandle<()>,
    subscription: Subscription,
    media: MediaFetcher,
    voice: VoiceMaker,
    numbers: NumberDirectory,
    acks: Arc<AckWaiters>,
    groups: Arc<GroupSubjects>,
}

impl RealSession {
    /// Subscribes to the bot's events, then starts it.
    pub(super) fn start(
        bot: Bot,
        events: mpsc::Sender<WaEvent>,
        media: MediaFetcher,
        voice: VoiceMaker,
    ) -> Self {
        let client = bot.client();
        let (handler, receiver) = ChannelEventHandler::new();
        let subscription = client.subscribe_handler(handler);
        let acks = Arc::new(AckWaiters::default());
        let groups = Arc::new(GroupSubjects::default());
        let pump = tokio::spawn(pump(
            receiver,
            client.clone(),
            events,
            media.max_bytes(),
            acks.clone(),
            groups.clone(),
        ));
        let bot = bot.spawn();
        Self {
            client,
            bot,
            pump,
            subscription,
            media,
            voice,
            numbers: NumberDirectory::default(),
            acks,
            groups,
        }
    }
}

/// Forwards library events in order until the session ends or the receiver
/// of `events` is gone.
async fn pump(
    receiver: Receiver<Arc<Event>>,
    client: Arc<Client>,
    events: mpsc::Sender<WaEvent>,
    max_media: u64,
    acks: Arc<AckWaiters>,
    groups: Arc<GroupSubjects>,
) {
    let mut calls = CallBook::default();
    let mut polls = PollBook::default();
    while let Ok(event) = receiver.recv().await {
        if let Some(missed) = calls.observe(&event) {
            tracing::debug!(id = %missed.id, "missed WhatsApp call");
            if events.send(WaEvent::Inbound(Box::new(missed))).await.is_err() {
                return;
            }
        } else if let Event::ServerAck(ack) = &*event {
            acks.acked(&ack.id, ack.error.clone());
        } else if let Event::Messages(batch) = &*event {
            let votes = polls.read_batch(batch);
            for incoming in map_batch(batch) {
                let mut message = with_media(&client, incoming, max_media).await;
                if let Some(vote) = &mut message.details.poll_vote {
                    vote.options = votes.get(&message.id).cloned();
                }
                if let Some(group) = &mut message.group {
                    group.subject = groups.subject(&client, &group.id).await;
                }
                tracing::debug!(id = %message.id, kind = %message.kind, "inbound WhatsApp message");
                if events.send(WaEvent::Inbound(Box::new(message))).await.is_err() {
                    return;
                }
            }
        } else if let Some(mapped) = map_event(&event, || client.pn()) {
            log_event(&mapped);
            if events.send(mapped).await.is_err() {
                return;
            }
        }
    }
}

fn log_event(event: &WaEvent) {
    match event {
        WaEvent::Connected { .. } => tracing::info!("WhatsApp connected"),
        WaEvent::Disconnected { reason, will_retry } => {
            tracing::info!(%reason, will_retry, "WhatsApp disconnected")
        }
        WaEvent::LoggedOut { reason } => tracing::warn!(%reason, "WhatsApp logged out"),
        WaEvent::TemporaryBan { reason, .. } => tracing::warn!(%reason, "WhatsApp temporary ban"),
        WaEvent::StreamReplaced => tracing::warn!("another client took over this WhatsApp session"),
        WaEvent::ClientOutdated => tracing::error!("WhatsApp refused this client version as outdated"),
        WaEvent::Receipt { message_ids, kind } => {
            tracing::debug!(?kind, count = message_ids.len(), "receipt")
        }
        WaEvent::Qr { .. } | WaEvent::QrExhausted | WaEvent::PairCode { .. } => {
            tracing::debug!("pairing update")
        }
        WaEvent::Inbound(_) => {}
    }
}

/// Downloads the message's media; on failure the message still goes on,
/// without it (its text and caption are worth more than nothing).
async fn with_media(client: &Client, incoming: Incoming, max_bytes: u64) -> InboundMessage {
    let Incoming { mut message, media } = incoming;
    let Some(pending) = media else { return message };
    if pending.source.file_length().is_some_and(|len| len > max_bytes) {
        tracing::warn!(id = %message.id, max_bytes, "inbound media is over the size limit; passed on without it");
        return message;
    }
    match tokio::time::timeout(DOWNLOAD_TIMEOUT, client.download(pending.source.as_ref())).await {
        Ok(Ok(bytes)) if bytes.len() as u64 <= max_bytes => {
            let source = MediaSource::Bytes(bytes.into());
            message.media = Some(InboundMedia {
                mime_type: pending.mime_type,
                source,
            });
        }
        Ok(Ok(_)) => tracing::warn!(id = %message.id, max_bytes, "inbound media is over the size limit"),
        Ok(Err(err)) => tracing::warn!(id = %message.id, error = %err, "could not download inbound media"),
        Err(_) => tracing::warn!(id = %message.id, "downloading inbound media timed out"),
    }
    message
}

impl RealSession {
    /// When WhatsApp's block on new contacts ends, asked after a 463.
    async fn new_contacts_blocked_until(&self, code: &str) -> Option<i64> {
        if code != acks::NEW_CONTACTS_BLOCKED {
            return None;
        }
        match tokio::time::timeout(SOCKET_WAIT, self.client.mex().fetch_reachout_timelock()).await {
            Ok(Ok(lock)) if lock.is_active != Some(false) => lock
                .time_enforcement_ends
                .as_deref()
                .and_then(acks::timelock_end_ms),
            Ok(Ok(_)) => None,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "could not ask WhatsApp when the block on new contacts ends");
                None
            }
            Err(_) => None,
        }
    }
}

#[async_trait]
impl WaSession for RealSession {
    async fn send(&self, message: &OutgoingMessage) -> Result<(), SendError> {
        if !self.client.is_connected() || !self.client.is_logged_in() {
            return Err(SendError::Transient("not connected to WhatsApp".into()));
        }
        let to = match &message.to {
            Recipient::Phone(phone) => self.numbers.resolve(&self.client, phone).await?,
            Recipient::Group(group) => Jid::group(group.user()),
        };
        let chat = rich::Chat {
            jid: &to,
            own: self.client.pn(),
            lids: groups::member_lids(&self.client, message, &to).await,
        };
        let body = match rich::special_message(message, &chat) {
            Some(body) => body,
            None => outgoing::build_message(&self.client, &self.media, &self.voice, message).await?,
        };
        let body = rich::with_quote(body, message.details.quote.as_ref(), &chat);
        let options = SendOptions::default().with_message_id(message.id.clone());
        let ack = self.acks.expect(&message.id);
        let sent = tokio::time::timeout(
            SEND_TIMEOUT,
            self.client.send_message_with_options(to, body, options),
        )
        .await
        .map_err(|_| SendError::Transient("WhatsApp did not take the message in time".into()))?
        .map_err(outgoing::send_error)?;
        if let Some(code) = ack.refusal(acks::ACK_WAIT).await {
            tracing::warn!(id = %sent.message_id, %code, "WhatsApp refused the message");
            return Err(acks::nack_error(
                &code,
                self.new_contacts_blocked_until(&code).await,
            ));
        }
        tracing::debug!(id = %sent.message_id, kind = %message.kind, "message sent");
        Ok(())
    }

    async fn presence(&self, to: &Phone, presence: ChatPresence) -> Result<(), SendError> {
        use whatsapp_rust::features::ChatStateType;
        let jid = self.numbers.resolve(&self.client, to).await?;
        let state = match presence {
            ChatPresence::Composing => ChatStateType::Composing,
            ChatPresence::Recording => ChatStateType::Recording,
            ChatPresence::Paused => ChatStateType::Paused,
        };
        self.client
            .chatstate()
            .send(&jid, state)
            .await
            .map_err(|e| SendError::Transient(format!("could not show {}: {e}", presence.as_str())))
    }

    async fn lookup(&self, phone: &Phone) -> Result<Option<String>, SendError> {
        if !self.client.is_connected() || !self.client.is_logged_in() {
            return Err(SendError::Transient("not connected to WhatsApp".into()));
        }
        let found = self.numbers.lookup(&self.client, phone).await?;
        Ok(found.map(|jid| jid.to_string()))
    }

    async fn groups(&self) -> Result<Vec<GroupSummary>, SendError> {
        if !self.client.is_connected() || !self.client.is_logged_in() {
            return Err(SendError::Transient("not connected to WhatsApp".into()));
        }
        self.groups.list(&self.client).await
    }

    async fn mark_read(&self, contact: &Phone, message_ids: &[String]) -> Result<(), SendError> {
        let jid = self.numbers.resolve(&self.client, contact).await?;
        let ids: Vec<&str> = message_ids.iter().map(String::as_str).collect();
        self.client
            .mark_as_read(&jid, None, &ids)
            .await
            .map_err(|e| SendError::Transient(format!("could not mark messages read: {e}")))
    }

    async fn pair_with_code(&self, phone: &Phone) -> Result<String, WaError> {
        self.client
            .wait_for_socket(SOCKET_WAIT)
            .await
            .map_err(|e| WaError::PairCode(format!("not connected to WhatsApp yet: {e}")))?;
        let options = PairCodeOptions {
            phone_number: phone.digits().to_owned(),
            ..Default::default()
        };
        self.client
            .pair_with_code(options)
            .await
            .map_err(|e| WaError::PairCode(e.to_string()))
    }

    async fn logout(&self) -> Result<(), WaError> {
        if !self.client.is_connected() {
            return Err(WaError::Logout(
                "not connected to WhatsApp, so the phone cannot be told; try again when connected".into(),
            ));
        }
        self.client.logout().await;
        tracing::info!("logged out of WhatsApp");
        Ok(())
    }

    async fn shutdown(self: Box<Self>) {
        let Self {
            client,
            mut bot,
            pump,
            subscription,
            ..
        } = *self;
        let graceful = async {
            client.disconnect().await;
            (&mut bot).await;
        };
        if tokio::time::timeout(SHUTDOWN_GRACE, graceful).await.is_err() {
            tracing::warn!("WhatsApp client did not stop in time; aborting it");
            bot.abort();
            if tokio::time::timeout(SHUTDOWN_GRACE, &mut bot).await.is_err() {
                tracing::error!("WhatsApp client task did not end after abort");
            }
        }
        drop(subscription);
        pump.abort();
        let _ = pump.await;
        tracing::info!("WhatsApp client stopped");
    }
}
