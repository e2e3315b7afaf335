//! What the server knows across connections: accounts and their devices
//! (linked phones and simulated contacts), the numbers it refuses messages
//! to, the open connections (to push stanzas into), the pairing refs
//! waiting for a scan, the chat states clients sent, and the counters.

use crate::accounts::Account;
use crate::chatstate::ChatState;
use crate::contacts::{self, Asked};
use crate::pairing;
use anyhow::{anyhow, Context, Result};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use tokio::sync::mpsc;
use wacore_binary::{Jid, Node};
use wacore_libsignal::protocol::KeyPair;

/// Connections and stanzas, as `GET /stats` reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
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
}

#[derive(Default)]
struct Counters {
    connections: AtomicU64,
    open: AtomicU64,
    xx: AtomicU64,
    ik: AtomicU64,
    stanzas_in: AtomicU64,
    stanzas_out: AtomicU64,
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
    /// Close the connection without a word (a network drop).
    Close,
}

pub type Outbox = mpsc::UnboundedSender<Push>;

/// Why a login is refused: `<failure reason="401">` (WHATSAPP.md, removing
/// a device: "`<failure reason="401">` at its later logins").
#[derive(Debug)]
pub struct Unknown;

#[derive(Default)]
struct Book {
    accounts: HashMap<String, Account>,
    /// Pairing ref → the connection that shows it.
    waiting: HashMap<String, u64>,
    connections: HashMap<u64, Outbox>,
    next_connection: u64,
    /// Phone numbers whose messages from others are refused with 463.
    refusing: HashSet<String>,
}

impl Book {
    /// The account a phone-number or LID address belongs to.
    fn account_of(&self, jid: &Jid) -> Option<&Account> {
        if jid.is_lid() {
            return self.accounts.values().find(|a| a.lid == jid.user.as_str());
        }
        self.accounts.get(jid.user.as_str()).filter(|_| jid.is_pn())
    }
}

pub struct Shared {
    pub keys: crate::noise::ServerKeys,
    counters: Counters,
    versions: Mutex<Vec<String>>,
    issued: Mutex<Vec<String>>,
    chat_states: Mutex<Vec<ChatState>>,
    book: Mutex<Book>,
}

impl Shared {
    pub fn new() -> Self {
        Self {
            keys: crate::noise::ServerKeys::generate(),
            counters: Counters::default(),
            versions: Mutex::default(),
            issued: Mutex::default(),
            chat_states: Mutex::default(),
            book: Mutex::default(),
        }
    }

    fn book(&self) -> std::sync::MutexGuard<'_, Book> {
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

    pub fn issued_refs(&self) -> Vec<String> {
        self.issued.lock().expect("refs lock").clone()
    }

    /// Remembers which connection shows these refs, for the scan.
    pub fn await_scan(&self, connection: u64, refs: &[String]) {
        self.issued.lock().expect("refs lock").extend_from_slice(refs);
        let mut book = self.book();
        for r in refs {
            book.waiting.insert(r.clone(), connection);
        }
    }

    /// A phone (`phone`: digits) scans `qr`: a device is reserved on its
    /// account and `pair-success` goes to the connection showing the QR.
    pub fn scan(&self, qr: &str, phone: &str, now: u64) -> Result<()> {
        let scanned = pairing::read_qr(qr)?;
        let mut book = self.book();
        let connection = *book
            .waiting
            .get(&scanned.pairing_ref)
            .context("no connected client shows this QR code")?;
        let outbox = book
            .connections
            .get(&connection)
            .cloned()
            .context("client gone")?;
        let account = book
            .accounts
            .entry(phone.to_owned())
            .or_insert_with(|| Account::new(phone));
        let device = account.add_device(scanned.noise_pub);
        let identity = pairing::device_identity(&account.key, &scanned, u32::from(device), now)?;
        let node = pairing::pair_success(
            &crate::connection::new_id(),
            identity,
            account.device_jid(device),
            account.device_lid(device),
        );
        book.waiting.retain(|_, waiting| *waiting != connection);
        outbox
            .send(Push::PairSuccess {
                node: Box::new(node),
                phone: phone.to_owned(),
                device,
            })
            .map_err(|_| anyhow!("client gone"))
    }

    /// The companion countersigned its identity: it is linked now.
    pub fn linked(&self, phone: &str, device: u16, signed_identity: Vec<u8>) {
        let mut book = self.book();
        if let Some(d) = book
            .accounts
            .get_mut(phone)
            .and_then(|a| a.devices.get_mut(&device))
        {
            d.signed_identity = Some(signed_identity);
        }
    }

    /// A login as `device` of `phone`: allowed for a linked device whose
    /// Noise static key is the one it paired with. Gives its LID address.
    pub fn login(&self, phone: &str, device: u16, noise_pub: &[u8; 32]) -> Result<Jid, Unknown> {
        let book = self.book();
        let account = book.accounts.get(phone).ok_or(Unknown)?;
        let linked = account.devices.get(&device).ok_or(Unknown)?;
        if linked.signed_identity.is_none() || &linked.noise_pub != noise_pub {
            return Err(Unknown);
        }
        Ok(account.device_lid(device))
    }

    /// Closes every client connection, as a network drop would.
    pub fn drop_connections(&self) {
        for outbox in self.book().connections.values() {
            let _ = outbox.send(Push::Close);
        }
    }

    /// Makes `phone` (digits) a WhatsApp user, as a phone with WhatsApp
    /// installed would be; a number already known stays as it is.
    pub fn add_contact(&self, phone: &str) {
        self.book()
            .accounts
            .entry(phone.to_owned())
            .or_insert_with(|| Account::new(phone));
    }

    /// What the server knows of each number a usync contact query asks
    /// about, in the query's order.
    pub fn asked(&self, numbers: Vec<String>) -> Vec<Asked> {
        let book = self.book();
        numbers
            .into_iter()
            .map(|written| {
                let digits = contacts::digits(&written);
                let lid = book.accounts.get(&digits).map(|a| a.lid.clone());
                Asked { written, digits, lid }
            })
            .collect()
    }

    pub fn saw_chat_state(&self, state: ChatState) {
        self.chat_states.lock().expect("chat states lock").push(state);
    }

    pub fn chat_states(&self) -> Vec<ChatState> {
        self.chat_states.lock().expect("chat states lock").clone()
    }

    /// Of `users`, those that are WhatsApp users, by the address asked.
    pub fn known_users(&self, users: Vec<Jid>) -> Vec<Jid> {
        let book = self.book();
        users
            .into_iter()
            .filter(|jid| book.account_of(jid).is_some())
            .collect()
    }

    /// The identity key of each device asked about that is a phone
    /// (device 0) of a known account.
    pub fn identities(&self, devices: Vec<Jid>) -> Vec<(Jid, KeyPair)> {
        let book = self.book();
        devices
            .into_iter()
            .filter(|jid| jid.device == 0)
            .filter_map(|jid| {
                let key = book.account_of(&jid)?.key.clone();
                Some((jid, key))
            })
            .collect()
    }

    /// Messages to `phone` (digits) are refused with 463 from now on; the
    /// number is made a WhatsApp user if it was not one.
    pub fn refuse(&self, phone: &str) {
        self.add_contact(phone);
        self.book().refusing.insert(phone.to_owned());
    }

    /// Whether a message to `to` is refused.
    pub fn refuses(&self, to: &Jid) -> bool {
        let book = self.book();
        book.account_of(to)
            .is_some_and(|a| book.refusing.contains(&a.phone))
    }
}
