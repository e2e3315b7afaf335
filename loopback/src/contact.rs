//! A simulated contact that is a real whatsapp-rust 0.7 client, linked
//! through this server as a companion of its own number (the server plays
//! its phone and scans its QR code), so what is sent to it is really
//! decrypted and what it sends is really encrypted. It keeps, in order,
//! the messages it decrypted that a person would see (text, and the media
//! of `contact_media.rs` and richer kinds of `contact_rich.rs`), once per
//! sender and id, as WhatsApp's apps keep them (a sender that resends a
//! message with the same id, as after a crash, shows it once); it counts
//! such copies.

use crate::contact_media::{Audio, File};
use crate::contact_rich::Rich;
use crate::state::Shared;
use crate::LoopbackMediaHttp;
use anyhow::{anyhow, bail, Context, Result};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::task::JoinHandle;
use whatsapp_rust::async_channel::Receiver;
use whatsapp_rust::bot::{Bot, BotHandle};
use whatsapp_rust::proto_helpers::MessageExt;
use whatsapp_rust::transport::TokioWebSocketTransportFactory;
use whatsapp_rust::types::events::{ChannelEventHandler, Event, InboundMessage, Subscription};
use whatsapp_rust::wacore::store::InMemoryBackend;
use whatsapp_rust::{Client, Jid};

/// The app version contacts announce (pinned: no fetch from
/// web.whatsapp.com before connecting).
const VERSION: (u32, u32, u32) = (2, 3000, 1_023_456_789);

/// Linking takes moments: the server sends the app-state key share the
/// client would otherwise wait 10 s for (`keyshare.rs`); a contact that
/// waits it out fails to start.
const LINK_LIMIT: Duration = Duration::from_secs(8);

/// A message the contact decrypted.
#[derive(Debug, Clone)]
pub struct Received {
    /// The id its sender gave it.
    pub id: String,
    /// The sender's phone number (digits) when the stanza named one,
    /// else its address as given.
    pub from: String,
    pub text: Option<String>,
    pub audio: Option<Audio>,
    /// An image, a video or a document.
    pub file: Option<File>,
    /// A quote, a reaction, a place or a card.
    pub rich: Rich,
    /// The group (`...@g.us`) it was written in; `None` in a one-to-one chat.
    pub group: Option<String>,
    /// Unix seconds, the server's time.
    pub timestamp: i64,
    /// Where a read receipt for it goes.
    chat: Jid,
}

/// A running contact; its client stops when this is dropped.
pub struct Contact {
    phone: String,
    pub(crate) client: Arc<Client>,
    received: Arc<Mutex<Inbox>>,
    _subscription: Subscription,
    _bot: BotHandle,
    pump: JoinHandle<()>,
}

impl Contact {
    /// Starts a client for `phone` (digits) against `ws_url` and has the
    /// server scan its QR code; returns once it is connected.
    pub(crate) async fn start(shared: Arc<Shared>, ws_url: String, phone: String) -> Result<Self> {
        let media_http = LoopbackMediaHttp::for_ws_url(&ws_url)
            .with_context(|| format!("{ws_url} is not this server's ws:// URL"))?;
        let bot = Bot::builder()
            .with_backend(InMemoryBackend::new())
            .with_http_client(media_http)
            .with_transport_factory(TokioWebSocketTransportFactory::new().with_url(ws_url))
            .with_version(VERSION)
            .with_push_name(format!("Contact {phone}"))
            .skip_history_sync()
            .build()
            .await
            .map_err(|e| anyhow!("building the contact's client: {e}"))?;
        let client = bot.client();
        let (handler, events) = ChannelEventHandler::new();
        let subscription = client.subscribe_handler(handler);
        let bot = bot.spawn();
        tokio::time::timeout(LINK_LIMIT, link(&shared, &events, &phone))
            .await
            .context("the contact did not link in time")??;
        let received = Arc::default();
        let pump = tokio::spawn(record(events, Arc::clone(&received)));
        Ok(Self {
            phone,
            client,
            received,
            _subscription: subscription,
            _bot: bot,
            pump,
        })
    }

