//! What the server knows across connections: accounts and their devices
//! (linked phones and simulated contacts), the numbers it refuses messages
//! to, the open connections (to push stanzas into) and which device each
//! is logged in as, the stanzas waiting for a device to come back, the
//! pairing refs waiting for a scan, the chat states clients sent, the
//! groups (`groups.rs`), the phone codes asked for (`code_pairing.rs`),
//! and the counters. Here: connections and delivery; linking devices is
//! `devices.rs`, lookups of who is on WhatsApp `directory.rs`.

use crate::accounts::Account;
use crate::chatstate::ChatState;
use crate::code_pairing::CodeBook;
use crate::groups::GroupBook;
use crate::keys::Keys;
use crate::media::Blobs;
use crate::routing::{Copy, Device};
use anyhow::{anyhow, Context, Result};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use tokio::sync::mpsc;
use wacore_binary::{Jid, Node};
use wacore_libsignal::protocol::KeyPair;

/// Connections and stanzas, as `GET /stats` reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    /// Connections whose handshake finished, ever.
    pub connections: u64,
    /// Connections open now.
    pub open: u64,
    /// Finished handshakes by pattern.
    pub xx_handshakes: u64,
    pub ik_handshakes: u64,
    /// Stanzas received from clients.
    pub stanzas_in: u64,
    /// Stanzas sent to clients.
    pub stanzas_out: u64,
    /// Message and receipt copies routed from one device to another.
    pub routed: u64,
}

#[derive(Default)]
struct Counters {
    connections: AtomicU64,
    open: AtomicU64,
    xx: AtomicU64,
    ik: AtomicU64,
    stanzas_in: AtomicU64,
    stanzas_out: AtomicU64,
    routed: AtomicU64,
}

/// What the server pushes into one connection.
pub enum Push {
    /// `pair-success` for `device` of `phone`; the connection waits for the
    /// companion's `pair-device-sign` answer.
    PairSuccess {
        node: Box<Node>,
        phone: String,
        device: u16,
    },
    /// A stanza routed to the device logged in on this connection.
    Stanza(Box<Node>),
    /// The device on this connection was removed by its phone.
    Removed,
    /// Close the connection without a word (a network drop).
    Close,
}

pub type Outbox = mpsc::UnboundedSender<Push>;

/// What the phone needs to send its new companion the app-state key
/// share (`keyshare.rs`): its identity, its address, the companion's keys.
pub struct ShareFor {
    pub key: KeyPair,
    pub phone: Jid,
    pub keys: Keys,
}

/// Why a login is refused: `<failure reason="401">` (WHATSAPP.md, removing
/// a device: "`<failure reason="401">` at its later logins").
#[derive(Debug)]
pub struct Unknown;

#[derive(Default)]
pub(crate) struct Book {
    pub(crate) accounts: HashMap<String, Account>,
    /// Pairing ref → the connection that shows it.
    pub(crate) waiting: HashMap<String, u64>,
    pub(crate) connections: HashMap<u64, Outbox>,
    next_connection: u64,
    /// Phone numbers whose messages from others are refused with 463.
    pub(crate) refusing: HashSet<String>,
    /// The connection each logged-in device is on.
    pub(crate) online: HashMap<Device, u64>,
    /// Stanzas for linked devices that are not connected, in order.
    pub(crate) pending: HashMap<Device, Vec<Node>>,
}

impl Book {
    /// The account a phone-number or LID address belongs to.
    pub(crate) fn account_of(&self, jid: &Jid) -> Option<&Account> {
        if jid.is_lid() {
            return self.accounts.values().find(|a| a.lid == jid.user.as_str());
        }
        self.accounts.get(jid.user.as_str()).filter(|_| jid.is_pn())
    }

    /// Hands `node` to `device`'s connection, or keeps it for its next
    /// login.
    fn deliver(&mut self, device: Device, node: Node) {
        let outbox = self.online.get(&device).and_then(|c| self.connections.get(c));
        if let Some(outbox) = outbox {
            if outbox.send(Push::Stanza(Box::new(node.clone()))).is_ok() {
                return;
            }
        }
        self.pending.entry(device).or_default().push(node);
    }
}

pub struct Shared {
    pub keys: crate::noise::ServerKeys,
    /// This server's `127.0.0.1:<port>`, once bound: the media host.
    pub host: Arc<OnceLock<String>>,
    pub blobs: Arc<Blobs>,
    counters: Counters,
    versions: Mutex<Vec<String>>,
    pub(crate) issued: Mutex<Vec<String>>,
    chat_states: Mutex<Vec<ChatState>>,
    book: Mutex<Book>,
    /// The groups created through this server (`groups.rs`).
    pub groups: GroupBook,
    /// The phone codes companions asked for (`code_pairing.rs`).
    pub codes: CodeBook,
}

