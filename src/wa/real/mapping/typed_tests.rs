//! The typed events inside inbound messages, fed with real whatsapp-rust
//! message values: each comes out with its kind and details.

use super::inbound_tests::{batch, info, only, pn_info, text};
use super::*;
use wa::message::protocol_message::Type as ProtocolType;
use whatsapp_rust::types::events::{DecryptFailMode, UnavailableType};
use whatsapp_rust::waproto::buffa::MessageField;

fn typed(message: wa::Message) -> InboundMessage {
    only(&batch(vec![(message, pn_info())])).message
}

fn key(id: &str, from_me: bool) -> MessageField<wa::MessageKey> {
    MessageField::some(wa::MessageKey {
        remote_jid: Some("15550000001@s.whatsapp.net".into()),
        from_me: Some(from_me),
        id: Some(id.into()),
        participant: None,
    })
}

#[test]
fn a_reaction_names_its_target_from_the_gateways_side() {
    let reaction = |emoji: &str, writer_wrote_it: bool| wa::Message {
        reaction_message: MessageField::some(wa::message::ReactionMessage {
            key: key("3EB0OURS", writer_wrote_it),
            text: Some(emoji.into()),
            ..Default::default()
        }),
        ..Default::default()
    };
    let m = typed(reaction("👍", false));
    assert_eq!(m.kind, MessageKind::Reaction);
    let got = m.details.reaction.unwrap();
    assert_eq!((got.target.id.as_str(), got.emoji.as_str()), ("3EB0OURS", "👍"));
    assert!(
        got.target.from_me,
        "the contact did not write it: the gateway did"
    );
    assert_eq!(got.target.sender, None);

    let on_their_own = typed(reaction("", true)).details.reaction.unwrap();
    assert!(!on_their_own.target.from_me);
    assert_eq!(on_their_own.target.sender.as_deref(), Some("+5511999990000"));
    assert_eq!(on_their_own.emoji, "", "an empty emoji takes a reaction back");
}

#[test]
fn edits_and_deletions_name_the_message_they_change() {
    let protocol = |kind: ProtocolType, edited: Option<wa::Message>| wa::Message {
        protocol_message: MessageField::some(wa::message::ProtocolMessage {
            key: key("3EB0THEIRS", true),
            r#type: Some(kind),
            edited_message: edited.map_or_else(MessageField::none, MessageField::some),
            ..Default::default()
        }),
        ..Default::default()
    };
    let edit = typed(protocol(ProtocolType::MESSAGE_EDIT, Some(text("at 6 instead"))));
    assert_eq!(edit.kind, MessageKind::Edit);
    let got = edit.details.edit.unwrap();
    assert_eq!(
        (got.message_id.as_str(), got.text.as_deref()),
        ("3EB0THEIRS", Some("at 6 instead"))
    );
    let wrapped = wa::Message {
        edited_message: MessageField::some(wa::message::FutureProofMessage {
            message: MessageField::some(protocol(ProtocolType::MESSAGE_EDIT, Some(text("v2")))),
        }),
        ..Default::default()
    };
    assert_eq!(typed(wrapped).details.edit.unwrap().text.as_deref(), Some("v2"));

    let deletion = typed(protocol(ProtocolType::REVOKE, None));
    assert_eq!(deletion.kind, MessageKind::Delete);
    assert_eq!(deletion.details.deletion.unwrap().message_id, "3EB0THEIRS");
    assert!(deletion.text.is_none());
}

#[test]
fn a_sealed_edit_names_its_message_without_text() {
    use wa::message::secret_encrypted_message::SecretEncType;
    let sealed = |kind: SecretEncType| wa::Message {
        secret_encrypted_message: MessageField::some(wa::message::SecretEncryptedMessage {
            target_message_key: key("3EB0THEIRS", true),
            enc_payload: Some(vec![1; 16]),
            enc_iv: Some(vec![2; 12]),
            secret_enc_type: Some(kind),
            ..Default::default()
        }),
        ..Default::default()
    };
    let got = typed(sealed(SecretEncType::MESSAGE_EDIT)).details.edit.unwrap();
    assert_eq!((got.message_id.as_str(), got.text), ("3EB0THEIRS", None));
    let Event::Messages(poll_edit) = batch(vec![(sealed(SecretEncType::POLL_EDIT), pn_info())]) else {
        unreachable!()
    };
    assert!(
        map_batch(&poll_edit).is_empty(),
        "other sealed changes are skipped"
    );
}

