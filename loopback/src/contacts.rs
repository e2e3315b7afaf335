//! Simulated contacts: which phone numbers are WhatsApp users, as a usync
//! contact query (`client.contacts().is_on_whatsapp(..)`) asks. Only the
//! phone-number form of the query is answered; the shapes are the ones
//! wacore 0.7 builds and parses (`src/iq/usync.rs`, `src/iq/usync/query.rs`).

use crate::iq;
use wacore_binary::builder::NodeBuilder;
use wacore_binary::{Jid, Node};

/// A number asked about in a usync contact query, and what the server
/// knows of it: its LID when it is a WhatsApp user.
pub struct Asked {
    /// The number as the client wrote it (`+` and digits).
    pub written: String,
    pub digits: String,
    pub lid: Option<String>,
}

/// The numbers of a usync contact query, or `None` for any other IQ.
///
/// wacore `iq/usync.rs` `is_on_whatsapp_query` (test
/// `test_is_on_whatsapp_spec_build_iq`): `<iq xmlns="usync"><usync
/// mode="query" context="interactive"><query><contact/><lid/><business>..`
/// then `<list><user><contact>+DIGITS</contact></user>..`.
pub fn asked_numbers(iq: &Node) -> Option<Vec<String>> {
    let usync = iq.get_optional_child("usync")?;
    usync.get_optional_child_by_tag(&["query", "contact"])?;
    let list = usync.get_optional_child("list")?;
    let numbers = list
        .get_children_by_tag("user")
        .filter_map(|user| user.get_optional_child("contact")?.content_as_string())
        .map(|written| written.to_string())
        .collect();
    Some(numbers)
}

/// The answer WhatsApp gives: each user by its phone-number JID, with
/// `<contact type="in">` and its `<lid val>` when registered, `type="out"`
/// otherwise. Shapes from wacore `iq/usync/query.rs` `parse_usync_response`
/// (`<usync><list><user jid>`), `parse_contact` (required `type`) and
/// `parse_protocol_result` (`<lid val>`); `iq/usync.rs`
/// `IsOnWhatsAppSpec::parse_response` counts `type == "in"` as registered
/// (tests `test_is_on_whatsapp_spec_parse_response` and `_not_registered`).
pub fn answer(id: &str, sid: Option<String>, asked: Vec<Asked>) -> Node {
    let users = asked.into_iter().map(|a| {
        let registered = a.lid.is_some();
        let contact = NodeBuilder::new("contact")
            .attr("type", if registered { "in" } else { "out" })
            .string_content(a.written)
            .build();
        let mut children = vec![contact];
        if let Some(lid) = a.lid {
            children.push(NodeBuilder::new("lid").attr("val", Jid::lid(lid)).build());
        }
        NodeBuilder::new("user")
            .attr("jid", Jid::pn(a.digits))
            .children(children)
            .build()
    });
    iq::usync_result(id, sid, users)
}

/// The digits of a number as the client writes it (`+5511...`).
pub fn digits(written: &str) -> String {
    written.chars().filter(char::is_ascii_digit).collect()
}
