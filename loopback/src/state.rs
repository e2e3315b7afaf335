//! What the server knows across connections: accounts and their devices
//! (linked phones and simulated contacts), the numbers it refuses messages
//! to, the open connections (to push stanzas into) and which device each
//! is logged in as, the stanzas waiting for a device to come back, the
//! pairing refs waiting for a scan, the chat states clients sent, the
//! groups (`groups.rs`), the phone codes asked for (`code_pairing.rs`),
//! and the counters.

use crate::accounts::Account;
use crate::chatstate::ChatState;
use crate::code_pairing::CodeBook;
use crate::contacts::{self, Asked};
use crate::groups::{GroupBook, Member};
use crate::keys::Keys;
use crate::media::Blobs;
use crate::pairing::{self, Companion};
use crate::prekeys::{Found, Listed};
use crate::routing::{Addresses, Copy, Device};
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
struct Book {
    accounts: HashMap<String, Account>,
    /// Pairing ref → the connection that shows it.
    waiting: HashMap<String, u64>,
    connections: HashMap<u64, Outbox>,
    next_connection: u64,
    /// Phone numbers whose messages from others are refused with 463.
    refusing: HashSet<String>,
    /// The connection each logged-in device is on.
    online: HashMap<Device, u64>,
    /// Stanzas for linked devices that are not connected, in order.
    pending: HashMap<Device, Vec<Node>>,
}

