//! A loopback WhatsApp server for tests, built from whatsapp-rust 0.7's own
//! parts (wacore-noise, wacore-binary, waproto, wacore-libsignal), so the
//! gateway's real client can be driven without WhatsApp. It speaks the
//! WebSocket transport of `TokioWebSocketTransportFactory::with_url`, runs
//! the Noise XX and IK responders and answers a registering client with
//! pairing refs, which the client turns into the QR code it shows. Tests
//! register numbers that are WhatsApp users, or start simulated contacts
//! that are real whatsapp-rust clients linked through the server, which
//! routes messages and receipts between connected devices; they see the
//! chat states and message acks the clients get.
//! The rules it follows are those in the project's WHATSAPP.md ("Testing
//! without WhatsApp"), each cited where it is applied.

mod accounts;
mod calls;
mod chatstate;
mod code_pairing;
mod connection;
mod contact;
mod contact_groups;
mod contact_media;
mod contact_rich;
mod contacts;
pub mod control;
mod devices;
mod directory;
mod group_routing;
mod groups;
mod iq;
mod keys;
mod keyshare;
mod media;
mod media_http;
mod messages;
mod noise;
mod pair_code;
mod pairing;
mod prekeys;
mod routing;
mod state;
mod undecryptable;
mod wire;

pub use chatstate::ChatState;
pub use contact::{Contact, Received};
pub use contact_media::{Audio, File, FileKind};
pub use contact_rich::{Card, OwnPoll, Place, Quote, Reaction, Rich};
pub use media_http::LoopbackMediaHttp;
pub use state::Stats;

use anyhow::Result;
use state::Shared;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use warp::Filter;

/// A running server on 127.0.0.1; stops when dropped.
pub struct LoopbackServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl LoopbackServer {
    /// Binds a free port on 127.0.0.1 and starts serving.
    pub async fn start() -> Result<Self> {
        Self::start_on(0).await
    }

    /// Binds `port` on 127.0.0.1 (0: a free one) and starts serving.
    pub async fn start_on(port: u16) -> Result<Self> {
        let shared = Arc::new(Shared::new());
        let for_route = shared.clone();
        let chat = warp::path!("ws" / "chat")
            .and(warp::ws())
            .map(move |ws: warp::ws::Ws| {
                let shared = for_route.clone();
                ws.on_upgrade(move |socket| connection::serve(socket, shared))
            });
        let media = media::media_routes(shared.blobs.clone(), shared.host.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        let addr = listener.local_addr()?;
        let server = warp::serve(chat.or(media)).incoming(listener).graceful(async {
            let _ = stopped.await;
        });
        let _ = shared.host.set(addr.to_string());
        let task = tokio::spawn(server.run());
        Ok(Self {
            addr,
            shared,
            stop: Some(stop),
            task,
        })
    }

    /// The URL to give the client (`TokioWebSocketTransportFactory::with_url`).
    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws/chat", self.addr)
    }

    pub fn stats(&self) -> Stats {
        self.shared.stats()
    }

    /// How many media files clients uploaded of `kind` (`audio`, `image`..).
    pub fn uploads(&self, kind: &str) -> usize {
        self.shared.blobs.count(kind)
    }

    /// The app versions clients announced in their login payloads, in order.
    pub fn client_versions(&self) -> Vec<String> {
        self.shared.client_versions()
    }

    /// A phone with number `phone` (`+5511...` or digits) scans `qr`, the
    /// text of a QR code a connected client shows: the client is sent
    /// `pair-success`, answers, and is told to reconnect and log in.
    pub fn scan(&self, qr: &str, phone: &str) -> Result<()> {
        self.shared.scan(qr, &phone_digits(phone)?, unix_now())
    }

    /// The phone of `phone` (`+5511...` or digits) types `code`, the
    /// 8-character code a connected client shows after asking to be linked
    /// to that number: the phone's side of the exchange runs, and with the
    /// right code the client is sent `pair-success`, as after a scan. A
    /// wrong code fails here, and the client is told nothing.
    pub async fn enter_code(&self, phone: &str, code: &str) -> Result<()> {
        self.shared
            .enter_code(&phone_digits(phone)?, code, unix_now())
            .await
    }

    /// Makes `phone` (`+5511...` or digits) a WhatsApp user: usync contact
    /// queries answer it `type="in"` with its LID; other numbers `"out"`.
    pub fn add_contact(&self, phone: &str) -> Result<()> {
        self.shared.add_contact(&phone_digits(phone)?);
        Ok(())
    }

    /// Starts a simulated contact for `phone` (`+5511...` or digits): a
    /// real whatsapp-rust client that the server links as a companion of
    /// that number, playing its phone and scanning its QR code. Returns
    /// once it is connected.
    pub async fn start_contact(&self, phone: &str) -> Result<Contact> {
        Contact::start(self.shared.clone(), self.ws_url(), phone_digits(phone)?).await
    }

    /// Messages to `phone` are refused from now on with `<ack
    /// error="463">`, as WhatsApp refuses a new contact while the sender's
    /// number may not reach out; it is made a WhatsApp user if it was not.
    pub fn refuse(&self, phone: &str) -> Result<()> {
        self.shared.refuse(&phone_digits(phone)?);
        Ok(())
    }

    /// `caller` calls `callee` (`+5511...` or digits): the call rings on
    /// the callee's linked devices, then ends with `reason` (`None` or
    /// `timeout`: nobody answered; `accepted_elsewhere`: the callee's phone
    /// did). Gives the call's id.
    pub fn ring(&self, caller: &str, callee: &str, video: bool, reason: Option<&str>) -> Result<String> {
        let (caller, callee) = (phone_digits(caller)?, phone_digits(callee)?);
        Ok(self.shared.ring(&calls::Call {
            caller: &caller,
            callee: &callee,
            video,
            reason,
        }))
    }

    /// Delivers to `to`'s linked devices a message from `from` (`+5511...`
    /// or digits) that cannot be decrypted, as after a broken Signal
    /// session. Gives its id.
    pub fn undecryptable(&self, from: &str, to: &str) -> Result<String> {
        let (from, to) = (phone_digits(from)?, phone_digits(to)?);
        Ok(self.shared.undecryptable(&from, &to))
    }

    /// The chat states clients sent, in the order they arrived.
    pub fn chat_states(&self) -> Vec<ChatState> {
        self.shared.chat_states()
    }

    /// The phone of `phone` (`+5511...` or digits) removes the devices
    /// linked to it: an online one gets `<stream:error code="401"><conflict
    /// type="device_removed"/>`, later logins `<failure reason="401">`.
    pub fn remove_devices(&self, phone: &str) -> Result<()> {
        self.shared.remove_devices(&phone_digits(phone)?);
        Ok(())
    }

    /// Closes every client connection, as a network drop would.
    pub fn drop_connections(&self) {
        self.shared.drop_connections()
    }

    /// The pairing refs handed out, in order; each QR code starts with one.
    pub fn issued_refs(&self) -> Vec<String> {
        self.shared.issued_refs()
    }
}

/// The digits of a phone number given as `+5511...` or digits.
pub(crate) fn phone_digits(phone: &str) -> Result<String> {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    anyhow::ensure!(digits.len() >= 8, "{phone:?} is not a phone number");
    Ok(digits)
}

pub(crate) fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

impl Drop for LoopbackServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.task.abort();
    }
}
