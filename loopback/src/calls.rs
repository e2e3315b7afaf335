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
use anyhow::{Context, Result};
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
    pub fn ring(&self, call: &Call<'_>) -> Result<String> {
        self.add_contact(call.caller);
        let lid = self
            .asked(vec![call.caller.to_owned()])
            .pop()
            .and_then(|asked| asked.lid)
            .context("the caller has no LID")?;
        let caller = Jid::lid(lid);
        let call_id = crate::connection::new_id();
        let callee = Jid::pn(call.callee);
        let mut offer = NodeBuilder::new("offer")
            .attr("call-id", call_id.as_str())
            .attr("call-creator", caller.clone())
            .attr("caller_pn", Jid::pn(call.caller));
        let audio = NodeBuilder::new("audio")
            .attr("enc", "opus")
            .attr("rate", "16000")
            .build();
        offer = match call.video {
            true => offer.children([audio, NodeBuilder::new("video").build()]),
            false => offer.children([audio]),
        };
        let mut terminate = NodeBuilder::new("terminate")
            .attr("call-id", call_id.as_str())
            .attr("call-creator", caller.clone());
        if let Some(reason) = call.reason {
            terminate = terminate.attr("reason", reason);
        }
        for action in [offer.build(), terminate.build()] {
            let node = call_stanza(&caller, action);
            self.deliver(Copy {
                to: callee.clone(),
                node,
            });
        }
        Ok(call_id)
    }
}

fn call_stanza(caller: &Jid, action: Node) -> Node {
    NodeBuilder::new("call")
        .attr("from", caller.clone())
        .attr("id", crate::connection::new_id())
        .attr("t", unix_now().to_string())
        .children([action])
        .build()
}
