//! The phone's side of linking a companion: reading the QR string a
//! companion shows, and minting the signed device identity WhatsApp hands
//! it in `pair-success` (a QR scan and a typed phone code, `pair_code.rs`,
//! both end there). Each rule is the check whatsapp-rust 0.7 makes on it
//! (wacore `pair.rs`, `PairUtils::do_pair_crypto`), run here in reverse.

use anyhow::{anyhow, bail, Context, Result};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{KeyInit, Mac};
use sha2::Sha256;
use wacore_binary::builder::NodeBuilder;
use wacore_binary::{Jid, Node};
use wacore_libsignal::protocol::KeyPair;
use waproto::whatsapp as wa;

/// `[6, 0]`: the prefix of the account signature over a companion
/// (`ADV_PREFIX_ACCOUNT_SIGNATURE` in wacore `pair.rs`).
const ACCOUNT_SIGNATURE_PREFIX: [u8; 2] = [6, 0];

/// What the phone knows of a companion it links: its Noise static key
/// (only it may log in as the new device), its identity key (which the
/// phone signs) and the ADV secret they share (which keys the HMAC).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Companion {
    pub noise_pub: [u8; 32],
    pub identity_pub: [u8; 32],
    pub adv_secret: [u8; 32],
}

/// What a phone reads off a companion's QR code:
/// `ref,noise-pub,identity-pub,adv-secret,type` (wacore `make_qr_data`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scanned {
    pub pairing_ref: String,
    pub companion: Companion,
}

pub fn read_qr(qr: &str) -> Result<Scanned> {
    let fields: Vec<&str> = qr.split(',').collect();
    let [pairing_ref, noise, identity, adv, ..] = fields.as_slice() else {
        bail!(
            "a QR code has at least four comma-separated fields, this one {}",
            fields.len()
        );
    };
    if pairing_ref.is_empty() {
        bail!("the QR code has no pairing ref");
    }
    Ok(Scanned {
        pairing_ref: (*pairing_ref).to_owned(),
        companion: Companion {
            noise_pub: key(noise, "noise key")?,
            identity_pub: key(identity, "identity key")?,
            adv_secret: key(adv, "ADV secret")?,
        },
    })
}

fn key(field: &str, name: &str) -> Result<[u8; 32]> {
    let bytes = STANDARD
        .decode(field)
        .with_context(|| format!("{name} is not base64"))?;
    bytes.try_into().map_err(|_| anyhow!("{name} is not 32 bytes"))
}

/// The `device-identity` of `pair-success`: an HMAC (keyed with the ADV
/// secret from the QR, or derived from the code's key exchange) over an `ADVSignedDeviceIdentity`, whose account
/// signature is the phone's XEdDSA signature over
/// `[6,0] || details || companion identity key`. `raw_id` is the
/// account's ADV id, the same in every identity it signs.
pub fn device_identity(
    account: &KeyPair,
    raw_id: u32,
    companion: &Companion,
    key_index: u32,
    now: u64,
) -> Result<Vec<u8>> {
    let details = buffa::Message::encode_to_vec(&wa::ADVDeviceIdentity {
        raw_id: Some(raw_id),
        timestamp: Some(now),
        key_index: Some(key_index),
        ..Default::default()
    });
    let mut signed_over = ACCOUNT_SIGNATURE_PREFIX.to_vec();
    signed_over.extend_from_slice(&details);
    signed_over.extend_from_slice(&companion.identity_pub);
    let signature = account
        .private_key
        .calculate_signature(&signed_over, &mut rand::rng())
        .map_err(|e| anyhow!("signing the device identity: {e}"))?;
    let signed = buffa::Message::encode_to_vec(&wa::ADVSignedDeviceIdentity {
        details: Some(details),
        account_signature_key: Some(account.public_key.public_key_bytes().to_vec()),
        account_signature: Some(signature.to_vec()),
        ..Default::default()
    });
    let mut mac = <hmac::Hmac<Sha256> as KeyInit>::new_from_slice(&companion.adv_secret)
        .map_err(|e| anyhow!("HMAC key: {e}"))?;
    mac.update(&signed);
    let hmac = mac.finalize().into_bytes().to_vec();
    Ok(buffa::Message::encode_to_vec(&wa::ADVSignedDeviceIdentityHMAC {
        details: Some(signed),
        hmac: Some(hmac),
        ..Default::default()
    }))
}

/// `<iq xmlns="md" type="set"><pair-success>` with the device identity and
/// the companion's new phone-number and LID addresses.
pub fn pair_success(id: &str, identity: Vec<u8>, device_jid: Jid, device_lid: Jid) -> Node {
    NodeBuilder::new("iq")
        .attr("from", crate::connection::SERVER)
        .attr("type", "set")
        .attr("id", id)
        .attr("xmlns", "md")
        .children([NodeBuilder::new("pair-success")
            .children([
                NodeBuilder::new("device-identity").bytes(identity).build(),
                NodeBuilder::new("device")
                    .attr("jid", device_jid)
                    .attr("lid", device_lid)
                    .build(),
                NodeBuilder::new("platform").attr("name", "android").build(),
            ])
            .build()])
        .build()
}
