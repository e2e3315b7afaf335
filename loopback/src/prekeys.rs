//! What a client needs to encrypt a message to an account: its device
//! list (a usync devices query) and a prekey bundle for each device (an
//! `encrypt` IQ). An account lists its phone (device 0) and the companions
//! linked to it; a phone's bundle is made fresh for each fetch under the
//! account's stable identity key, a companion's comes from the keys it
//! uploaded (`keys.rs`).

use crate::iq;
use crate::unix_now;
use anyhow::{anyhow, Result};
use wacore_binary::builder::NodeBuilder;
use wacore_binary::{Jid, Node};
use wacore_libsignal::protocol::KeyPair;
use waproto::whatsapp as wa;

/// The users of a usync devices query, or `None` for any other usync.
///
/// wacore `iq/usync.rs` `device_list_query`: `<usync context="message">
/// <query><devices version="2"/></query><list><user jid=../>..`.
pub fn devices_asked(iq: &Node) -> Option<Vec<Jid>> {
    let usync = iq.get_optional_child("usync")?;
    usync.get_optional_child_by_tag(&["query", "devices"])?;
    Some(users(usync.get_optional_child("list")?))
}

/// A user of a devices query and what the server knows of it.
pub struct Listed {
    pub jid: Jid,
    /// The account's ADV id, for the key-index list.
    pub raw_id: u32,
    /// Its linked companions' device numbers (= their key indexes).
    pub companions: Vec<u16>,
}

/// The device lists of `known` users: the phone (device 0) and each linked
/// companion with its `key-index`. A list with companions carries a
/// `<key-index-list ts>` whose bytes are an `ADVSignedKeyIndexList` over the
/// valid indexes, or the client drops the user (WHATSAPP.md, usync (3);
/// wacore `iq/usync.rs` `project_device_list_response`, `adv.rs`
/// `decode_key_index_list`). Shapes from wacore `iq/usync/query.rs`
/// `parse_devices`, `parse_device_list` and `parse_key_index`.
pub fn device_lists(id: &str, sid: Option<String>, known: Vec<Listed>) -> Node {
    let users = known.into_iter().map(|listed| {
        let mut devices = vec![NodeBuilder::new("device").attr("id", "0").build()];
        devices.extend(listed.companions.iter().map(|d| {
            NodeBuilder::new("device")
                .attr("id", d.to_string())
                .attr("key-index", d.to_string())
                .build()
        }));
        let mut children = vec![NodeBuilder::new("device-list").children(devices).build()];
        if !listed.companions.is_empty() {
            children.push(key_index_list(listed.raw_id, &listed.companions));
        }
        NodeBuilder::new("user")
            .attr("jid", listed.jid)
            .children([NodeBuilder::new("devices").children(children).build()])
            .build()
    });
    iq::usync_result(id, sid, users)
}

/// `<key-index-list ts>`: wacore reads the details without checking the
/// signature ("deferred", `adv.rs`), so the server sends none.
fn key_index_list(raw_id: u32, companions: &[u16]) -> Node {
    let now = unix_now();
    let valid_indexes: Vec<u32> = companions.iter().copied().map(u32::from).collect();
    let details = buffa::Message::encode_to_vec(&wa::ADVKeyIndexList {
        raw_id: Some(raw_id),
        timestamp: Some(now),
        current_index: valid_indexes.iter().copied().max(),
        valid_indexes,
        ..Default::default()
    });
    let signed = buffa::Message::encode_to_vec(&wa::ADVSignedKeyIndexList {
        details: Some(details),
        ..Default::default()
    });
    NodeBuilder::new("key-index-list")
        .attr("ts", now.to_string())
        .bytes(signed)
        .build()
}

/// The devices whose bundles an `encrypt` IQ fetches: wacore
/// `prekeys.rs` `build_fetch_prekeys_request` (`<key><user jid/>..`).
pub fn bundles_asked(iq: &Node) -> Option<Vec<Jid>> {
    Some(users(iq.get_optional_child("key")?))
}

/// A bundle the server can serve.
pub enum Found {
    /// A phone's, made fresh under the account's identity key.
    Phone(Jid, KeyPair),
    /// A companion's, from its upload (`Keys::bundle`).
    Uploaded(Node),
}

/// The bundles found, in the shape of `<list><user>..`.
/// A phone's: shape from wacore `prekeys.rs` `parse_prekeys_response` and
/// `node_to_pre_key_bundle_ref`: `<list><user jid>` with a 4-byte
/// `<registration>`, a 32-byte `<identity>`, `<skey>` (3-byte `<id>`,
/// 32-byte `<value>`, 64-byte `<signature>`) and a one-time `<key>`. The
/// signed prekey is signed by the identity key over its 33-byte form
/// (wacore-libsignal `session.rs` `process_prekey_bundle`; WHATSAPP.md,
/// prekeys (4)).
pub fn bundles(id: &str, found: Vec<Found>) -> Result<Node> {
    let users = found
        .into_iter()
        .map(|found| match found {
            Found::Phone(jid, identity) => bundle(jid, &identity),
            Found::Uploaded(node) => Ok(node),
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(iq::result(id, [NodeBuilder::new("list").children(users).build()]))
}

fn bundle(jid: Jid, identity: &KeyPair) -> Result<Node> {
    let rng = &mut rand::rng();
    let signed = KeyPair::generate(rng);
    let signature = identity
        .private_key
        .calculate_signature(&signed.public_key.serialize(), rng)
        .map_err(|e| anyhow!("signing a prekey: {e}"))?;
    let one_time = KeyPair::generate(rng);
    let registration: u32 = rand::random_range(1..16_380);
    let id_and_value = |key_id: u32, pair: &KeyPair| {
        vec![
            NodeBuilder::new("id")
                .bytes(key_id.to_be_bytes()[1..].to_vec())
                .build(),
            NodeBuilder::new("value")
                .bytes(pair.public_key.public_key_bytes().to_vec())
                .build(),
        ]
    };
    let mut skey = id_and_value(1, &signed);
    skey.push(NodeBuilder::new("signature").bytes(signature.to_vec()).build());
    let one_time_id = rand::random_range(1..0xFF_FFFF);
    Ok(NodeBuilder::new("user")
        .attr("jid", jid)
        .children([
            NodeBuilder::new("registration")
                .bytes(registration.to_be_bytes().to_vec())
                .build(),
            NodeBuilder::new("type").bytes(vec![5u8]).build(),
            NodeBuilder::new("identity")
                .bytes(identity.public_key.public_key_bytes().to_vec())
                .build(),
            NodeBuilder::new("skey").children(skey).build(),
            NodeBuilder::new("key")
                .children(id_and_value(one_time_id, &one_time))
                .build(),
        ])
        .build())
}

fn users(list: &Node) -> Vec<Jid> {
    list.get_children_by_tag("user")
        .filter_map(|user| user.attrs.get("jid")?.to_jid())
        .collect()
}
