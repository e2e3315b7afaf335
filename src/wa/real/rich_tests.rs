//! Locations, cards, reactions and quotes built as whatsapp-rust
//! messages, and how keys and quotes name a message's writer.

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
