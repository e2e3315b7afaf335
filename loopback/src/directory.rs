//! Who is on WhatsApp here, as lookups ask it: each account's two
//! addresses (phone number and LID), the phone's key, the numbers a usync
//! query asks about, the users and devices a sender encrypts for, the
//! prekey bundles it fetches, group members, and the numbers refused with
//! 463.

use crate::accounts::Account;
use crate::contacts::{self, Asked};
use crate::groups::Member;
use crate::prekeys::{Found, Listed};
use crate::routing::{Addresses, Device};
use crate::state::Shared;
use wacore_binary::Jid;
use wacore_libsignal::protocol::KeyPair;

impl Shared {
    /// Both addresses of a device of a known account.
    pub fn addresses(&self, device: &Device) -> Option<Addresses> {
        let book = self.book();
        let account = book.accounts.get(&device.0)?;
        Some(Addresses {
            pn: account.device_jid(device.1),
            lid: account.device_lid(device.1),
        })
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
