//! Every inbound event, typed (issue #24 item 4), from a contact that is a
//! real whatsapp-rust client: what its client sends when it replies
//! quoting a message, reacts, edits, deletes for everyone, shares a place
//! or a card, asks a poll and votes in it, and what the server signals
//! when it calls, reaches the webhook as the typed event docs/events.md
//! describes; a message that cannot be decrypted is posted, counted and
//! alerted on. A missed call also reaches the number's own `calls` webhook
//! (item 5), and a call answered on the phone reaches nobody.

use crate::common::receiver::Receiver;
use crate::common::{eventually, Gateway, TestEnv};
use crate::{decrypted, forwarded_once, forwarded_where, linked_pair};
use reqwest::StatusCode;
use serde_json::json;
use wa_loopback::{Card, Contact, LoopbackServer, Place};

const LINKED: &str = "+5511900000001";
const CONTACT: &str = "+5511977770007";

crate::both_backends!(a_contacts_typed_events_reach_the_webhook_typed);

async fn a_contacts_typed_events_reach_the_webhook_typed(env: TestEnv) {
    let server = LoopbackServer::start().await.unwrap();
    let (receiver, monitor) = (Receiver::start().await, Receiver::start().await);
    let more = [("alert-webhook-url", monitor.url())];
    let (gw, contact) = linked_pair(&env, &server, &receiver, (LINKED, CONTACT), &more).await;
    a_reply_carries_the_quote_and_a_reaction_names_its_target(&gw, &contact, &receiver).await;
    an_edit_and_a_deletion_name_the_message(&contact, &receiver).await;
    a_place_and_a_card_arrive_typed(&contact, &receiver).await;
    a_poll_and_its_vote_arrive_read(&contact, &receiver).await;
    a_missed_call_reaches_the_webhooks_and_an_answered_one_does_not(&gw, &server, &receiver).await;
    an_undecryptable_message_is_counted_and_posted(&gw, &server, &receiver, &monitor).await;
    gw.stop().await;
}

/// The contact replies to the gateway's message quoting it, then reacts
/// to it: the reply's `quoted` and the reaction's `target` name that
/// message as the gateway's own (`fromMe`), with its text.
async fn a_reply_carries_the_quote_and_a_reaction_names_its_target(
    gw: &Gateway,
    contact: &Contact,
    receiver: &Receiver,
) {
    let ours = gw.send_text("wa-loop", CONTACT, "we open at 9").await;
    decrypted(contact, &ours).await;

    let reply = contact.reply(LINKED, &ours, "see you then").await.unwrap();
    let body = forwarded_once(receiver, &reply).await;
    assert_eq!(body["type"], "text", "{body}");
    assert_eq!(body["text"], "see you then", "{body}");
    assert_eq!(body["from"], CONTACT, "{body}");
    let quoted = &body["quoted"];
    assert_eq!(quoted["id"], ours.as_str(), "{body}");
    assert_eq!(quoted["fromMe"], true, "{body}");
    assert_eq!(quoted["text"], "we open at 9", "{body}");

    let reaction = contact.react(LINKED, &ours, false, "👍").await.unwrap();
    let body = forwarded_once(receiver, &reaction).await;
    assert_eq!(body["type"], "reaction", "{body}");
    assert_eq!(body["reaction"]["emoji"], "👍", "{body}");
    let target = &body["reaction"]["target"];
    assert_eq!(target["id"], ours.as_str(), "{body}");
    assert_eq!(target["fromMe"], true, "{body}");
    assert_eq!(target["text"], "we open at 9", "{body}");
}

/// The contact writes, edits what it wrote, then deletes it for
/// everyone: an `edit` with the new text and a `delete`, both naming the
/// message.
async fn an_edit_and_a_deletion_name_the_message(contact: &Contact, receiver: &Receiver) {
    let written = contact.send_text(LINKED, "at 8?").await.unwrap();
    forwarded_once(receiver, &written).await;

    contact.edit(LINKED, &written, "at 10?").await.unwrap();
    let body = forwarded_where(receiver, |b| b["type"] == "edit").await;
    assert_eq!(
        body["edit"],
        json!({"messageId": written, "text": "at 10?"}),
        "{body}"
    );
    assert_eq!(body["text"], "edited: at 10?", "{body}");

    contact.delete(LINKED, &written).await.unwrap();
    let body = forwarded_where(receiver, |b| b["type"] == "delete").await;
    assert_eq!(body["delete"], json!({"messageId": written}), "{body}");
    assert_eq!(body["from"], CONTACT, "{body}");
}

