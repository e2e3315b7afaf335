//! What a client needs to encrypt a message to an account: its device
//! list (a usync devices query) and a prekey bundle for each device (an
//! `encrypt` IQ). The server's accounts are phones without companions, so
//! each lists device 0 only, and a bundle is made fresh for each fetch
//! under the account's stable identity key.

use crate::iq;
use anyhow::{anyhow, Result};
use wacore_binary::builder::NodeBuilder;
use wacore_binary::{Jid, Node};
use wacore_libsignal::protocol::KeyPair;

/// The users of a usync devices query, or `None` for any other usync.
///
/// wacore `iq/usync.rs` `device_list_query`: `<usync context="message">
/// <query><devices version="2"/></query><list><user jid=../>..`.
pub fn devices_asked(iq: &Node) -> Option<Vec<Jid>> {
    let usync = iq.get_optional_child("usync")?;
    usync.get_optional_child_by_tag(&["query", "devices"])?;
    Some(users(usync.get_optional_child("list")?))
}

/// The device lists of `known` users: device 0 alone, which needs no
/// `<key-index-list>` (WHATSAPP.md, usync (3); wacore `iq/usync.rs`
/// `project_device_list_response` skips only users with companions and
/// no key index). Shapes from wacore `iq/usync/query.rs`
/// `parse_devices` and `parse_device_list` (`<device id>`).
pub fn device_lists(id: &str, sid: Option<String>, known: Vec<Jid>) -> Node {
    let users = known.into_iter().map(|jid| {
        let devices = NodeBuilder::new("devices")
            .children([NodeBuilder::new("device-list")
                .children([NodeBuilder::new("device").attr("id", "0").build()])
                .build()])
            .build();
        NodeBuilder::new("user")
            .attr("jid", jid)
            .children([devices])
            .build()
    });
    iq::usync_result(id, sid, users)
}

/// The devices whose bundles an `encrypt` IQ fetches: wacore
/// `prekeys.rs` `build_fetch_prekeys_request` (`<key><user jid/>..`).
pub fn bundles_asked(iq: &Node) -> Option<Vec<Jid>> {
    Some(users(iq.get_optional_child("key")?))
}

/// Bundles for device 0 of each account found, by its identity key.
/// Shape from wacore `prekeys.rs` `parse_prekeys_response` and
/// `node_to_pre_key_bundle_ref`: `<list><user jid>` with a 4-byte
/// `<registration>`, a 32-byte `<identity>`, `<skey>` (3-byte `<id>`,
/// 32-byte `<value>`, 64-byte `<signature>`) and a one-time `<key>`. The
/// signed prekey is signed by the identity key over its 33-byte form
/// (wacore-libsignal `session.rs` `process_prekey_bundle`; WHATSAPP.md,
/// prekeys (4)).
pub fn bundles(id: &str, found: Vec<(Jid, KeyPair)>) -> Result<Node> {
    let users = found
        .into_iter()
        .map(|(jid, identity)| bundle(jid, &identity))
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