#[test]
fn locations_and_contact_cards_carry_their_fields() {
    let location = wa::Message {
        location_message: MessageField::some(wa::message::LocationMessage {
            degrees_latitude: Some(-23.5),
            degrees_longitude: Some(-46.6),
            name: Some("Office".into()),
            address: Some(String::new()),
            ..Default::default()
        }),
        ..Default::default()
    };
    let m = typed(location);
    assert_eq!(m.kind, MessageKind::Location);
    let place = m.details.location.unwrap();
    assert_eq!((place.latitude, place.longitude), (-23.5, -46.6));
    assert_eq!((place.name.as_deref(), place.address), (Some("Office"), None));

    let card = |name: &str, phone: &str| wa::message::ContactMessage {
        display_name: Some(name.into()),
        vcard: Some(
            crate::domain::ContactCard {
                name: name.into(),
                phone: phone.into(),
            }
            .vcard(),
        ),
        ..Default::default()
    };
    let cards = wa::Message {
        contacts_array_message: MessageField::some(wa::message::ContactsArrayMessage {
            display_name: Some("2 contacts".into()),
            contacts: vec![card("Ana", "+5511988887777"), card("Bo", "+14155550123")],
            ..Default::default()
        }),
        ..Default::default()
    };
    let m = typed(cards);
    assert_eq!(m.kind, MessageKind::Contact);
    let got = m.details.contact.unwrap();
    assert_eq!((got.name.as_str(), got.phone.as_str()), ("Ana", "+5511988887777"));
}

#[test]
fn a_poll_and_a_vote_in_it() {
    let poll = wa::Message {
        poll_creation_message_v3: MessageField::some(wa::message::PollCreationMessage {
            name: Some("Which day?".into()),
            options: ["Mon", "Tue"]
                .map(|o| wa::message::poll_creation_message::Option {
                    option_name: Some(o.into()),
                    ..Default::default()
                })
                .to_vec(),
            selectable_options_count: Some(1),
            ..Default::default()
        }),
        ..Default::default()
    };
    let m = typed(poll);
    assert_eq!(m.kind, MessageKind::Poll);
    let got = m.details.poll.unwrap();
    assert_eq!(
        (got.name.as_str(), got.options.len(), got.selectable),
        ("Which day?", 2, 1)
    );

    let vote = wa::Message {
        poll_update_message: MessageField::some(wa::message::PollUpdateMessage {
            poll_creation_message_key: key("3EB0POLL", false),
            vote: MessageField::some(wa::message::PollEncValue {
                enc_payload: Some(vec![3; 32]),
                enc_iv: Some(vec![4; 12]),
            }),
            ..Default::default()
        }),
        ..Default::default()
    };
    let m = typed(vote);
    assert_eq!(m.kind, MessageKind::PollVote);
    let got = m.details.poll_vote.unwrap();
    assert_eq!((got.poll_id.as_str(), got.options), ("3EB0POLL", None));
}

#[test]
fn a_reply_carries_the_message_it_quotes() {
    let reply = |participant: &str| wa::Message {
        extended_text_message: MessageField::some(wa::message::ExtendedTextMessage {
            text: Some("yes, 5 is fine".into()),
            context_info: MessageField::some(wa::ContextInfo {
                stanza_id: Some("3EB0Q".into()),
                participant: Some(participant.into()),
                quoted_message: MessageField::some(text("see you at 5?")),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    };
    let m = typed(reply("15550000001@s.whatsapp.net"));
    assert_eq!(
        (m.kind, m.text.as_deref()),
        (MessageKind::Text, Some("yes, 5 is fine"))
    );
    let quote = m.details.quote.unwrap();
    assert_eq!(
        (quote.id.as_str(), quote.text.as_str()),
        ("3EB0Q", "see you at 5?")
    );
    assert!(
        quote.from_me,
        "a contact quoting someone else in a one-to-one chat quotes the gateway"
    );

    let own = typed(reply("5511999990000@s.whatsapp.net"))
        .details
        .quote
        .unwrap();
    assert!(!own.from_me);
    assert_eq!(own.sender.as_deref(), Some("+5511999990000"));
    assert!(typed(text("no reply")).details.quote.is_none());
}

#[test]
fn an_undecryptable_message_is_passed_on_as_one() {
    let failed = |chat: Jid| {
        Event::UndecryptableMessage(
            UndecryptableMessage::builder()
                .info(std::sync::Arc::new(info(Jid::pn("5511999990000"), chat)))
                .is_unavailable(false)
                .unavailable_type(UnavailableType::Unknown)
                .decrypt_fail_mode(DecryptFailMode::Show)
                .build(),
        )
    };
    let Some(WaEvent::Inbound(m)) = map_event(&failed(Jid::pn("5511999990000")), || None) else {
        panic!("an undecryptable message is passed on")
    };
    assert_eq!(
        (m.kind, m.id.as_str()),
        (MessageKind::Undecryptable, "3EB0AAAAAAAAAAAAAAAAAA")
    );
    assert_eq!(m.from.unwrap().e164(), "+5511999990000");
    assert!(map_event(&failed(Jid::status_broadcast()), || None).is_none());
}
