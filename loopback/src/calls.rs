//! Calls, as WhatsApp's server signals them to a callee's linked devices:
//! `<call from id t><offer call-id call-creator caller_pn><audio enc
//! rate/>[<video/>]</offer></call>` when a call rings, then `<call><terminate
//! call-id call-creator reason?/></call>` when it ends (shapes from wacore
//! 0.7 `stanza/call.rs` `parse_call_stanza` and `parse_action`, and its
//! tests' `base_call_builder`: the caller addressed by LID, its phone number
//! in `caller_pn`; `<audio>` needs `enc` and `rate`, `parse_audio_codec`).
//! The server plays the caller's phone: nobody picks up on the callee's
//! companions, so how the call ends is the test's to say.

use crate::routing::Copy;
use crate::state::Shared;
use crate::unix_now;
use wacore_binary::builder::NodeBuilder;
use wacore_binary::{Jid, Node};

/// A call from one number to another.
pub struct Call<'a> {
    pub caller: &'a str,
    pub callee: &'a str,
    pub video: bool,
    /// The `<terminate reason>`: none or `timeout` when nobody answered,
    /// `accepted_elsewhere` / `rejected_elsewhere` when the callee's phone
    /// did (wacore `stanza/call.rs` `TERMINATE_REASON_*`).
    pub reason: Option<&'a str>,
}

impl Shared {
    /// Rings every linked companion of `call.callee` from `call.caller`
    /// (digits; made a WhatsApp user if it was not one), then ends the
    /// call. Gives the call's id.
    pub fn ring(&self, call: &Call<'_>) -> String {
        let caller = self.add_contact(call.caller);
        let call_id = crate::connection::new_id();
        for action in [offer(&call_id, &caller, call), terminate(&call_id, &caller, call)] {
            let node = call_stanza(&caller, action);
            let to = Jid::pn(call.callee);
            self.deliver(Copy { to, node });
        }
        call_id
    }
}

fn offer(call_id: &str, caller: &Jid, call: &Call<'_>) -> Node {
    let audio = NodeBuilder::new("audio")
        .attr("enc", "opus")
        .attr("rate", "16000")
        .build();
    let media = match call.video {
        true => vec![audio, NodeBuilder::new("video").build()],
        false => vec![audio],
    };
    NodeBuilder::new("offer")
        .attr("call-id", call_id)
        .attr("call-creator", caller.clone())
        .attr("caller_pn", Jid::pn(call.caller))
        .children(media)
        .build()
}

fn terminate(call_id: &str, caller: &Jid, call: &Call<'_>) -> Node {
    let mut terminate = NodeBuilder::new("terminate")
        .attr("call-id", call_id)
        .attr("call-creator", caller.clone());
    if let Some(reason) = call.reason {
        terminate = terminate.attr("reason", reason);
    }
    terminate.build()
}

fn call_stanza(caller: &Jid, action: Node) -> Node {
    NodeBuilder::new("call")
        .attr("from", caller.clone())
        .attr("id", crate::connection::new_id())
        .attr("t", unix_now().to_string())
        .children([action])
        .build()
}
