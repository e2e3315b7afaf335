//! Carrying a message written to a group to every member's devices, and
//! its receipts back, as WhatsApp's servers do.
//!
//! The sender sends one stanza to the group (wacore `send/group.rs`
//! `prepare_group_stanza`): `<message to=GROUP id type addressing_mode
//! phash?>` holding, when it hands out its sender key, `<participants>`
//! with one `<to jid=DEVICE><enc type="pkmsg"|"msg"/></to>` per device (a
//! `SenderKeyDistributionMessage` encrypted for that device) and a
//! `<device-identity>`, then the one `<enc type="skmsg">` every member
//! decrypts with that sender key. Every linked device of every member but
//! the sending one gets its own stanza: from the group, `participant` =
//! the sender's device in the group's (LID) addressing with
//! `participant_pn` beside it (wacore `messages.rs` `parse_message_info`,
//! group branch), its own key copy if the sender made one (whatsapp-rust
//! `message.rs` `message_enc_nodes_for_device` reads the `<enc>` children;
//! a `pkmsg` from a companion needs the `<device-identity>` too), and the
//! shared `skmsg`. A device that already has the sender key gets the
//! `skmsg` alone, as a later message without `<participants>` gives.
//!
//! Receipts (whatsapp-rust `receipt.rs` `delivery_receipt_builder`:
//! `<receipt to=GROUP participant=SENDER id type?>`) go to the sender's
//! device from the group, `participant` naming the member whose device
//! received it (`handle_receipt_inline`: a group `from`, `participant`,
//! `participant_pn`).

use crate::routing::{Addresses, Copy, Device};
use crate::state::Shared;
use crate::unix_now;
use std::collections::HashMap;
use wacore_binary::{Jid, Node, NodeContent};

impl Shared {
    /// Delivers a message `from` wrote to `group` to every other linked
    /// device of its members; nothing when `from` is not a member.
    pub fn route_group_message(&self, from: &Device, group: &Jid, message: &Node) {
        let Some(members) = self.groups.members(&group.user) else {
            return;
        };
        let Some(sender) = self.addresses(from).filter(|_| members.contains(&from.0)) else {
            return;
        };
        let mut keys = self.key_copies(message);
        let identity = message.get_optional_child("device-identity").cloned();
        let shared: Vec<Node> = message
            .children()
            .unwrap_or_default()
            .iter()
            .filter(|child| child.tag != "participants" && child.tag != "device-identity")
            .cloned()
            .collect();
        for member in members
            .into_iter()
            .filter_map(|phone| self.member(&Jid::pn(phone)))
        {
            for device in member.companions {
                let to = (member.phone.clone(), device);
                if &to == from {
                    continue;
                }
                let mut children = keys.remove(&to).unwrap_or_default();
                if !children.is_empty() {
                    children.extend(identity.clone());
                }
                children.extend(shared.iter().cloned());
                let node = from_group(message, group, &sender, children);
                self.deliver(Copy {
                    to: Jid::pn_device(member.phone.clone(), device),
                    node,
                });
            }
        }
    }

    /// The `<enc>` children of each `<participants><to jid>`, by the
    /// device it names (by phone number or LID).
    fn key_copies(&self, message: &Node) -> HashMap<Device, Vec<Node>> {
        let Some(participants) = message.get_optional_child("participants") else {
            return HashMap::new();
        };
        participants
            .get_children_by_tag("to")
            .filter_map(|to| {
                let jid = to.attrs.get("jid")?.to_jid()?;
                let member = self.member(&jid)?;
                let encs = to.children().map(<[Node]>::to_vec).unwrap_or_default();
                Some(((member.phone, jid.device), encs))
            })
            .collect()
    }

    /// Delivers a receipt `from` sent for a message in `group` to the
    /// device that wrote it (its `participant`).
    pub fn route_group_receipt(&self, from: &Device, group: &Jid, receipt: &Node) {
        let Some(writer) = receipt.attrs.get("participant").and_then(|p| p.to_jid()) else {
            return;
        };
        let Some(reader) = self.addresses(from) else {
            return;
        };
        let mut node = receipt.clone();
        node.attrs
            .0
            .retain(|(key, _)| key != "to" && key != "participant");
        node.attrs.insert("from", group.clone());
        if writer.is_lid() {
            node.attrs.insert("participant", reader.lid);
            node.attrs.insert("participant_pn", reader.pn.to_non_ad());
        } else {
            node.attrs.insert("participant", reader.pn);
        }
        self.deliver(Copy { to: writer, node });
    }
}

/// `message` as a member's device gets it, with `children`: from the
/// group, by the sender's LID device with its phone number beside it, at
/// the server's time `t`.
fn from_group(message: &Node, group: &Jid, sender: &Addresses, children: Vec<Node>) -> Node {
    let mut node = Node {
        tag: message.tag.clone(),
        attrs: message.attrs.clone(),
        content: None,
    };
    node.attrs.0.retain(|(key, _)| key != "to" && key != "phash");
    node.attrs.insert("from", group.clone());
    node.attrs.insert("participant", sender.lid.clone());
    node.attrs.insert("participant_pn", sender.pn.to_non_ad());
    node.attrs.insert("addressing_mode", "lid");
    node.attrs.insert("t", unix_now().to_string());
    if !children.is_empty() {
        node.content = Some(NodeContent::Nodes(children));
    }
    node
}
