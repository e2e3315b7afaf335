//! Poll votes read with the secret of a poll seen earlier: votes sealed
//! with wacore's own `encrypt_poll_vote_with_secret`, as a voter's phone does.

use super::inbound_tests::{batch, info};
use super::polls::PollBook;
use super::*;
use std::collections::HashMap;
use whatsapp_rust::wacore::poll;
use whatsapp_rust::waproto::buffa::MessageField;

const SECRET: [u8; 32] = [9; 32];

fn item(id: &str, sender: Jid, sender_alt: Option<Jid>, message: wa::Message) -> (wa::Message, MessageInfo) {
    let mut info = info(sender.clone(), sender);
    info.id = id.into();
    info.source.sender_alt = sender_alt;
    (message, info)
}

fn poll_message() -> wa::Message {
    wa::Message {
        poll_creation_message_v3: MessageField::some(wa::message::PollCreationMessage {
            name: Some("Which day?".into()),
            options: ["Mon", "Tue", "Wed"]
                .map(|o| wa::message::poll_creation_message::Option {
                    option_name: Some(o.into()),
                    ..Default::default()
                })
                .to_vec(),
            ..Default::default()
        }),
        message_context_info: MessageField::some(wa::MessageContextInfo {
            message_secret: Some(SECRET.to_vec()),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// A vote for `options` on poll `poll_id`, sealed for `creator` and `voter`.
fn vote(poll_id: &str, options: &[&str], creator: &str, voter: &str) -> wa::Message {
    let hashes: Vec<Vec<u8>> = options
        .iter()
        .map(|o| poll::compute_option_hash(o).to_vec())
        .collect();
    let (payload, iv) =
        poll::encrypt_poll_vote_with_secret(&hashes, &SECRET, poll_id, creator, voter).unwrap();
    wa::Message {
        poll_update_message: MessageField::some(wa::message::PollUpdateMessage {
            poll_creation_message_key: MessageField::some(wa::MessageKey {
                id: Some(poll_id.into()),
                ..Default::default()
            }),
            vote: MessageField::some(wa::message::PollEncValue {
                enc_payload: Some(payload),
                enc_iv: Some(iv.to_vec()),
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn read(book: &mut PollBook, items: Vec<(wa::Message, MessageInfo)>) -> HashMap<String, Vec<String>> {
    let Event::Messages(batch) = batch(items) else {
        unreachable!()
    };
    book.read_batch(&batch)
}

const CREATOR: &str = "5511999990000@s.whatsapp.net";
const VOTER: &str = "5511988887777@s.whatsapp.net";

#[test]
fn a_vote_on_a_poll_seen_earlier_is_read() {
    let mut book = PollBook::default();
    let creator = Jid::pn("5511999990000");
    assert!(read(&mut book, vec![item("P1", creator, None, poll_message())]).is_empty());
    let votes = read(
        &mut book,
        vec![
            item(
                "V1",
                Jid::pn("5511988887777"),
                None,
                vote("P1", &["Tue", "Wed"], CREATOR, VOTER),
            ),
            item(
                "V2",
                Jid::pn("5511988887777"),
                None,
                vote("P1", &[], CREATOR, VOTER),
            ),
            item(
                "V3",
                Jid::pn("5511988887777"),
                None,
                vote("P-UNSEEN", &["Mon"], CREATOR, VOTER),
            ),
        ],
    );
    assert_eq!(votes["V1"], ["Tue", "Wed"]);
    assert!(votes["V2"].is_empty(), "a vote taken back chooses nothing");
    assert!(
        !votes.contains_key("V3"),
        "a vote on a poll not seen here stays unread"
    );
}

#[test]
fn a_vote_sealed_under_the_other_ids_opens_on_the_second_try() {
    let mut book = PollBook::default();
    let creator = Jid::lid("111111111111111");
    let poll = item("P2", creator, Some(Jid::pn("5511999990000")), poll_message());
    let sealed_for_pn = vote("P2", &["Mon"], CREATOR, VOTER);
    let voter = Jid::lid("222222222222222");
    let votes = read(
        &mut book,
        vec![
            poll,
            item("V4", voter, Some(Jid::pn("5511988887777")), sealed_for_pn),
        ],
    );
    assert_eq!(votes["V4"], ["Mon"]);
}

#[test]
fn a_vote_that_does_not_open_stays_unread() {
    let mut book = PollBook::default();
    let poll = item("P3", Jid::pn("5511999990000"), None, poll_message());
    let forged = vote("P3", &["Mon"], CREATOR, "5511000000000@s.whatsapp.net");
    let votes = read(
        &mut book,
        vec![poll, item("V5", Jid::pn("5511988887777"), None, forged)],
    );
    assert!(votes.is_empty());
}
