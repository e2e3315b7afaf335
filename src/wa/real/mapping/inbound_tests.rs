//! The mapping of inbound message batches, fed with real whatsapp-rust
//! message values.

use super::*;
use std::sync::Arc;
use whatsapp_rust::chrono::{TimeZone, Utc};
use whatsapp_rust::types::events::BatchOrigin;
use whatsapp_rust::types::message::MessageInfo;
use whatsapp_rust::waproto::buffa::MessageField;

pub(super) fn info(sender: Jid, chat: Jid) -> MessageInfo {
    MessageInfo {
        id: "3EB0AAAAAAAAAAAAAAAAAA".into(),
        source: MessageSource {
            sender,
            chat,
            ..Default::default()
        },
        push_name: "Ana".into(),
        timestamp: Utc.timestamp_opt(1_700_000_000, 0).unwrap(),
        ..Default::default()
    }
}

pub(super) fn batch(items: Vec<(wa::Message, MessageInfo)>) -> Event {
    let messages: Vec<WaInbound> = items
        .into_iter()
        .map(|(m, i)| {
            WaInbound::builder()
                .message(Arc::new(m))
                .info(Arc::new(i))
                .build()
        })
        .collect();
    Event::Messages(
        MessageBatch::builder()
            .messages(messages.into())
            .origin(BatchOrigin::Live)
            .build(),
    )
}

pub(super) fn only(event: &Event) -> Incoming {
    let Event::Messages(batch) = event else {
        panic!("not a batch")
    };
    let mut all = map_batch(batch);
    assert_eq!(all.len(), 1, "expected exactly one inbound message");
    all.remove(0)
}

pub(super) fn text(body: &str) -> wa::Message {
    wa::Message {
        conversation: Some(body.into()),
        ..Default::default()
    }
}

pub(super) fn pn_info() -> MessageInfo {
    info(Jid::pn("5511999990000"), Jid::pn("5511999990000"))
}

#[test]
fn a_text_from_a_phone_number_maps_fully() {
    let got = only(&batch(vec![(text("hello"), pn_info())]));
    let m = got.message;
    assert_eq!(m.id, "3EB0AAAAAAAAAAAAAAAAAA");
    assert_eq!(m.from.unwrap().e164(), "+5511999990000");
    assert_eq!(m.chat, "5511999990000@s.whatsapp.net");
    assert_eq!(
        (m.kind, m.text.as_deref(), m.push_name.as_deref()),
        (MessageKind::Text, Some("hello"), Some("Ana"))
    );
    assert_eq!(m.timestamp_ms, 1_700_000_000_000);
    assert!(!m.is_group && !m.from_me && got.media.is_none());
}

#[test]
fn hidden_number_senders_use_the_paired_phone_number_only() {
    let mut with_alt = info(Jid::lid("123456789012345"), Jid::lid("123456789012345"));
    with_alt.source.sender_alt = Some(Jid::pn("5511988887777"));
    let got = only(&batch(vec![(text("hi"), with_alt)]));
    assert_eq!(got.message.from.unwrap().e164(), "+5511988887777");
    assert_eq!(got.message.chat, "123456789012345@lid");

    let mut without_alt = info(Jid::lid("123456789012345"), Jid::lid("123456789012345"));
    without_alt.push_name = String::new();
    let got = only(&batch(vec![(text("hi"), without_alt)]));
    assert!(
        got.message.from.is_none(),
        "a LID's digits are not a phone number"
    );
    assert!(got.message.push_name.is_none());
}

#[test]
fn group_and_own_messages_are_flagged() {
    let mut group = info(Jid::pn("5511999990000"), Jid::group("120363000000000000"));
    group.source.is_group = true;
    group.source.is_from_me = true;
    let m = only(&batch(vec![(text("to all"), group)])).message;
    assert!(m.is_group && m.from_me);
    assert_eq!(m.chat, "120363000000000000@g.us");
    let group = m.group.expect("a group message names its group");
    assert_eq!(
        (group.id.as_str(), group.subject),
        ("120363000000000000@g.us", None)
    );
    assert!(only(&batch(vec![(text("hi"), pn_info())]))
        .message
        .group
        .is_none());
}

#[test]
fn media_messages_carry_caption_mime_and_a_download() {
    let image = wa::Message {
        image_message: MessageField::some(wa::message::ImageMessage {
            caption: Some("look".into()),
            mimetype: Some("image/jpeg".into()),
            direct_path: Some("/v/t62/abc".into()),
            media_key: Some(vec![7; 32]),
            file_length: Some(1234),
            ..Default::default()
        }),
        ..Default::default()
    };
    let got = only(&batch(vec![(image, pn_info())]));
    assert_eq!(got.message.kind, MessageKind::Image);
    assert_eq!(got.message.caption.as_deref(), Some("look"));
    assert!(got.message.text.is_none());
    let media = got.media.expect("media to download");
    assert_eq!(media.mime_type.as_deref(), Some("image/jpeg"));
    assert_eq!(media.source.direct_path(), Some("/v/t62/abc"));
    assert_eq!(media.source.file_length(), Some(1234));

    let sticker = wa::Message {
        sticker_message: MessageField::some(wa::message::StickerMessage::default()),
        ..Default::default()
    };
    let got = only(&batch(vec![(sticker, pn_info())]));
    assert_eq!(got.message.kind, MessageKind::Sticker);
    assert!(got.media.is_some_and(|m| m.mime_type.is_none()));
}

#[test]
fn wrapped_messages_are_unwrapped() {
    let wrapped = wa::Message {
        ephemeral_message: MessageField::some(wa::message::FutureProofMessage {
            message: MessageField::some(text("disappearing")),
        }),
        ..Default::default()
    };
    let m = only(&batch(vec![(wrapped, pn_info())])).message;
    assert_eq!(m.text.as_deref(), Some("disappearing"));
}

#[test]
fn messages_that_carry_nothing_are_skipped() {
    let protocol = wa::Message {
        protocol_message: MessageField::some(wa::message::ProtocolMessage::default()),
        ..Default::default()
    };
    let status = info(Jid::pn("5511999990000"), Jid::status_broadcast());
    let items = vec![
        (protocol, pn_info()),
        (wa::Message::default(), pn_info()),
        (text(""), pn_info()),
        (text("my status"), status),
    ];
    let Event::Messages(all) = batch(items) else {
        unreachable!()
    };
    assert!(map_batch(&all).is_empty());
}
