//! One running whatsapp-rust client for one instance: the bot task, its
//! event pump (`pump.rs`), and the [`WaSession`] operations on top.

use super::acks::{self, AckWaiters};
use super::groups::{self, GroupSubjects};
use super::numbers::NumberDirectory;
use super::{outgoing, pump, rich};
use crate::domain::{Phone, Recipient};
use crate::wa::media::voice::VoiceMaker;
use crate::wa::media::MediaFetcher;
use crate::wa::{ChatPresence, GroupSummary, OutgoingMessage, SendError, WaError, WaEvent, WaSession};
use async_trait::async_trait;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use whatsapp_rust::bot::{Bot, BotHandle};
use whatsapp_rust::pair_code::PairCodeOptions;
use whatsapp_rust::types::events::{ChannelEventHandler, Subscription};
use whatsapp_rust::{Client, Jid, SendOptions};

/// Time a graceful stop may take before the client task is aborted.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);
const SEND_TIMEOUT: Duration = Duration::from_secs(60);
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
        let pump = tokio::spawn(pump::pump(
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
