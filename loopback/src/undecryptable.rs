//! A message its recipient cannot decrypt, as WhatsApp delivers one when
//! the Signal session between two devices broke: a `<message>` from the
//! sender's phone whose `<enc v="2" type="msg">` opens under no session
//! the recipient has. whatsapp-rust then asks the sender for it again (a
//! retry receipt) and passes on `Event::UndecryptableMessage` (its
//! `message/receive.rs`: "failed to decrypt and has no group content").
//! The stanza's shape is that of every routed message (`routing.rs`).

use crate::routing::{message_copies, Addresses};
use crate::state::Shared;
use wacore_binary::builder::NodeBuilder;
use wacore_binary::Jid;

/// The length of the ciphertext that opens under nothing.
const GARBLED_BYTES: usize = 48;

impl Shared {
    /// Delivers to every linked companion of `to` (digits) a message from
    /// `from`'s phone (digits; made a WhatsApp user if it was not one)
    /// that cannot be decrypted. Gives the message's id.
    pub fn undecryptable(&self, from: &str, to: &str) -> String {
        let sender = Addresses {
            pn: Jid::pn(from),
            lid: self.add_contact(from),
        };
        let id = crate::connection::new_id();
        let garbled: Vec<u8> = (0..GARBLED_BYTES).map(|_| rand::random()).collect();
        let enc = NodeBuilder::new("enc")
            .attr("v", "2")
            .attr("type", "msg")
            .bytes(garbled);
        let message = NodeBuilder::new("message")
            .attr("to", Jid::pn(to))
            .attr("id", id.as_str())
            .attr("type", "text")
            .children([enc.build()])
            .build();
        for copy in message_copies(&message, &sender) {
            self.deliver(copy);
        }
        id
    }
}
