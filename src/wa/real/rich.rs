//! Locations, contact cards, reactions and quotes as whatsapp-rust 0.7
//! messages. A location is a `LocationMessage` (degrees, name, address), a
//! contact card a `ContactMessage` with its vCard, a reaction a
//! `ReactionMessage` built by wacore's `proto_helpers::build_reaction_message`
//! on the target's `MessageKey` (an empty emoji takes a reaction back), and
//! a quote the `ContextInfo` of wacore's `proto_helpers::build_quote_context`
//! attached with `MessageExt::set_context_info` (which turns plain text
//! into an extended text message so it can carry one). A key names the
//! author as `participant` only in groups (whatsapp-rust's
//! `bot::MessageContext::message_key`), and, as a quote does, by the id the
//! group's messages name their writers with: the LID in a LID-addressed
//! group (whatsapp-rust's `get_own_jid_for_group`, and the sender its
//! `MessageContext::build_quote_context` quotes), else the phone number.

use crate::domain::{ContactCard, Location, MessageRef};
use crate::wa::OutgoingMessage;
use std::sync::Arc;
use whatsapp_rust::proto_helpers::{
    build_quote_context, build_reaction_message, MessageBuilderExt, MessageExt,
};
use whatsapp_rust::types::message::AddressingMode;
use whatsapp_rust::wacore::client::context::GroupInfo;
use whatsapp_rust::waproto::buffa::MessageField;
use whatsapp_rust::waproto::whatsapp as wa;
use whatsapp_rust::{Jid, Server};

/// The chat a message goes to, and this number's own id (the author of
/// the messages it sent).
pub(super) struct Chat<'a> {
    pub jid: &'a Jid,
    pub own: Option<Jid>,
    /// How a LID-addressed group names its members: this number's LID, and
    /// the group's members' LIDs by phone number. None elsewhere.
    pub lids: Option<GroupLids>,
}

/// The LIDs a LID-addressed group's messages name their writers by.
pub(super) struct GroupLids {
    pub own: Option<Jid>,
    pub info: Arc<GroupInfo>,
}

impl GroupLids {
    /// The group's LIDs when it is LID-addressed.
    pub fn of(info: Arc<GroupInfo>, own: Option<Jid>) -> Option<Self> {
        (info.addressing_mode == AddressingMode::Lid).then_some(Self { own, info })
    }

    fn member(&self, phone_digits: &str) -> Option<Jid> {
        let lid = self.info.lid_user_for_phone_user(phone_digits)?;
        Some(Jid::lid(lid.as_str()))
    }
}

impl Chat<'_> {
    /// Who wrote `target`: this number, the member of a group who did, or
    /// the other person of a one-to-one chat.
    fn author(&self, target: &MessageRef) -> String {
        if target.from_me {
            let own_lid = self.lids.as_ref().and_then(|l| l.own.as_ref());
            if let Some(own) = own_lid.or(self.own.as_ref()) {
                return own.to_non_ad().to_string();
            }
        }
        match &target.sender {
            Some(sender) if self.is_group() => {
                let digits = sender.trim_start_matches('+');
                let lid = self.lids.as_ref().and_then(|l| l.member(digits));
                lid.unwrap_or_else(|| Jid::pn(digits)).to_string()
            }
            _ => self.jid.to_non_ad().to_string(),
        }
    }

    fn is_group(&self) -> bool {
        self.jid.server == Server::Group
    }

    fn key(&self, target: &MessageRef) -> wa::MessageKey {
        wa::MessageKey {
            remote_jid: Some(self.jid.to_string()),
            from_me: Some(target.from_me),
            id: Some(target.id.clone()),
            participant: self.is_group().then(|| self.author(target)),
        }
    }
}

/// The message for a location, contact card or reaction; None for the
/// other kinds (text and media are built by `outgoing`).
pub(super) fn special_message(message: &OutgoingMessage, chat: &Chat<'_>) -> Option<wa::Message> {
    let details = &message.details;
    if let Some(location) = &details.location {
        return Some(location_message(location));
    }
    if let Some(card) = &details.contact {
        return Some(contact_message(card));
    }
    let reaction = details.reaction.as_ref()?;
    let at_ms = crate::support::clock::now_ms();
    Some(build_reaction_message(
        chat.key(&reaction.target),
        reaction.emoji.clone(),
        at_ms,
    ))
}

/// `message` quoting `quote` (shown with its text), when there is one.
pub(super) fn with_quote(
    mut message: wa::Message,
    quote: Option<&MessageRef>,
    chat: &Chat<'_>,
) -> wa::Message {
    if let Some(quote) = quote {
        let quoted = wa::Message::text(quote.text.clone());
        let context = build_quote_context(quote.id.clone(), chat.author(quote), &quoted);
        message.set_context_info(context);
    }
    message
}

fn location_message(location: &Location) -> wa::Message {
    wa::Message {
        location_message: MessageField::some(wa::message::LocationMessage {
            degrees_latitude: Some(location.latitude),
            degrees_longitude: Some(location.longitude),
            name: location.name.clone(),
            address: location.address.clone(),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn contact_message(card: &ContactCard) -> wa::Message {
    wa::Message {
        contact_message: MessageField::some(wa::message::ContactMessage {
            display_name: Some(card.name.clone()),
            vcard: Some(card.vcard()),
            ..Default::default()
        }),
        ..Default::default()
    }
}

#[cfg(test)]
#[path = "rich_tests.rs"]
mod tests;
