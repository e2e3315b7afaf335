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
mod tests {
    use super::*;
    use crate::domain::{MessageDetails, MessageKind, Phone, Reaction, Recipient};

    fn outgoing(details: MessageDetails) -> OutgoingMessage {
        OutgoingMessage {
            id: "3EB0FF".into(),
            to: Recipient::Phone(Phone::parse("+5511999998888", None).unwrap()),
            kind: MessageKind::Text,
            text: "yes".into(),
            media_url: None,
            caption: None,
            details,
        }
    }

    fn theirs(id: &str) -> MessageRef {
        MessageRef {
            id: id.into(),
            from_me: false,
            sender: Some("+5511999998888".into()),
            text: "is it open?".into(),
        }
    }

    #[test]
    fn a_location_and_a_card_carry_their_fields() {
        let chat_jid = Jid::pn("5511999998888");
        let chat = Chat {
            jid: &chat_jid,
            own: None,
            lids: None,
        };
        let location = Location {
            latitude: -23.5,
            longitude: -46.6,
            name: Some("Office".into()),
            address: Some("Av. Paulista 1000".into()),
        };
        let sent = special_message(
            &outgoing(MessageDetails {
                location: Some(location),
                ..Default::default()
            }),
            &chat,
        )
        .unwrap();
        let got = sent.location_message.as_option().unwrap();
        assert_eq!(
            (got.degrees_latitude, got.degrees_longitude),
            (Some(-23.5), Some(-46.6))
        );
        assert_eq!(got.address.as_deref(), Some("Av. Paulista 1000"));
        let card = ContactCard {
            name: "Ana".into(),
            phone: "+5511988887777".into(),
        };
        let sent = special_message(
            &outgoing(MessageDetails {
                contact: Some(card),
                ..Default::default()
            }),
            &chat,
        )
        .unwrap();
        let got = sent.contact_message.as_option().unwrap();
        assert!(got.vcard.as_deref().unwrap().contains("waid=5511988887777"));
        assert!(special_message(&outgoing(MessageDetails::default()), &chat).is_none());
    }

    #[test]
    fn a_reaction_keys_its_target_in_the_chat() {
        let chat_jid = Jid::pn("5511999998888");
        let chat = Chat {
            jid: &chat_jid,
            own: None,
            lids: None,
        };
        let details = MessageDetails {
            reaction: Some(Reaction {
                target: theirs("3EB0AA"),
                emoji: "👍".into(),
            }),
            ..Default::default()
        };
        let sent = special_message(&outgoing(details), &chat).unwrap();
        let reaction = sent.reaction_message.as_option().unwrap();
        assert_eq!(reaction.text.as_deref(), Some("👍"));
        let key = reaction.key.as_option().unwrap();
        assert_eq!(key.remote_jid.as_deref(), Some("5511999998888@s.whatsapp.net"));
        assert_eq!((key.from_me, key.id.as_deref()), (Some(false), Some("3EB0AA")));
        assert_eq!(key.participant, None, "one-to-one keys name no participant");

        let group = Jid::group("120363040000000000");
        let in_group = Chat {
            jid: &group,
            own: None,
            lids: None,
        };
        assert_eq!(
            in_group.key(&theirs("3EB0AB")).participant.as_deref(),
            Some("5511999998888@s.whatsapp.net")
        );
    }

    #[test]
    fn a_quote_names_the_message_and_its_author() {
        let chat_jid = Jid::pn("5511999998888");
        let own = Jid::pn("15550000001");
        let chat = Chat {
            jid: &chat_jid,
            own: Some(own),
            lids: None,
        };
        let quoted = with_quote(wa::Message::text("yes"), Some(&theirs("3EB0AA")), &chat);
        let text = quoted
            .extended_text_message
            .as_option()
            .expect("text with a context");
        let context = text.context_info.as_option().unwrap();
        assert_eq!(context.stanza_id.as_deref(), Some("3EB0AA"));
        assert_eq!(
            context.participant.as_deref(),
            Some("5511999998888@s.whatsapp.net")
        );
        let shown = context.quoted_message.as_option().unwrap();
        assert_eq!(shown.conversation.as_deref(), Some("is it open?"));

        let mine = MessageRef {
            from_me: true,
            sender: None,
            ..theirs("3EB0AC")
        };
        let quoted = with_quote(wa::Message::text("again"), Some(&mine), &chat);
        let context = quoted
            .extended_text_message
            .as_option()
            .unwrap()
            .context_info
            .as_option()
            .unwrap();
        assert_eq!(context.participant.as_deref(), Some("15550000001@s.whatsapp.net"));
    }

    /// In a LID-addressed group, keys and quotes name a member by its LID
    /// and this number by its own; in a phone-number group, by numbers.
    #[test]
    fn a_lid_group_names_its_members_by_lid() {
        use whatsapp_rust::wacore::client::context::GroupInfo;
        let group = Jid::group("120363040000000000");
        let member = Jid::lid("100000012345678");
        let lid_to_pn = [("100000012345678".into(), Jid::pn("5511999998888"))];
        let info = |mode| GroupInfo::with_lid_to_pn_map(vec![member.clone()], mode, lid_to_pn.clone().into());
        let own_lid = Some(Jid::lid("200000087654321"));
        let chat = Chat {
            jid: &group,
            own: Some(Jid::pn("15550000001")),
            lids: GroupLids::of(Arc::new(info(AddressingMode::Lid)), own_lid.clone()),
        };
        assert_eq!(
            chat.key(&theirs("3EB0AB")).participant.as_deref(),
            Some("100000012345678@lid")
        );
        let mine = MessageRef {
            from_me: true,
            sender: None,
            ..theirs("3EB0AC")
        };
        assert_eq!(chat.author(&mine), "200000087654321@lid");
        let stranger = MessageRef {
            sender: Some("+5511911112222".into()),
            ..theirs("3EB0AD")
        };
        assert_eq!(
            chat.author(&stranger),
            "5511911112222@s.whatsapp.net",
            "no LID known"
        );
        assert!(GroupLids::of(Arc::new(info(AddressingMode::Pn)), own_lid).is_none());
    }
}