impl Book {
    /// The account a phone-number or LID address belongs to.
    fn account_of(&self, jid: &Jid) -> Option<&Account> {
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
    issued: Mutex<Vec<String>>,
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

    /// A phone (`phone`: digits) scans `qr`: the connection showing it is
    /// sent `pair-success` (`link_companion`).
    pub fn scan(&self, qr: &str, phone: &str, now: u64) -> Result<()> {
        let scanned = pairing::read_qr(qr)?;
        let connection = *self
            .book()
            .waiting
            .get(&scanned.pairing_ref)
            .context("no connected client shows this QR code")?;
        self.link_companion(connection, phone, &scanned.companion, now)
    }

    /// The phone of `phone` (digits) links `companion`, the client on
    /// `connection`, however it learnt its keys (a QR scan or a typed
    /// code): a device is reserved on its account and the connection is
    /// sent `pair-success` with the identity the phone signs for it.
    pub fn link_companion(
        &self,
        connection: u64,
        phone: &str,
        companion: &Companion,
        now: u64,
    ) -> Result<()> {
        let mut book = self.book();
        let outbox = book
            .connections
            .get(&connection)
            .cloned()
            .context("client gone")?;
        let account = book
            .accounts
            .entry(phone.to_owned())
            .or_insert_with(|| Account::new(phone));
        let device = account.add_device(companion.noise_pub);
        let identity =
            pairing::device_identity(&account.key, account.raw_id, companion, u32::from(device), now)?;
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

    /// Hands `node` to the client on `connection`.
    pub fn send_to(&self, connection: u64, node: Node) -> Result<()> {
        let book = self.book();
        let outbox = book.connections.get(&connection).context("client gone")?;
        outbox
            .send(Push::Stanza(Box::new(node)))
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

    /// A login as `device` of `phone` on `connection`: allowed for a
    /// linked device whose Noise static key is the one it paired with.
    /// Gives its LID address; stanzas routed to it go to this connection.
    pub fn login(&self, connection: u64, device: &Device, noise_pub: &[u8; 32]) -> Result<Jid, Unknown> {
        let mut book = self.book();
        let account = book.accounts.get(&device.0).ok_or(Unknown)?;
        let linked = account.devices.get(&device.1).ok_or(Unknown)?;
        if linked.signed_identity.is_none() || &linked.noise_pub != noise_pub {
            return Err(Unknown);
        }
        let lid = account.device_lid(device.1);
        book.online.insert(device.clone(), connection);
        Ok(lid)
    }

    /// The stanzas that waited for `device` while it was away.
    pub fn take_pending(&self, device: &Device) -> Vec<Node> {
        self.book().pending.remove(device).unwrap_or_default()
    }

    /// Both addresses of a device of a known account.
    pub fn addresses(&self, device: &Device) -> Option<Addresses> {
        let book = self.book();
        let account = book.accounts.get(&device.0)?;
        Some(Addresses {
            pn: account.device_jid(device.1),
            lid: account.device_lid(device.1),
        })
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

    /// `device` uploaded prekeys: they are added to what it has. At its
    /// first upload (its first login after linking) the phone owes it the
    /// app-state key share: what that needs is returned.
    pub fn uploaded(&self, device: &Device, keys: Keys) -> Option<ShareFor> {
        let mut book = self.book();
        let account = book.accounts.get_mut(&device.0)?;
        let phone = account.device_jid(0);
        let key = account.key.clone();
        let linked = account.devices.get_mut(&device.1)?;
        if let Some(had) = &mut linked.keys {
            had.merge(keys);
            return None;
        }
        linked.keys = Some(keys.clone());
        Some(ShareFor { key, phone, keys })
    }

    /// How many one-time prekeys of `device` are left.
    pub fn prekeys_left(&self, device: &Device) -> usize {
        let book = self.book();
        book.accounts
            .get(&device.0)
            .and_then(|a| a.devices.get(&device.1))
            .and_then(|d| d.keys.as_ref())
            .map_or(0, Keys::count)
    }

    /// The phone of `phone` (digits) removes every companion linked to
    /// it: one online is told so, and later logins are refused.
    pub fn remove_devices(&self, phone: &str) {
        let mut book = self.book();
        let Some(account) = book.accounts.get_mut(phone) else {
            return;
        };
        let removed: Vec<u16> = account.devices.keys().copied().collect();
        account.devices.clear();
        for device in removed {
            let device = (phone.to_owned(), device);
            book.pending.remove(&device);
            let connection = book.online.remove(&device);
            if let Some(outbox) = connection.and_then(|c| book.connections.get(&c)) {
                let _ = outbox.send(Push::Removed);
            }
        }
    }

    /// Closes every client connection, as a network drop would.
    pub fn drop_connections(&self) {
        for outbox in self.book().connections.values() {
            let _ = outbox.send(Push::Close);
        }
    }

    /// Makes `phone` (digits) a WhatsApp user, as a phone with WhatsApp
    /// installed would be; a number already known stays as it is. Gives
    /// its LID.
    pub fn add_contact(&self, phone: &str) -> Jid {
        let mut book = self.book();
        let account = book
            .accounts
            .entry(phone.to_owned())
            .or_insert_with(|| Account::new(phone));
        Jid::lid(account.lid.clone())
    }

    /// The identity key of the phone of `phone` (digits), which is made a
    /// WhatsApp user if it was not one.
    pub fn phone_key(&self, phone: &str) -> KeyPair {
        self.add_contact(phone);
        self.book().accounts[phone].key.clone()
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

    /// Of `users`, those that are WhatsApp users, by the address asked,
    /// with their linked companions.
    pub fn known_users(&self, users: Vec<Jid>) -> Vec<Listed> {
        let book = self.book();
        users
            .into_iter()
            .filter_map(|jid| {
                let account = book.account_of(&jid)?;
                Some(Listed {
                    raw_id: account.raw_id,
                    companions: account.linked().map(|(id, _)| id).collect(),
                    jid,
                })
            })
            .collect()
    }

    /// A bundle for each device asked about that the server can serve: a
    /// phone (device 0) of a known account, or a companion that uploaded
    /// prekeys (one of its one-time prekeys is used up).
    pub fn bundles_for(&self, devices: Vec<Jid>) -> Vec<Found> {
        let mut book = self.book();
        devices
            .into_iter()
            .filter_map(|jid| {
                let phone = book.account_of(&jid)?.phone.clone();
                let account = book.accounts.get_mut(&phone)?;
                if jid.device == 0 {
                    return Some(Found::Phone(jid, account.key.clone()));
                }
                let device = account.devices.get_mut(&jid.device)?;
                let identity = device.signed_identity.clone();
                Some(Found::Uploaded(device.keys.as_mut()?.bundle(jid, identity)))
            })
            .collect()
    }

    /// The account a phone-number or LID address belongs to, as a group
    /// member: its phone, its LID and its linked companions.
    pub fn member(&self, jid: &Jid) -> Option<Member> {
        let book = self.book();
        let account = book.account_of(jid)?;
        Some(Member {
            phone: account.phone.clone(),
            lid: account.lid.clone(),
            companions: account.linked().map(|(id, _)| id).collect(),
        })
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