impl Shared {
    pub fn new() -> Self {
        Self {
            keys: crate::noise::ServerKeys::generate(),
            host: Arc::default(),
            blobs: Arc::default(),
            counters: Counters::default(),
            versions: Mutex::default(),
            issued: Mutex::default(),
            chat_states: Mutex::default(),
            book: Mutex::default(),
            groups: GroupBook::default(),
            codes: CodeBook::default(),
        }
    }

    pub(crate) fn book(&self) -> std::sync::MutexGuard<'_, Book> {
        self.book.lock().expect("loopback book lock")
    }

    pub fn stats(&self) -> Stats {
        let c = &self.counters;
        let get = |n: &AtomicU64| n.load(Ordering::Relaxed);
        Stats {
            connections: get(&c.connections),
            open: get(&c.open),
            xx_handshakes: get(&c.xx),
            ik_handshakes: get(&c.ik),
            stanzas_in: get(&c.stanzas_in),
            stanzas_out: get(&c.stanzas_out),
            routed: get(&c.routed),
        }
    }

    /// Counts a finished handshake and gives the connection its outbox.
    pub fn opened(&self, ik: bool) -> (u64, mpsc::UnboundedReceiver<Push>) {
        let c = &self.counters;
        c.connections.fetch_add(1, Ordering::Relaxed);
        c.open.fetch_add(1, Ordering::Relaxed);
        let pattern = if ik { &c.ik } else { &c.xx };
        pattern.fetch_add(1, Ordering::Relaxed);
        let (outbox, inbox) = mpsc::unbounded_channel();
        let mut book = self.book();
        book.next_connection += 1;
        let id = book.next_connection;
        book.connections.insert(id, outbox);
        (id, inbox)
    }

    pub fn closed(&self, connection: u64) {
        self.counters.open.fetch_sub(1, Ordering::Relaxed);
        let mut book = self.book();
        book.connections.remove(&connection);
        book.waiting.retain(|_, waiting| *waiting != connection);
        book.online.retain(|_, online| *online != connection);
        drop(book);
        self.codes.forget(connection);
    }

    pub fn stanza_in(&self) {
        self.counters.stanzas_in.fetch_add(1, Ordering::Relaxed);
    }

    pub fn stanza_out(&self) {
        self.counters.stanzas_out.fetch_add(1, Ordering::Relaxed);
    }

    pub fn client_versions(&self) -> Vec<String> {
        self.versions.lock().expect("versions lock").clone()
    }

    pub fn saw_version(&self, version: String) {
        self.versions.lock().expect("versions lock").push(version);
    }

    /// Hands `node` to the client on `connection`.
    pub fn send_to(&self, connection: u64, node: Node) -> Result<()> {
        let book = self.book();
        let outbox = book.connections.get(&connection).context("client gone")?;
        outbox
            .send(Push::Stanza(Box::new(node)))
            .map_err(|_| anyhow!("client gone"))
    }

    /// The stanzas that waited for `device` while it was away.
    pub fn take_pending(&self, device: &Device) -> Vec<Node> {
        self.book().pending.remove(device).unwrap_or_default()
    }

    /// Delivers `copy` to the linked device it names, or to every linked
    /// companion of the account when it names none.
    pub fn deliver(&self, copy: Copy) {
        let mut book = self.book();
        let Some(account) = book.account_of(&copy.to) else {
            return;
        };
        let phone = account.phone.clone();
        let devices: Vec<u16> = account
            .linked()
            .map(|(id, _)| id)
            .filter(|id| copy.to.device == 0 || *id == copy.to.device)
            .collect();
        for device in devices {
            self.counters.routed.fetch_add(1, Ordering::Relaxed);
            book.deliver((phone.clone(), device), copy.node.clone());
        }
    }

    /// Closes every client connection, as a network drop would.
    pub fn drop_connections(&self) {
        for outbox in self.book().connections.values() {
            let _ = outbox.send(Push::Close);
        }
    }

    pub fn saw_chat_state(&self, state: ChatState) {
        self.chat_states.lock().expect("chat states lock").push(state);
    }

    pub fn chat_states(&self) -> Vec<ChatState> {
        self.chat_states.lock().expect("chat states lock").clone()
    }
}
