//! The typed events inside whatsapp-rust inbound messages: reactions,
//! edits and deletions (protocol messages, and edits sealed with the
//! original's secret), locations, contact cards, polls and their votes,
//! and the message a reply quotes. A key names an earlier message from
//! its writer's side (`from_me`: the writer wrote it; whatsmeow's
//! `BuildMessageKey`); the gateway turns that into its own side.

use super::{phone_of, sender_phone};
use crate::domain::{
    ContactCard, Deletion, Edit, Location, MessageDetails, MessageKind, MessageRef, Poll, PollVote, Reaction,
};
use whatsapp_rust::proto_helpers::MessageExt;
use whatsapp_rust::types::message::MessageSource;
use whatsapp_rust::waproto::buffa::MessageField;
use whatsapp_rust::waproto::whatsapp as wa;
use whatsapp_rust::Jid;

use wa::message::protocol_message::Type as ProtocolType;
use wa::message::secret_encrypted_message::SecretEncType;

/// What a message is, as far as its type goes.
pub(super) enum Shape {
    /// An event with its kind and details.
    Typed(MessageKind, Box<MessageDetails>),
    /// Bookkeeping between devices (key shares, history sync notices,
    /// settings): nothing for anyone to see.
    Skip,
    /// Text or media (or nothing at all).
    Plain,
}

pub(super) fn shape(base: &wa::Message, source: &MessageSource) -> Shape {
    if let Some(protocol) = base.protocol_message.as_option() {
        return protocol_shape(protocol);
    }
    if let Some(sealed) = base.secret_encrypted_message.as_option() {
        return sealed_shape(sealed);
    }
    let mut details = MessageDetails::default();
    let kind = if let Some(reaction) = base.reaction_message.as_option() {
        details.reaction = Some(Reaction {
            target: key_ref(&reaction.key, source),
            emoji: reaction.text.clone().unwrap_or_default(),
        });
        MessageKind::Reaction
    } else if let Some(update) = base.poll_update_message.as_option() {
        details.poll_vote = Some(PollVote {
            poll_id: key_id(&update.poll_creation_message_key),
            options: None,
        });
        MessageKind::PollVote
    } else if let Some(poll) = poll_of(base) {
        details.poll = Some(poll);
        MessageKind::Poll
    } else if let Some(location) = location_of(base) {
        details.location = Some(location);
        MessageKind::Location
    } else if let Some(card) = card_of(base) {
        details.contact = Some(card);
        MessageKind::Contact
    } else {
        return Shape::Plain;
    };
    Shape::Typed(kind, Box::new(details))
}

/// A revoke is a deletion, an edit carries the new message; every other
/// protocol message is bookkeeping.
fn protocol_shape(protocol: &wa::message::ProtocolMessage) -> Shape {
    let message_id = key_id(&protocol.key);
    let mut details = MessageDetails::default();
    match protocol.r#type {
        Some(ProtocolType::REVOKE) if !message_id.is_empty() => {
            details.deletion = Some(Deletion { message_id });
            Shape::Typed(MessageKind::Delete, Box::new(details))
        }
        Some(ProtocolType::MESSAGE_EDIT) if !message_id.is_empty() => {
            let edited = protocol.edited_message.as_option();
            let text = edited.and_then(|m| m.text_content().or(m.get_caption()));
            details.edit = Some(Edit {
                message_id,
                text: text.map(str::to_owned),
            });
            Shape::Typed(MessageKind::Edit, Box::new(details))
        }
        _ => Shape::Skip,
    }
}

/// An edit sealed with the original message's secret: the gateway does
/// not keep secrets, so the new text cannot be read (whatsapp-rust's
/// `features::message_edit` needs the original's `messageSecret`).
fn sealed_shape(sealed: &wa::message::SecretEncryptedMessage) -> Shape {
    let message_id = key_id(&sealed.target_message_key);
    if sealed.secret_enc_type != Some(SecretEncType::MESSAGE_EDIT) || message_id.is_empty() {
        return Shape::Skip;
    }
    let details = MessageDetails {
        edit: Some(Edit {
            message_id,
            text: None,
        }),
        ..MessageDetails::default()
    };
    Shape::Typed(MessageKind::Edit, Box::new(details))
}