    /// The contact's number (digits).
    pub fn phone(&self) -> &str {
        &self.phone
    }

    /// Its account's LID (`...@lid`), once its client logged in.
    pub fn lid(&self) -> Option<String> {
        self.client.lid().map(|jid| jid.to_non_ad().to_string())
    }

    /// The messages it decrypted, in the order they came.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().expect("received lock").messages.clone()
    }

    /// How many copies of a message it already had arrived (same sender,
    /// same id) and were not listed again.
    pub fn redelivered(&self) -> usize {
        self.received.lock().expect("received lock").copies
    }

    /// Writes `text` to `to` (`+5511...` or digits); gives the message id.
    pub async fn send_text(&self, to: &str, text: &str) -> Result<String> {
        let to = Jid::pn(crate::phone_digits(to)?);
        let sent = self.client.send_text(to, text).await?;
        Ok(sent.message_id)
    }

    /// Reads message `id`: a read receipt goes to its sender.
    pub async fn read(&self, id: &str) -> Result<()> {
        let chat = self
            .received()
            .into_iter()
            .find(|m| m.id == id)
            .map(|m| m.chat)
            .with_context(|| format!("the contact has no message {id}"))?;
        self.client.mark_as_read(&chat, None, &[id]).await
    }
}

impl Drop for Contact {
    fn drop(&mut self) {
        self.pump.abort();
    }
}

/// Waits for the client's QR code, scans it as the contact's phone, and
/// waits until the client is connected.
async fn link(shared: &Shared, events: &Receiver<Arc<Event>>, phone: &str) -> Result<()> {
    let mut scanned = false;
    while let Ok(event) = events.recv().await {
        match &*event {
            Event::PairingQrCode(qr) if !scanned => {
                shared.scan(&qr.code, phone, crate::unix_now())?;
                scanned = true;
            }
            Event::Connected(_) => return Ok(()),
            Event::PairError(e) => bail!("the contact's pairing failed: {e:?}"),
            _ => {}
        }
    }
    bail!("the contact's client stopped")
}

/// What the contact decrypted: each message once, and the copies.
#[derive(Default)]
struct Inbox {
    messages: Vec<Received>,
    copies: usize,
}

async fn record(events: Receiver<Arc<Event>>, received: Arc<Mutex<Inbox>>) {
    while let Ok(event) = events.recv().await {
        if let Event::Messages(batch) = &*event {
            let mut inbox = received.lock().expect("received lock");
            for message in batch.iter().filter_map(read_message) {
                if inbox
                    .messages
                    .iter()
                    .any(|m| m.id == message.id && m.from == message.from)
                {
                    inbox.copies += 1;
                } else {
                    inbox.messages.push(message);
                }
            }
        }
    }
}

/// What a person would see of `inbound`: `None` for messages with neither
/// text, audio, a file nor a richer part (key distribution, protocol
/// messages).
fn read_message(inbound: &InboundMessage) -> Option<Received> {
    let base = inbound.message.get_base_message();
    let text = base.text_content().map(str::to_owned);
    let audio = Audio::read(base);
    let file = File::read(base);
    let rich = Rich::read(base);
    if text.is_none() && audio.is_none() && file.is_none() && rich.is_empty() {
        return None;
    }
    let info = &inbound.info;
    let source = &info.source;
    let pn = [Some(&source.sender), source.sender_alt.as_ref()]
        .into_iter()
        .flatten()
        .find(|jid| jid.is_pn());
    Some(Received {
        id: info.id.to_string(),
        from: pn.map_or_else(|| source.sender.to_string(), |jid| jid.user.to_string()),
        text,
        audio,
        file,
        rich,
        group: source.is_group.then(|| source.chat.to_string()),
        timestamp: info.timestamp.timestamp(),
        chat: source.chat.clone(),
    })
}