/// A shared place arrives as a `location` with its maps link, a card as a
/// `contact` with the card's WhatsApp number.
async fn a_place_and_a_card_arrive_typed(contact: &Contact, receiver: &Receiver) {
    let place = Place {
        latitude: -23.5614,
        longitude: -46.6559,
        name: Some("Office".into()),
        address: Some("Av. Paulista, 1000".into()),
    };
    let sent = contact.send_location(LINKED, &place).await.unwrap();
    let body = forwarded_once(receiver, &sent).await;
    assert_eq!(body["type"], "location", "{body}");
    let location = &body["location"];
    assert_eq!(location["latitude"], -23.5614, "{body}");
    assert_eq!(location["longitude"], -46.6559, "{body}");
    assert_eq!(location["name"], "Office", "{body}");
    assert_eq!(location["address"], "Av. Paulista, 1000", "{body}");
    assert!(location["url"].as_str().unwrap().contains("-23.5614"), "{body}");

    let vcard = "BEGIN:VCARD\nVERSION:3.0\nFN:Ana Souza\n\
                 TEL;type=CELL;waid=5511988887777:+55 11 98888-7777\nEND:VCARD";
    let card = Card {
        name: "Ana Souza".into(),
        vcard: vcard.into(),
    };
    let sent = contact.send_card(LINKED, &card).await.unwrap();
    let body = forwarded_once(receiver, &sent).await;
    assert_eq!(body["type"], "contact", "{body}");
    assert_eq!(
        body["contact"],
        json!({"name": "Ana Souza", "phone": "+5511988887777"}),
        "{body}"
    );
}

/// The contact asks a poll and votes in it: the gateway saw the poll's
/// secret, so the vote arrives read, with the option chosen.
async fn a_poll_and_its_vote_arrive_read(contact: &Contact, receiver: &Receiver) {
    let options = ["Monday", "Tuesday"];
    let poll = contact
        .create_poll(LINKED, "Which day?", &options, 1)
        .await
        .unwrap();
    let body = forwarded_once(receiver, &poll.id).await;
    assert_eq!(body["type"], "poll", "{body}");
    let asked = json!({"name": "Which day?", "options": options, "selectable": 1});
    assert_eq!(body["poll"], asked, "{body}");

    let vote = contact.vote(LINKED, &poll, &["Tuesday"]).await.unwrap();
    let body = forwarded_once(receiver, &vote).await;
    assert_eq!(body["type"], "poll_vote", "{body}");
    assert_eq!(
        body["pollVote"],
        json!({"pollId": poll.id, "options": ["Tuesday"]}),
        "{body}"
    );
}

/// A call the phone answered, then a video call nobody answered: only the
/// second reaches the webhook, as a `call` from the caller's number, and
/// the number's own `calls` webhook gets it too.
async fn a_missed_call_reaches_the_webhooks_and_an_answered_one_does_not(
    gw: &Gateway,
    server: &LoopbackServer,
    receiver: &Receiver,
) {
    let calls = Receiver::start().await;
    let hook = json!({"url": calls.url(), "events": ["calls"]});
    let (status, body) = gw.post("/api/instances/wa-loop/webhooks", hook).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    let answered = server
        .ring(CONTACT, LINKED, false, Some("accepted_elsewhere"))
        .unwrap();
    let missed = server.ring(CONTACT, LINKED, true, None).unwrap();
    let body = forwarded_once(receiver, &missed).await;
    assert_eq!(body["type"], "call", "{body}");
    assert_eq!(body["from"], CONTACT, "{body}");
    assert_eq!(body["call"], json!({"callId": missed, "video": true}), "{body}");
    assert_eq!(body["text"], "missed video call", "{body}");
    let hooked = forwarded_once(&calls, &missed).await;
    assert_eq!(hooked["type"], "call", "{hooked}");

    let posted = |r: &Receiver| {
        r.received()
            .iter()
            .any(|p| p.body["messageId"] == answered.as_str())
    };
    assert!(
        !posted(receiver) && !posted(&calls),
        "the answered call was posted"
    );
}

/// A message from the contact's phone that opens under no Signal session
/// (as after a broken one): the client asks for it again and reports it;
/// the gateway posts it as `undecryptable` from the contact, counts it and
/// raises the alert.
async fn an_undecryptable_message_is_counted_and_posted(
    gw: &Gateway,
    server: &LoopbackServer,
    receiver: &Receiver,
    monitor: &Receiver,
) {
    let id = server.undecryptable(CONTACT, LINKED).unwrap();
    let body = forwarded_once(receiver, &id).await;
    assert_eq!(body["type"], "undecryptable", "{body}");
    assert_eq!(body["from"], CONTACT, "{body}");
    eventually("the monitor hears of it", || async {
        let alerts = monitor.received();
        alerts.iter().any(|a| a.body["event"] == "messages.undecryptable")
    })
    .await;
    let metrics = gw.metrics().await;
    let counted = "wagate_inbound_undecryptable_total{instance=\"wa-loop\"} 1";
    assert!(metrics.contains(counted), "{metrics}");
}
