//! The server's answer to a message a client sends: an `<ack>` naming the
//! message, which whatsapp-rust turns into `Event::ServerAck`; a nack
//! carries an error code, such as 463 for a number that may not message
//! new contacts now (WhatsApp's "reach-out timelock"). Shape from
//! whatsapp-rust 0.7 `client/tests.rs` `test_ack_dispatches_server_ack_event`
//! (`<ack id class="message" from t>`, a nack with `error`), read by
//! `client/node_io.rs` (`take_ack_waiter`, then the event).

use crate::unix_now;
use wacore_binary::builder::NodeBuilder;
use wacore_binary::{Jid, Node};

/// The recipient and id of a `<message>` stanza; `None` for anything else.
pub fn read(node: &Node) -> Option<(Jid, String)> {
    if node.tag != "message" {
        return None;
    }
    let to = node.attrs.get("to")?.to_jid()?;
    let id = node.attrs.get("id")?.to_string();
    Some((to, id))
}

/// The ack for message `id` to `to`; with `error` when refused.
pub fn ack(to: Jid, id: &str, error: Option<&str>) -> Node {
    let mut ack = NodeBuilder::new("ack")
        .attr("class", "message")
        .attr("id", id)
        .attr("from", to)
        .attr("t", unix_now().to_string());
    if let Some(code) = error {
        ack = ack.attr("error", code);
    }
    ack.build()
}
