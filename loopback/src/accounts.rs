//! The WhatsApp accounts the server knows: a phone number, its LID, the
//! phone's account key (device 0) and the companion devices linked to it.

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
    pub devices: BTreeMap<u16, Device>,
    next_device: u16,
}

pub struct Device {
    /// The device's Noise static key: only it may log in as this device.
    pub noise_pub: [u8; 32],
    /// The `ADVSignedDeviceIdentity` the device countersigned in
    /// `pair-device-sign`; `None` until then (not yet linked).
    pub signed_identity: Option<Vec<u8>>,
}

impl Account {
    pub fn new(phone: &str) -> Self {
        Self {
            phone: phone.to_owned(),
            lid: new_lid(),
            key: KeyPair::generate(&mut rand::rng()),
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
            },
        );
        id
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
