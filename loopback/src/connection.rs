//! One client connection: the Noise handshake, then stanzas in both
//! directions until either side closes. Once a linked device logged in,
//! its messages and receipts are routed to other devices (`routing.rs`).

use crate::iq;
use crate::messages;
use crate::noise::{answer_hello, Established, Hello};
use crate::routing::Device;
use crate::state::{Push, Shared, Unknown};
use crate::wire::{plain_frame, Frames, Sealed};
use anyhow::{anyhow, bail, Result};
use base64::Engine;
use futures::stream::{SplitSink, SplitStream};
use futures::{SinkExt, StreamExt};
use std::sync::Arc;
use tokio::sync::mpsc;
use wacore_binary::builder::NodeBuilder;
use wacore_binary::{Node, NodeContent};
use waproto::whatsapp::ClientPayload;
use warp::ws::{Message, WebSocket};

mod iq_answers;

/// How many refs one `<pair-device>` carries; the client shows one QR code
/// per ref (whatsapp-rust `pair.rs` tests use six).
const PAIRING_REFS: usize = 6;

/// The nack code for a message to someone who may not be messaged now.
const NEW_CONTACTS_BLOCKED: &str = "463";

/// Where the server's stanzas come from (`SERVER_JID` in wacore-binary).
pub const SERVER: &str = "s.whatsapp.net";

pub async fn serve(socket: WebSocket, shared: Arc<Shared>) {
    let (sink, stream) = socket.split();
    let mut link = Link {
        sink,
        stream,
        frames: Frames::new(),
    };
    let (established, ik) = match link.handshake(&shared).await {
        Ok(done) => done,
        Err(e) => {
            tracing::warn!(error = %e, "loopback handshake failed");
            return;
        }
    };
    let (id, inbox) = shared.opened(ik);
    let Established {
        client_static,
        payload,
        read,
        write,
    } = established;
    let mut session = Session {
        id,
        link,
        inbox,
        sealed: Sealed::new(read, write),
        shared: shared.clone(),
        signing: None,
        me: None,
    };
    if let Err(e) = session.run(&payload, &client_static).await {
        tracing::debug!(error = %e, "loopback connection ended");
    }
    shared.closed(id);
}

/// The WebSocket with the client's frame reassembly.
struct Link {
    sink: SplitSink<WebSocket, Message>,
    stream: SplitStream<WebSocket>,
    frames: Frames,
}

impl Link {
    /// The next whole frame, or `None` when the client closed.
    async fn next_frame(&mut self) -> Result<Option<Vec<u8>>> {
        loop {
            if let Some(frame) = self.frames.next_frame() {
                return Ok(Some(frame));
            }
            match self.stream.next().await {
                Some(Ok(message)) if message.is_binary() => self.frames.feed(message.as_bytes())?,
                Some(Ok(message)) if message.is_close() => return Ok(None),
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Err(e.into()),
                None => return Ok(None),
            }
        }
    }

    async fn send(&mut self, bytes: Vec<u8>) -> Result<()> {
        Ok(self.sink.send(Message::binary(bytes)).await?)
    }

    /// Runs XX or IK, whichever the client started; `true` for IK.
    async fn handshake(&mut self, shared: &Shared) -> Result<(Established, bool)> {
        let hello = self
            .next_frame()
            .await?
            .ok_or_else(|| anyhow!("closed before hello"))?;
        match answer_hello(&shared.keys, &hello)? {
            Hello::Xx {
                pending,
                server_hello,
            } => {
                self.send(plain_frame(&server_hello)?).await?;
                let finish = self
                    .next_frame()
                    .await?
                    .ok_or_else(|| anyhow!("closed before ClientFinish"))?;
                Ok((pending.finish(&finish)?, false))
            }
            Hello::Ik {
                established,
                server_hello,
            } => {
                self.send(plain_frame(&server_hello)?).await?;
                Ok((*established, true))
            }
        }
    }
}

