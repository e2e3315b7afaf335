//! Groups between the gateway and simulated contacts that are real
//! whatsapp-rust clients linked through the loopback server: a contact
//! creates a group with the gateway's number and a second contact; what a
//! contact writes in it reaches the webhook with the group's id, subject
//! and writer, the gateway lists it, and what the gateway sends to it is
//! decrypted by both contacts as a group message (sender keys handed out
//! per device, one shared `skmsg`); a send to a group the number is not in
//! fails. One scenario per store, so everyone links once.

use crate::common::receiver::Receiver;
use crate::common::{Gateway, TestEnv};
use crate::contacts::settled;
use crate::messages::settles_as;
use crate::{decrypted, forwarded_once, link, real_gateway_with};
use reqwest::StatusCode;
use serde_json::json;
use wa_loopback::{Contact, LoopbackServer};

const LINKED: &str = "+5511900000001";
const CREATOR: &str = "+5511977770007";
const MEMBER: &str = "+5511966660006";
const SUBJECT: &str = "Loopback group";

crate::both_backends!(a_contacts_group_carries_messages_both_ways_and_is_listed);

async fn a_contacts_group_carries_messages_both_ways_and_is_listed(env: TestEnv) {
    let server = LoopbackServer::start().await.unwrap();
    let receiver = Receiver::start().await;
    let gw = real_gateway_with(&env, &server, &[("ghl-inbound-url", receiver.url())]).await;
    let (creator, member, ()) = tokio::join!(
        server.start_contact(CREATOR),
        server.start_contact(MEMBER),
        link(&gw, &server, "wa-loop", LINKED)
    );
    let (creator, member) = (creator.unwrap(), member.unwrap());
    let (status, body) = gw.get("/api/instances/wa-loop/groups").await;
    assert!(status.is_success(), "{status} {body}");
    assert_eq!(
        (&body["count"], &body["groups"]),
        (&json!(0), &json!([])),
        "in no group yet: {body}"
    );
    let group = creator.create_group(SUBJECT, &[LINKED, MEMBER]).await.unwrap();
    assert!(group.starts_with("120363") && group.ends_with("@g.us"), "{group}");
    let without_gateway = creator
        .create_group("Without the gateway", &[MEMBER])
        .await
        .unwrap();

    let written =
        a_members_message_reaches_the_webhook_once_with_the_group(&creator, &member, &group, &receiver).await;
    the_gateway_lists_only_its_group(&gw, &group).await;
    a_send_to_the_group_is_decrypted_by_every_member(&gw, &group, [&creator, &member]).await;
    a_quote_and_a_reaction_name_the_writer_by_lid(&gw, &group, &creator, &written).await;
    a_send_to_a_group_the_number_is_not_in_fails(&gw, &without_gateway).await;
    gw.stop().await;
}

/// `GET /api/instances/{id}/groups` lists the group the contact made with
/// the linked number, by its id and subject, with its three members, and
/// not the one it made without it.
async fn the_gateway_lists_only_its_group(gw: &Gateway, group: &str) {
    let (status, body) = gw.get("/api/instances/wa-loop/groups").await;
    assert!(status.is_success(), "{status} {body}");
    assert_eq!(body["count"], 1, "{body}");
    assert_eq!(
        body["groups"][0],
        json!({ "id": group, "subject": SUBJECT, "size": 3 }),
        "{body}"
    );
}

