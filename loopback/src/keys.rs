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

use std::collections::VecDeque;
use wacore_binary::builder::NodeBuilder;
use wacore_binary::{Jid, Node};

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
}
