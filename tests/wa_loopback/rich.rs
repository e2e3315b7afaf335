//! Richer sends (issue #24 item 3) through the gateway's API, decrypted by
//! a contact that is a real whatsapp-rust client: a reply quoting the
//! contact's message, a reaction to it, a location and a contact card each
//! arrive as WhatsApp's apps would show them.

use crate::common::receiver::Receiver;
use crate::common::{eventually, Gateway, TestEnv};
use crate::{decrypted, linked_pair};
use reqwest::StatusCode;
use serde_json::{json, Value};
use wa_loopback::{Contact, LoopbackServer, Place, Quote, Reaction};

const LINKED: &str = "+5511900000001";
const CONTACT: &str = "+5511977770007";

crate::both_backends!(a_contact_sees_quotes_reactions_places_and_cards_from_the_gateway);

async fn a_contact_sees_quotes_reactions_places_and_cards_from_the_gateway(env: TestEnv) {
    let server = LoopbackServer::start().await.unwrap();
    let receiver = Receiver::start().await;
    let (gw, contact) = linked_pair(&env, &server, &receiver, (LINKED, CONTACT), &[]).await;
    let theirs = contact.send_text(LINKED, "is it open today?").await.unwrap();
    eventually("the gateway has the contact's message", || async {
        receiver
            .received()
            .iter()
            .any(|r| r.body["messageId"] == theirs.as_str())
    })
    .await;

    a_reply_quotes_the_contacts_message(&gw, &contact, &theirs).await;
    a_reaction_lands_on_the_contacts_message(&gw, &contact, &theirs).await;
    a_location_and_a_card_arrive_whole(&gw, &contact).await;
    gw.stop().await;
}

/// The reply's quote names the contact's message and the contact as its
/// author.
async fn a_reply_quotes_the_contacts_message(gw: &Gateway, contact: &Contact, theirs: &str) {
    let id = send(gw, json!({"message": "yes, until 6", "quotedId": theirs})).await;
    let got = decrypted(contact, &id).await;
    assert_eq!(got.text.as_deref(), Some("yes, until 6"));
    let author = format!("{}@s.whatsapp.net", CONTACT.trim_start_matches('+'));
    let quote = Quote {
        id: theirs.to_owned(),
        participant: Some(author),
    };
    assert_eq!(got.rich.quoted, Some(quote), "{got:?}");
}

async fn a_reaction_lands_on_the_contacts_message(gw: &Gateway, contact: &Contact, theirs: &str) {
    let id = send(gw, json!({"type": "reaction", "reactTo": theirs, "emoji": "❤️"})).await;
    let got = decrypted(contact, &id).await;
    let reaction = Reaction {
        target: theirs.to_owned(),
        author: None,
        emoji: "❤️".into(),
    };
    assert_eq!(got.rich.reaction, Some(reaction), "{got:?}");
}

/// A place keeps its degrees, name and address; a card its name, and a
/// vCard whose `waid` lets the contact message that number.
async fn a_location_and_a_card_arrive_whole(gw: &Gateway, contact: &Contact) {
    let id = send(
        gw,
        json!({"type": "location", "latitude": -23.5614, "longitude": -46.6559,
               "name": "Office", "address": "Av. Paulista, 1000"}),
    )
    .await;
    let place = Place {
        latitude: -23.5614,
        longitude: -46.6559,
        name: Some("Office".into()),
        address: Some("Av. Paulista, 1000".into()),
    };
    assert_eq!(decrypted(contact, &id).await.rich.location, Some(place));

    let card = json!({"type": "contact", "contactName": "Ana Souza", "contactPhone": "+55 11 98888-7777"});
    let id = send(gw, card).await;
    let got = decrypted(contact, &id).await.rich.card.expect("a contact card");
    assert_eq!(got.name, "Ana Souza");
    assert!(got.vcard.contains("waid=5511988887777"), "{}", got.vcard);
}

/// Queues `fields` to the contact; the message's id.
async fn send(gw: &Gateway, mut fields: Value) -> String {
    fields["instanceId"] = json!("wa-loop");
    fields["to"] = json!(CONTACT);
    let (status, reply) = gw.post("/api/send", fields).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{reply}");
    reply["id"].as_str().unwrap().to_owned()
}