/// Texts `POST /api/send` sends to the group id are decrypted by both
/// contacts, in the group, from the linked number, once each: the first
/// hands out the gateway's sender key with it, the second comes as the
/// shared `skmsg` alone. The contacts' receipts, routed back from the
/// group, move the first to delivered.
async fn a_send_to_the_group_is_decrypted_by_every_member(gw: &Gateway, group: &str, members: [&Contact; 2]) {
    let first = gw.send_text("wa-loop", group, "hello, group").await;
    let second = gw.send_text("wa-loop", group, "and again").await;
    for contact in members {
        for (id, text) in [(&first, "hello, group"), (&second, "and again")] {
            let got = decrypted(contact, id).await;
            assert_eq!(got.text.as_deref(), Some(text));
            assert_eq!(got.group.as_deref(), Some(group), "{got:?}");
            assert_eq!(got.from, LINKED.trim_start_matches('+'), "{got:?}");
        }
        assert_eq!(contact.redelivered(), 0, "no second copy");
    }
    settles_as(gw, &first, "delivered").await;
}

/// The creator writes in the group: the other contact decrypts it as a
/// group message from the creator's number, and the gateway forwards it to
/// the webhook once, with `isGroup`, the group as `chatId` and `group:
/// {id, subject, participant}`, `from` the creator's phone number (the
/// server names the writer by LID with `participant_pn` beside it, as in
/// LID-addressed groups; the webhook never shows a LID's digits). The
/// gateway has not listed its groups yet: it asks the group's subject
/// (`get_metadata`).
async fn a_members_message_reaches_the_webhook_once_with_the_group(
    creator: &Contact,
    member: &Contact,
    group: &str,
    receiver: &Receiver,
) -> String {
    let id = creator
        .send_group_text(group, "hi all, from the creator")
        .await
        .unwrap();
    let got = decrypted(member, &id).await;
    assert_eq!(got.group.as_deref(), Some(group), "{got:?}");
    assert_eq!(got.from, CREATOR.trim_start_matches('+'), "{got:?}");

    let body = &forwarded_once(receiver, &id).await;
    assert_eq!(body["text"], "hi all, from the creator", "{body}");
    assert_eq!(body["from"], CREATOR, "{body}");
    assert_eq!(body["isGroup"], true, "{body}");
    assert_eq!(body["chatId"], group, "{body}");
    assert_eq!(
        body["group"],
        json!({ "id": group, "subject": SUBJECT, "participant": CREATOR }),
        "{body}"
    );
    id
}

/// The server refuses the group's metadata to a non-member (403), so the
/// gateway's send to it fails, as docs/api.md says, and is not retried.
async fn a_send_to_a_group_the_number_is_not_in_fails(gw: &Gateway, group: &str) {
    let id = gw.send_text("wa-loop", group, "let me in").await;
    let (status, error) = settled(gw, &id).await;
    assert_eq!(status, "failed", "{error}");
    assert!(error.contains("403"), "{error}");
}

/// The gateway replies in the group quoting the creator's message, then
/// reacts to it: the group is LID-addressed, so the quote and the
/// reaction's key name the creator by its LID, as its messages name it
/// (whatsapp-rust's own `MessageContext::build_quote_context` and
/// `message_key` do the same).
async fn a_quote_and_a_reaction_name_the_writer_by_lid(
    gw: &Gateway,
    group: &str,
    creator: &Contact,
    written: &str,
) {
    let lid = creator.lid().expect("the creator's LID");
    let quote = json!({"instanceId": "wa-loop", "to": group, "message": "noted", "quotedId": written});
    let reaction =
        json!({"instanceId": "wa-loop", "to": group, "type": "reaction", "reactTo": written, "emoji": "👍"});
    let mut ids = Vec::new();
    for body in [quote, reaction] {
        let (status, reply) = gw.post("/api/send", body).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{reply}");
        ids.push(reply["id"].as_str().unwrap().to_owned());
    }
    let quoted = decrypted(creator, &ids[0]).await.rich.quoted.expect("a quote");
    assert_eq!(
        (quoted.id.as_str(), quoted.participant.as_deref()),
        (written, Some(lid.as_str()))
    );
    let reaction = decrypted(creator, &ids[1])
        .await
        .rich
        .reaction
        .expect("a reaction");
    assert_eq!(reaction.target, written);
    assert_eq!(reaction.author.as_deref(), Some(lid.as_str()));
}