struct Session {
    id: u64,
    link: Link,
    inbox: mpsc::UnboundedReceiver<Push>,
    sealed: Sealed,
    shared: Arc<Shared>,
    /// The device whose `pair-device-sign` answer is awaited.
    signing: Option<(String, u16)>,
    /// The device logged in on this connection.
    me: Option<Device>,
}

/// What to do after a stanza.
enum Next {
    Go,
    Close,
}

impl Session {
    async fn run(&mut self, payload: &ClientPayload, client_static: &[u8; 32]) -> Result<()> {
        let version = &payload.user_agent.app_version;
        self.shared.saw_version(format!(
            "{}.{}.{}",
            version.primary.unwrap_or(0),
            version.secondary.unwrap_or(0),
            version.tertiary.unwrap_or(0)
        ));
        let opened = match (payload.username, payload.device) {
            (Some(user), device) => self.login(user, device.unwrap_or(0), client_static).await?,
            (None, _) if payload.device_pairing_data.is_set() => self.offer_pairing().await?,
            (None, _) => bail!("payload with neither a login nor registration data"),
        };
        if let Next::Close = opened {
            return Ok(());
        }
        loop {
            let next = tokio::select! {
                frame = self.link.next_frame() => match frame? {
                    Some(frame) => {
                        let node = self.sealed.open(frame)?;
                        self.shared.stanza_in();
                        self.answer(&node).await?
                    }
                    None => Next::Close,
                },
                push = self.inbox.recv() => match push {
                    Some(push) => self.push(push).await?,
                    None => Next::Close,
                },
            };
            if let Next::Close = next {
                return Ok(());
            }
        }
    }

    async fn send(&mut self, node: &Node) -> Result<()> {
        let frame = self.sealed.seal(node)?;
        self.link.send(frame).await?;
        self.shared.stanza_out();
        Ok(())
    }

    async fn push(&mut self, push: Push) -> Result<Next> {
        match push {
            Push::PairSuccess { node, phone, device } => {
                self.signing = Some((phone, device));
                self.send(&node).await?;
            }
            Push::Stanza(node) => self.send(&node).await?,
            Push::Removed => {
                self.send(&device_removed()).await?;
                return Ok(Next::Close);
            }
            Push::Close => return Ok(Next::Close),
        }
        Ok(Next::Go)
    }

    /// WHATSAPP.md, pairing (1): a registering client gets
    /// `<iq xmlns="md" type="set"><pair-device><ref>..` and shows one QR
    /// code per ref.
    async fn offer_pairing(&mut self) -> Result<Next> {
        let refs: Vec<String> = (0..PAIRING_REFS).map(|_| new_ref()).collect();
        self.shared.await_scan(self.id, &refs);
        let iq = NodeBuilder::new("iq")
            .attr("from", SERVER)
            .attr("type", "set")
            .attr("id", new_id())
            .attr("xmlns", "md")
            .children([NodeBuilder::new("pair-device")
                .children(
                    refs.into_iter()
                        .map(|r| NodeBuilder::new("ref").bytes(r.into_bytes()).build()),
                )
                .build()])
            .build();
        self.send(&iq).await?;
        Ok(Next::Go)
    }

    /// WHATSAPP.md, login (2): a linked device gets `<success lid t>`; an
    /// unknown or removed one `<failure reason="401">`.
    async fn login(&mut self, user: u64, device: u32, noise_pub: &[u8; 32]) -> Result<Next> {
        let device = (user.to_string(), u16::try_from(device).unwrap_or(u16::MAX));
        match self.shared.login(self.id, &device, noise_pub) {
            Ok(lid) => {
                self.me = Some(device);
                let success = NodeBuilder::new("success")
                    .attr("t", crate::unix_now().to_string())
                    .attr("lid", lid)
                    .build();
                self.send(&success).await?;
                Ok(Next::Go)
            }
            Err(Unknown) => {
                let failure = NodeBuilder::new("failure").attr("reason", "401").build();
                self.send(&failure).await?;
                Ok(Next::Close)
            }
        }
    }

