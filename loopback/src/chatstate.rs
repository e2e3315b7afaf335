//! The chat states ("typing…") clients show their contacts, recorded so a
//! test can see what a contact would have seen and when.
//!
//! whatsapp-rust 0.7 `features/chatstate.rs` `build_chatstate_node` sends
//! `<chatstate to=JID><composing/></chatstate>` (`<composing
//! media="audio"/>` for recording, `<paused/>`) with `send_node`: no id, and
//! no answer awaited, so the server sends none.

use std::time::Instant;
use wacore_binary::Node;

/// One chat state a client sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatState {
    /// The JID it was shown to, as sent (`5511...@s.whatsapp.net`).
    pub to: String,
    /// `composing`, `recording` or `paused`.
    pub state: String,
    /// When the server read it.
    pub at: Instant,
}

/// The chat state in a `<chatstate>` stanza; `None` for anything else.
pub fn read(node: &Node, at: Instant) -> Option<ChatState> {
    if node.tag != "chatstate" {
        return None;
    }
    let to = node.attrs.get("to")?.to_string();
    let child = node.children()?.first()?;
    let audio = child.attrs.get("media").is_some_and(|m| m.as_str() == "audio");
    let state = match child.tag.as_ref() {
        "composing" if audio => "recording",
        other => other,
    };
    Some(ChatState {
        to,
        state: state.to_owned(),
        at,
    })
}
