//! Linking devices to accounts, as WhatsApp's server does: pairing refs
//! handed out and waiting for a scan, a companion linked by a scan or a
//! phone code (`pair-success`, then its `pair-device-sign`), logins of
//! linked devices, their prekey uploads, and a phone removing its
//! companions.

use crate::accounts::Account;
use crate::keys::Keys;
use crate::pairing::{self, Companion};
use crate::routing::Device;
use crate::state::{Push, ShareFor, Shared, Unknown};
use anyhow::{anyhow, Context, Result};
use wacore_binary::Jid;

impl Shared {
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
}
