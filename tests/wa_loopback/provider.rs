//! Provider mode (the GHL Conversations inbox) with the real client and a
//! contact that is a real whatsapp-rust client, against the fake GHL API
//! (built from GHL's documentation, strict): what the contact writes to
//! the location's second number lands in the contact's GHL conversation;
//! the agent's reply from the inbox is decrypted by the contact, from that
//! same number; the contact's receipts move the reply to delivered, then
//! read, in GHL; the contact's missed call is a message in the same
//! conversation (a workflow can trigger on it). The whole conversation,
//! both ways; and a group the contact makes with that number is one GHL
//! contact whose replies go to the group.

use crate::common::eventually;
use crate::common::fake_ghl::FakeGhl;
use crate::common::provider::{finish, inbox_reply, provider_key, provider_settings};
use crate::common::{Gateway, TestEnv};
use crate::{decrypted_where, real_gateway_with, two_numbers_and_a_contact, LOCATION, SECOND};
use ed25519_dalek::SigningKey;
use reqwest::StatusCode;
use serde_json::{json, Value};
use wa_loopback::{Contact, LoopbackServer};

const CONTACT: &str = "+5511977770007";

crate::both_backends!(a_conversation_stays_whole_between_the_inbox_and_a_real_contact);

async fn a_conversation_stays_whole_between_the_inbox_and_a_real_contact(env: TestEnv) {
    let server = LoopbackServer::start().await.unwrap();
    let ghl = FakeGhl::start().await;
    let (signing, public) = provider_key();
    let gw = real_gateway_with(&env, &server, &provider_settings(&ghl, public, true)).await;
    let contact = two_numbers_and_a_contact(&gw, &server, CONTACT).await;
    let (status, page) = ghl.install(&gw, &ghl.location_install_code(LOCATION)).await;
    assert_eq!(status, StatusCode::OK, "{page}");

    let contact_id = the_contacts_message_lands_in_its_conversation(&ghl, &contact).await;
    let to = (LOCATION, contact_id.as_str());
    let phone = json!({ "phone": CONTACT });
    let message = inbox_reply(&gw, &ghl, &signing, to, "yes, until 6", phone).await;

    let got = decrypted_where(&contact, |m| m.text.as_deref() == Some("yes, until 6")).await;
    assert_eq!(format!("+{}", got.from), SECOND, "from the number it wrote to");
    eventually("GHL hears the reply was delivered", || async {
        ghl.statuses(&message).contains(&"delivered".to_owned())
    })
    .await;
    contact.read(&got.id).await.unwrap();
    eventually("GHL hears it was read", || async {
        ghl.statuses(&message).last().map(String::as_str) == Some("read")
    })
    .await;

    let call = server.ring(CONTACT, SECOND, true, None).unwrap();
    eventually("the missed call is a message in the conversation", || async {
        ghl.inbound_messages().iter().any(|m| {
            m["altId"] == call.as_str()
                && m["contactId"] == contact_id.as_str()
                && m["message"] == "missed video call"
        })
    })
    .await;
    a_group_is_one_ghl_contact_and_the_inbox_answers_into_it(&ghl, &signing, &gw, &contact).await;
    finish(gw, &ghl).await;
}

/// The contact makes a group with the second number and writes in it: the
/// group is one GHL contact, named after it and tagged as a group, whose
/// conversation holds the message with its writer before it; the inbox's
/// reply to that contact reaches the group, from the second number.
async fn a_group_is_one_ghl_contact_and_the_inbox_answers_into_it(
    ghl: &FakeGhl,
    signing: &SigningKey,
    gw: &Gateway,
    contact: &Contact,
) {
    let group = contact.create_group("Opening hours", &[SECOND]).await.unwrap();
    let written = contact.send_group_text(&group, "who opens today?").await.unwrap();
    eventually("GHL gets the group's message", || async {
        ghl.inbound_messages()
            .iter()
            .any(|m| m["altId"] == written.as_str())
    })
    .await;
    let posted = ghl
        .inbound_messages()
        .into_iter()
        .find(|m| m["altId"] == written.as_str())
        .unwrap();
    assert_eq!(
        posted["message"],
        format!("{CONTACT}: who opens today?"),
        "{posted}"
    );
    let group_contact = posted["contactId"].as_str().unwrap().to_owned();
    let made = ghl.contact(&group_contact).expect("the group's contact");
    assert_eq!(
        (&made["name"], &made["tags"]),
        (&json!("Opening hours"), &json!(["whatsapp group"])),
        "{made}"
    );

    let to = (LOCATION, group_contact.as_str());
    inbox_reply(gw, ghl, signing, to, "I do, at 9", json!({})).await;
    let got = decrypted_where(contact, |m| m.text.as_deref() == Some("I do, at 9")).await;
    assert_eq!(got.group.as_deref(), Some(group.as_str()), "{got:?}");
    assert_eq!(format!("+{}", got.from), SECOND, "{got:?}");
}

/// The contact writes to the second number: GHL gets it once, as an
/// inbound message of the contact's conversation under its WhatsApp id,
/// the contact found or made by its phone number. Gives the contact's id.
async fn the_contacts_message_lands_in_its_conversation(ghl: &FakeGhl, contact: &Contact) -> String {
    let written = contact.send_text(SECOND, "hi, is it open today?").await.unwrap();
    let posted = |ghl: &FakeGhl| -> Vec<Value> {
        let messages = ghl.inbound_messages();
        messages
            .into_iter()
            .filter(|m| m["altId"] == written.as_str())
            .collect()
    };
    eventually("GHL gets the contact's message", || async {
        !posted(ghl).is_empty()
    })
    .await;
    let posted = posted(ghl);
    assert_eq!(posted.len(), 1, "once: {posted:?}");
    assert_eq!(posted[0]["message"], "hi, is it open today?", "{posted:?}");
    let contact_id = posted[0]["contactId"].as_str().unwrap().to_owned();
    let found = ghl.contact(&contact_id).expect("the contact in GHL");
    assert_eq!(found["phone"], CONTACT, "{found}");
    contact_id
}