fn poll_of(base: &wa::Message) -> Option<Poll> {
    let poll = base
        .poll_creation_message
        .as_option()
        .or(base.poll_creation_message_v2.as_option())
        .or(base.poll_creation_message_v3.as_option())?;
    Some(Poll {
        name: poll.name.clone().unwrap_or_default(),
        options: poll
            .options
            .iter()
            .filter_map(|o| o.option_name.clone())
            .collect(),
        selectable: poll.selectable_options_count.unwrap_or(0),
    })
}

fn location_of(base: &wa::Message) -> Option<Location> {
    if let Some(m) = base.location_message.as_option() {
        return Some(Location {
            latitude: m.degrees_latitude?,
            longitude: m.degrees_longitude?,
            name: m.name.clone().filter(|n| !n.is_empty()),
            address: m.address.clone().filter(|a| !a.is_empty()),
        });
    }
    let live = base.live_location_message.as_option()?;
    Some(Location {
        latitude: live.degrees_latitude?,
        longitude: live.degrees_longitude?,
        name: live.caption.clone().filter(|c| !c.is_empty()),
        address: None,
    })
}

/// A card, or the first card of several.
fn card_of(base: &wa::Message) -> Option<ContactCard> {
    let card = base.contact_message.as_option().or_else(|| {
        let array = base.contacts_array_message.as_option()?;
        array.contacts.first()
    })?;
    let name = card.display_name.as_deref().unwrap_or_default();
    Some(ContactCard::from_vcard(
        name,
        card.vcard.as_deref().unwrap_or_default(),
    ))
}

/// The message a reply quotes, from the context of whichever kind of
/// message carries one.
pub(super) fn quoted(base: &wa::Message, source: &MessageSource) -> Option<MessageRef> {
    let context = context_of(base)?;
    let id = context.stanza_id.clone().filter(|id| !id.is_empty())?;
    let quoted = context.quoted_message.as_option();
    let text = quoted.and_then(|m| m.text_content().or(m.get_caption()));
    let author = context.participant.as_deref().and_then(|p| p.parse::<Jid>().ok());
    let by_writer = author.as_ref().is_some_and(|a| same_user(a, &source.sender));
    let from_me = match (source.is_from_me, source.is_group) {
        (true, _) => by_writer,
        (false, false) => !by_writer && author.is_some(),
        (false, true) => false,
    };
    Some(MessageRef {
        id,
        from_me,
        sender: match from_me {
            true => None,
            false => author.as_ref().and_then(phone_of).map(|p| p.e164().to_owned()),
        },
        text: text.unwrap_or_default().to_owned(),
    })
}

fn context_of(base: &wa::Message) -> Option<&wa::ContextInfo> {
    let contexts = [
        base.extended_text_message.as_option().map(|m| &m.context_info),
        base.image_message.as_option().map(|m| &m.context_info),
        base.video_message.as_option().map(|m| &m.context_info),
        base.audio_message.as_option().map(|m| &m.context_info),
        base.document_message.as_option().map(|m| &m.context_info),
        base.sticker_message.as_option().map(|m| &m.context_info),
        base.location_message.as_option().map(|m| &m.context_info),
        base.contact_message.as_option().map(|m| &m.context_info),
    ];
    contexts.into_iter().flatten().find_map(|c| c.as_option())
}

/// The earlier message a key names, from the gateway's side: written by
/// this number, or by whom. Outside groups only two people write, so the
/// writer's "not mine" is the gateway's "mine".
fn key_ref(key: &MessageField<wa::MessageKey>, source: &MessageSource) -> MessageRef {
    let key = key.as_option();
    let writer_wrote_it = key.and_then(|k| k.from_me).unwrap_or(false);
    let from_me = match (source.is_from_me, source.is_group) {
        (true, _) => writer_wrote_it,
        (false, false) => !writer_wrote_it,
        (false, true) => false,
    };
    let author = match writer_wrote_it {
        true => sender_phone(source),
        false => key
            .and_then(|k| k.participant.as_deref())
            .and_then(|p| p.parse::<Jid>().ok())
            .as_ref()
            .and_then(phone_of),
    };
    MessageRef {
        id: key.and_then(|k| k.id.clone()).unwrap_or_default(),
        from_me,
        sender: author.filter(|_| !from_me).map(|p| p.e164().to_owned()),
        text: String::new(),
    }
}

fn key_id(key: &MessageField<wa::MessageKey>) -> String {
    key.as_option().and_then(|k| k.id.clone()).unwrap_or_default()
}

fn same_user(a: &Jid, b: &Jid) -> bool {
    a.to_non_ad_string() == b.to_non_ad_string()
}
