//! Carrying `<message>` and `<receipt>` stanzas between linked devices, as
//! WhatsApp's servers do: a message's `<participants>` are split into one
//! stanza per recipient device, each addressed from the sender; a receipt
//! goes to the device (or, device-less, every companion) it names. A
//! device that is not connected gets its stanzas when it next logs in.
//!
//! Shapes: the sender's side is wacore `send/dm.rs` `prepare_dm_stanza`
//! (`<message to id type><participants><to jid><enc/>..</participants>
//! <device-identity/>?`) and whatsapp-rust `receipt.rs`
//! (`delivery_receipt_builder`, `build_read_receipt_node`: `<receipt to id
//! type? t?>`); the recipient's side is wacore `messages.rs`
//! `parse_message_info` (a one-to-one `from`, with `sender_lid` or
//! `sender_pn` naming the other address of the sender) and whatsapp-rust
//! `receipt.rs` `handle_receipt_inline` (`from`, `id`, `type`, `<list>`).

use crate::state::Shared;
use crate::unix_now;
use wacore_binary::{Jid, JidExt, Node};

/// A linked device: its account's phone digits and its device number.
pub type Device = (String, u16);

/// Both addresses of a sending device.
pub struct Addresses {
    pub pn: Jid,
    pub lid: Jid,
}

/// A stanza for one device, or for every companion of the account when the
/// address names no device.
pub struct Copy {
    pub to: Jid,
    pub node: Node,
}

/// The copies of a `<message>`: the `<enc>` of each `<participants><to>`,
/// or the whole content when the message is addressed to one device.
pub fn message_copies(message: &Node, from: &Addresses) -> Vec<Copy> {
    let identity = message.get_optional_child("device-identity").cloned();
    let Some(participants) = message.get_optional_child("participants") else {
        let Some(to) = target(message) else {
            return Vec::new();
        };
        let children = message.children().map(<[Node]>::to_vec).unwrap_or_default();
        return vec![delivered(message, from, to, children, true)];
    };
    participants
        .get_children_by_tag("to")
        .filter_map(|to| {
            let jid = to.attrs.get("jid")?.to_jid()?;
            let mut children = to.children().map(<[Node]>::to_vec).unwrap_or_default();
            children.extend(identity.clone());
            Some(delivered(message, from, jid, children, true))
        })
        .collect()
}

/// The copy of a `<receipt>` for the device (or devices) it names.
pub fn receipt_copy(receipt: &Node, from: &Addresses) -> Option<Copy> {
    let to = target(receipt)?;
    let children = receipt.children().map(<[Node]>::to_vec).unwrap_or_default();
    Some(delivered(receipt, from, to, children, false))
}

fn target(stanza: &Node) -> Option<Jid> {
    stanza.attrs.get("to")?.to_jid()
}

/// `stanza` as its recipient at `to` sees it: from the sender's address in
/// the same family as `to` (LID to a LID, phone number to a phone number),
/// and, for a message, the other one (`sender_lid`/`sender_pn`) and the
/// server's time `t`.
fn delivered(stanza: &Node, from: &Addresses, to: Jid, children: Vec<Node>, message: bool) -> Copy {
    let mut node = Node {
        tag: stanza.tag.clone(),
        attrs: stanza.attrs.clone(),
        content: None,
    };
    node.attrs.0.retain(|(key, _)| key != "to");
    let (sender, other, other_name) = if to.is_lid() {
        (&from.lid, &from.pn, "sender_pn")
    } else {
        (&from.pn, &from.lid, "sender_lid")
    };
    node.attrs.insert("from", sender.clone());
    if message {
        node.attrs.insert(other_name, other.to_non_ad());
        node.attrs.insert("t", unix_now().to_string());
    }
    if !children.is_empty() {
        node.content = Some(wacore_binary::NodeContent::Nodes(children));
    }
    Copy { to, node }
}

impl Shared {
    /// Delivers the copies of a message `from` sent; only copies for a
    /// named device go anywhere (device 0, a phone, has no connection).
    /// A message to a group goes to its members (`group_routing.rs`).
    pub fn route_message(&self, from: &Device, message: &Node) {
        if let Some(group) = target(message).filter(JidExt::is_group) {
            self.route_group_message(from, &group, message);
            return;
        }
        let Some(addresses) = self.addresses(from) else {
            return;
        };
        for copy in message_copies(message, &addresses) {
            if copy.to.device != 0 {
                self.deliver(copy);
            }
        }
    }

    /// Delivers a receipt `from` sent; one for a group message goes to
    /// its writer (`group_routing.rs`).
    pub fn route_receipt(&self, from: &Device, receipt: &Node) {
        if let Some(group) = target(receipt).filter(JidExt::is_group) {
            self.route_group_receipt(from, &group, receipt);
            return;
        }
        if let Some(copy) = self.addresses(from).and_then(|a| receipt_copy(receipt, &a)) {
            self.deliver(copy);
        }
    }
}
