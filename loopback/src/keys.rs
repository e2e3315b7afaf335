//! The prekeys a linked device uploads, kept as sent so that a client
//! encrypting for that device gets a bundle it can start a Signal session
//! with, each one-time prekey handed out once.
//!
//! Upload shape from wacore `iq/prekeys.rs` `PreKeyUploadSpec` (WA Web
//! `WAWebUploadPreKeysJob`): `<iq xmlns="encrypt" type="set">` with
//! `<registration>`, `<type>`, `<identity>`, `<list><key><id/><value/>..`
//! and `<skey><id/><value/><signature/>`. Bundle shape from
//! `PreKeyBundleUserNode::into_node` in the same file, with the
//! `<device-identity>` a companion's bundle carries (wacore `prekeys.rs`
//! `node_to_pre_key_bundle_ref` checks it against the fetched identity key).

use anyhow::{anyhow, Context, Result};
use std::collections::VecDeque;
use wacore_binary::builder::NodeBuilder;
use wacore_binary::{Jid, Node, NodeContent};
use wacore_libsignal::protocol::{IdentityKey, PreKeyBundle, PublicKey};

/// One device's uploaded key material.
#[derive(Clone)]
pub struct Keys {
    registration: Node,
    identity: Node,
    signed: Node,
    one_time: VecDeque<Node>,
}

impl Keys {
    /// The keys of an upload IQ; `None` for any other `encrypt` IQ.
    pub fn read_upload(iq: &Node) -> Option<Self> {
        let child = |tag: &str| iq.get_optional_child(tag).cloned();
        let one_time = child("list")?.get_children_by_tag("key").cloned().collect();
        Some(Self {
            registration: child("registration")?,
            identity: child("identity")?,
            signed: child("skey")?,
            one_time,
        })
    }

    /// A later upload (a top-up, or a new device key) replaces the signed
    /// prekey and identity and adds its one-time prekeys.
    pub fn merge(&mut self, newer: Keys) {
        self.registration = newer.registration;
        self.identity = newer.identity;
        self.signed = newer.signed;
        self.one_time.extend(newer.one_time);
    }

    /// One-time prekeys not handed out yet (the `<count>` IQ's answer).
    pub fn count(&self) -> usize {
        self.one_time.len()
    }

    /// A bundle for `jid`, using up one one-time prekey (none once they
    /// ran out: the signed prekey alone still starts a session).
    pub fn bundle(&mut self, jid: Jid, device_identity: Option<Vec<u8>>) -> Node {
        let mut children = vec![
            self.registration.clone(),
            NodeBuilder::new("type").bytes(vec![5u8]).build(),
            self.identity.clone(),
            self.signed.clone(),
        ];
        children.extend(self.one_time.pop_front());
        if let Some(identity) = device_identity {
            children.push(NodeBuilder::new("device-identity").bytes(identity).build());
        }
        NodeBuilder::new("user")
            .attr("jid", jid)
            .children(children)
            .build()
    }

    /// The signed part of these keys as a Signal bundle of `device`, with
    /// no one-time prekey (those are left for the device's contacts).
    pub fn signed_bundle(&self, device: u16) -> Result<PreKeyBundle> {
        let registration: [u8; 4] = bytes(&self.registration)?
            .try_into()
            .map_err(|_| anyhow!("a registration id is 4 bytes"))?;
        let child = |tag: &str| self.signed.get_optional_child(tag).context(format!("no <{tag}>"));
        let id: [u8; 3] = bytes(child("id")?)?
            .try_into()
            .map_err(|_| anyhow!("a signed prekey id is 3 bytes"))?;
        let id = u32::from_be_bytes([0, id[0], id[1], id[2]]);
        let public =
            |node: &Node| PublicKey::from_djb_public_key_bytes(bytes(node)?).map_err(anyhow::Error::from);
        Ok(PreKeyBundle::new(
            u32::from_be_bytes(registration),
            u32::from(device).into(),
            None,
            id.into(),
            public(child("value")?)?,
            bytes(child("signature")?)?.to_vec(),
            IdentityKey::new(public(&self.identity)?),
        )?)
    }
}

fn bytes(node: &Node) -> Result<&[u8]> {
    match &node.content {
        Some(NodeContent::Bytes(bytes)) if !bytes.is_empty() => Ok(bytes),
        _ => Err(anyhow!("<{}> holds no bytes", node.tag)),
    }
}
