//! The app-state key share a phone sends a companion right after linking
//! it. whatsapp-rust waits up to 10 s for it at its first login
//! (`client/node_io.rs`, `KEY_SHARE_GRACE_SECS`); sent at once, linking to
//! `Connected` takes moments (WHATSAPP.md, "a simulated phone that sends
//! that key right after pairing removes the wait").
//!
//! The server plays the account's phone (device 0, whose identity key is
//! the account key): it starts a Signal session with the companion's first
//! uploaded keys (wacore-libsignal `process_prekey_bundle`) and sends one
//! `pkmsg` holding a `ProtocolMessage` of type `APP_STATE_SYNC_KEY_SHARE`
//! with one fresh key. Shapes: wacore `send/peer.rs` (a peer message:
//! `category="peer"`, `<meta appdata>`, `<enc v="2" type="pkmsg">`),
//! `messages.rs` `encode_and_pad`/`unpadded_message_len` (a padding byte),
//! whatsapp-rust `message/special.rs` `handle_app_state_sync_key_share`
//! (key id, data, fingerprint) and `message/receive.rs` (only a share from
//! the own account is taken).

use crate::keys::Keys;
use anyhow::{anyhow, Result};
use async_trait::async_trait;
use std::collections::HashMap;
use wacore_binary::builder::NodeBuilder;
use wacore_binary::{Jid, Node};
use wacore_libsignal::protocol::{
    message_encrypt, process_prekey_bundle, CiphertextMessage, Direction, IdentityChange, IdentityKey,
    IdentityKeyPair, IdentityKeyStore, KeyPair, ProtocolAddress, SessionRecord, SessionStore,
    SignalProtocolError, UsePQRatchet,
};
use waproto::whatsapp as wa;

/// The padding WhatsApp appends to a plaintext: `n` bytes of value `n`.
const PADDING: [u8; 1] = [1];

/// The key share stanza from `phone` (device 0 of the account, `key` its
/// identity) to its companion `device`, encrypted to `keys`.
pub async fn key_share(key: &KeyPair, phone: Jid, device: u16, keys: &Keys) -> Result<Node> {
    let mut plaintext = buffa::Message::encode_to_vec(&share());
    plaintext.extend_from_slice(&PADDING);
    let address = ProtocolAddress::new(&format!("{}.{device}", phone.user), u32::from(device).into());
    let mut identity = PhoneIdentity(key.clone().into());
    let mut sessions = Sessions::default();
    let bundle = keys.signed_bundle(device)?;
    let rng = &mut rand::make_rng::<rand::rngs::StdRng>();
    process_prekey_bundle(
        &address,
        &mut sessions,
        &mut identity,
        &bundle,
        rng,
        UsePQRatchet::No,
    )
    .await?;
    let CiphertextMessage::PreKeySignalMessage(ciphertext) =
        message_encrypt(&plaintext, &address, &mut sessions, &mut identity).await?
    else {
        return Err(anyhow!("a first message is a prekey message"));
    };
    let enc = NodeBuilder::new("enc")
        .attr("v", "2")
        .attr("type", "pkmsg")
        .bytes(ciphertext.serialized().to_vec())
        .build();
    let meta = NodeBuilder::new("meta").attr("appdata", "default").build();
    Ok(NodeBuilder::new("message")
        .attr("from", phone)
        .attr("id", crate::connection::new_id())
        .attr("type", "text")
        .attr("category", "peer")
        .attr("t", crate::unix_now().to_string())
        .children([meta, enc])
        .build())
}

fn share() -> wa::Message {
    let key = wa::message::AppStateSyncKey {
        key_id: buffa::MessageField::some(wa::message::AppStateSyncKeyId {
            key_id: Some(rand::random::<[u8; 6]>().to_vec()),
        }),
        key_data: buffa::MessageField::some(wa::message::AppStateSyncKeyData {
            key_data: Some(rand::random::<[u8; 32]>().to_vec()),
            fingerprint: buffa::MessageField::some(wa::message::AppStateSyncKeyFingerprint {
                raw_id: Some(rand::random()),
                current_index: Some(0),
                device_indexes: vec![0],
            }),
            timestamp: Some(crate::unix_now() as i64 * 1000),
        }),
    };
    wa::Message {
        protocol_message: buffa::MessageField::some(wa::message::ProtocolMessage {
            r#type: Some(wa::message::protocol_message::Type::AppStateSyncKeyShare),
            app_state_sync_key_share: buffa::MessageField::some(wa::message::AppStateSyncKeyShare {
                keys: vec![key],
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The phone's identity for one share, trusting whatever it is given.
struct PhoneIdentity(IdentityKeyPair);

/// The one session a share starts.
#[derive(Default)]
struct Sessions(HashMap<String, SessionRecord>);

type SignalResult<T> = std::result::Result<T, SignalProtocolError>;

#[async_trait]
impl IdentityKeyStore for PhoneIdentity {
    async fn get_identity_key_pair(&self) -> SignalResult<IdentityKeyPair> {
        Ok(self.0.clone())
    }

    async fn get_local_registration_id(&self) -> SignalResult<u32> {
        Ok(1)
    }

    async fn save_identity(&mut self, _: &ProtocolAddress, _: &IdentityKey) -> SignalResult<IdentityChange> {
        Ok(IdentityChange::NewOrUnchanged)
    }

    async fn is_trusted_identity(
        &self,
        _: &ProtocolAddress,
        _: &IdentityKey,
        _: Direction,
    ) -> SignalResult<bool> {
        Ok(true)
    }

    async fn get_identity(&self, _: &ProtocolAddress) -> SignalResult<Option<IdentityKey>> {
        Ok(None)
    }
}

#[async_trait]
impl SessionStore for Sessions {
    async fn load_session(&self, address: &ProtocolAddress) -> SignalResult<Option<SessionRecord>> {
        Ok(self.0.get(&address.to_string()).cloned())
    }

    async fn has_session(&self, address: &ProtocolAddress) -> SignalResult<bool> {
        Ok(self.0.contains_key(&address.to_string()))
    }

    async fn store_session(&mut self, address: &ProtocolAddress, record: SessionRecord) -> SignalResult<()> {
        self.0.insert(address.to_string(), record);
        Ok(())
    }
}