    async fn answer(&mut self, node: &Node) -> Result<Next> {
        if let Some(state) = crate::chatstate::read(node, std::time::Instant::now()) {
            self.shared.saw_chat_state(state);
            return Ok(Next::Go);
        }
        if let Some((to, id)) = messages::read(node) {
            let error = self.shared.refuses(&to).then_some(NEW_CONTACTS_BLOCKED);
            if let (None, Some(me)) = (error, &self.me) {
                self.shared.route_message(me, node);
            }
            self.send(&messages::ack(to, &id, error)).await?;
            return Ok(Next::Go);
        }
        if node.tag == "receipt" {
            if let Some(me) = &self.me {
                self.shared.route_receipt(me, node);
            }
            return Ok(Next::Go);
        }
        if node.tag != "iq" {
            return Ok(Next::Go);
        }
        let attr = |name: &str| node.attrs.get(name).map(|v| v.to_string()).unwrap_or_default();
        match attr("type").as_str() {
            "result" => self.answered(node).await,
            "get" | "set" => {
                let id = attr("id");
                match attr("xmlns").as_str() {
                    "passive" => self.activate(&id).await?,
                    "usync" => self.usync(&id, node).await?,
                    "encrypt" => self.encrypt(&id, node).await?,
                    "w:sync:app:state" => self.send(&iq::no_app_state(&id, node)).await?,
                    "w:g2" => {
                        let answer = match &self.me {
                            Some(me) => self.shared.group_iq(me, &id, node),
                            None => result(&id),
                        };
                        self.send(&answer).await?
                    }
                    // Linking with a phone number (`code_pairing.rs`).
                    "md" if node.get_optional_child("link_code_companion_reg").is_some() => {
                        let answer = self.shared.link_code_iq(self.id, &id, node);
                        self.send(&answer.unwrap_or_else(|| result(&id))).await?
                    }
                    "w:m" if node.get_optional_child("media_conn").is_some() => {
                        let host = self.shared.host.get().cloned().unwrap_or_default();
                        self.send(&crate::media::media_conn(&id, &host)).await?
                    }
                    // WHATSAPP.md, login (2): any other IQ gets an empty
                    // `result`, or the client waits 75 s for each.
                    _ => self.send(&result(&id)).await?,
                }
                Ok(Next::Go)
            }
            _ => Ok(Next::Go),
        }
    }

    /// The companion's `pair-device-sign` answer links it; WHATSAPP.md,
    /// pairing (1): `<stream:error code="515"/>` then makes it reconnect and
    /// log in.
    async fn answered(&mut self, node: &Node) -> Result<Next> {
        let Some(identity) = node
            .get_optional_child_by_tag(&["pair-device-sign", "device-identity"])
            .and_then(|n| match &n.content {
                Some(NodeContent::Bytes(bytes)) => Some(bytes.clone()),
                _ => None,
            })
        else {
            return Ok(Next::Go);
        };
        let (phone, device) = self
            .signing
            .take()
            .ok_or_else(|| anyhow!("pair-device-sign without a pairing"))?;
        self.shared.linked(&phone, device, identity);
        let restart = NodeBuilder::new("stream:error").attr("code", "515").build();
        self.send(&restart).await?;
        Ok(Next::Close)
    }
}

/// WHATSAPP.md, removing a device: `<stream:error code="401"><conflict
/// type="device_removed"/>`, which whatsapp-rust (`client/node_io.rs`
/// `handle_stream_error`) turns into `Event::LoggedOut` without reconnecting.
fn device_removed() -> Node {
    NodeBuilder::new("stream:error")
        .attr("code", "401")
        .children([NodeBuilder::new("conflict")
            .attr("type", "device_removed")
            .build()])
        .build()
}

/// The empty answer to an IQ.
fn result(id: &str) -> Node {
    iq::result(id, [])
}

/// A pairing ref shaped like WhatsApp's (`2@` and base64).
pub fn new_ref() -> String {
    let bytes: [u8; 24] = rand::random();
    format!("2@{}", base64::engine::general_purpose::STANDARD.encode(bytes))
}

pub fn new_id() -> String {
    let n: u64 = rand::random();
    format!("{n:016X}")
}
