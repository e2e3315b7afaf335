//! The WhatsApp accounts the server knows: a phone number, its LID, the
//! phone's account key (device 0) and the companion devices linked to it,
//! with the prekeys each uploaded.

use crate::keys::Keys;
use std::collections::BTreeMap;
use wacore_binary::Jid;
use wacore_libsignal::protocol::KeyPair;

pub struct Account {
    /// The phone number's digits, as in `5511900000001@s.whatsapp.net`.
    pub phone: String,
    /// The account's LID digits (`...@lid`), never derived from the phone.
    pub lid: String,
    /// The phone's identity key: it signs every linked device.
    pub key: KeyPair,
    /// The account's ADV id: in every device identity it signs and in its
    /// key-index list (wacore `adv.rs` compares them to spot a new account).
    pub raw_id: u32,
    pub devices: BTreeMap<u16, Device>,
    next_device: u16,
}

pub struct Device {
    /// The device's Noise static key: only it may log in as this device.
    pub noise_pub: [u8; 32],
    /// The `ADVSignedDeviceIdentity` the device countersigned in
    /// `pair-device-sign`; `None` until then (not yet linked).
    pub signed_identity: Option<Vec<u8>>,
    /// The prekeys it uploaded, served to whoever encrypts for it.
    pub keys: Option<Keys>,
}

impl Account {
    pub fn new(phone: &str) -> Self {
        Self {
            phone: phone.to_owned(),
            lid: new_lid(),
            key: KeyPair::generate(&mut rand::rng()),
            raw_id: rand::random(),
            devices: BTreeMap::new(),
            next_device: 1,
        }
    }

    /// Reserves the next device number for a companion being linked.
    pub fn add_device(&mut self, noise_pub: [u8; 32]) -> u16 {
        let id = self.next_device;
        self.next_device += 1;
        self.devices.insert(
            id,
            Device {
                noise_pub,
                signed_identity: None,
                keys: None,
            },
        );
        id
    }

    /// The companions that finished linking, by device number.
    pub fn linked(&self) -> impl Iterator<Item = (u16, &Device)> {
        self.devices
            .iter()
            .filter(|(_, d)| d.signed_identity.is_some())
            .map(|(id, d)| (*id, d))
    }

    pub fn device_jid(&self, device: u16) -> Jid {
        Jid::pn_device(self.phone.clone(), device)
    }

    pub fn device_lid(&self, device: u16) -> Jid {
        Jid::lid_device(self.lid.clone(), device)
    }
}

/// Fifteen digits starting with 1..9, as LIDs look; random, so no one can
/// read a phone number out of it.
fn new_lid() -> String {
    let n: u64 = rand::random_range(100_000_000_000_000..1_000_000_000_000_000);
    n.to_string()
}
