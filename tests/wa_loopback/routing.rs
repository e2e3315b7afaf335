//! Sticky routing (issue #24 item 1) over the real client: a location with
//! two linked numbers answers a contact from the number the contact wrote
//! to, however WhatsApp addressed the contact (phone number or LID), and
//! from the location's next number once that one is logged out.

use crate::common::{eventually, Gateway, TestEnv};
use crate::{decrypted, real_gateway, two_numbers_and_a_contact, DEFAULT, LOCATION, SECOND};
use reqwest::StatusCode;
use serde_json::json;
use wa_loopback::{Contact, LoopbackServer};

const CONTACT: &str = "+5511977770007";

crate::both_backends!(a_reply_goes_from_the_number_the_contact_wrote_to_until_it_is_lost);

async fn a_reply_goes_from_the_number_the_contact_wrote_to_until_it_is_lost(env: TestEnv) {
    let server = LoopbackServer::start().await.unwrap();
    let gw = real_gateway(&env, &server).await;
    let contact = two_numbers_and_a_contact(&gw, &server, CONTACT).await;

    let written = contact.send_text(SECOND, "hi, number two").await.unwrap();
    eventually("the gateway has the contact's message", || async {
        gw.get(&format!("/api/messages/{written}")).await.0 == StatusCode::OK
    })
    .await;
    let reply = workflow_send(&gw, "reply from two").await;
    assert_eq!(sender_of(&contact, &reply).await, SECOND);

    server.remove_devices(SECOND).unwrap();
    gw.wait_status("wa-02", "LOGGED_OUT").await;
    let reply = workflow_send(&gw, "two is gone, one answers").await;
    assert_eq!(sender_of(&contact, &reply).await, DEFAULT);
    gw.stop().await;
}

/// A GHL workflow's send to the contact, for `LOCATION`.
async fn workflow_send(gw: &Gateway, text: &str) -> String {
    let body = json!({ "locationId": LOCATION, "phone": CONTACT, "message": text });
    let (status, reply) = gw.post("/api/ghl/outbound", body).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{reply}");
    reply["id"].as_str().unwrap().to_owned()
}

/// The number the contact's client decrypted message `id` from.
async fn sender_of(contact: &Contact, id: &str) -> String {
    format!("+{}", decrypted(contact, id).await.from)
}
