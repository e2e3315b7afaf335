//! A WhatsApp group in provider mode (#24 item 2): one GHL contact, named
//! after the group, tagged as one and made once (with Create Contact: a
//! group has no phone to upsert by), whose conversation holds each
//! member's message with the member's name; an agent's reply to that
//! contact goes to the group, from the number that is in it.

use crate::common::fake_ghl::FakeGhl;
use crate::common::provider::inbox_reply;
use crate::common::{eventually, Gateway, TestEnv};
use crate::ghl::provider_key;
use crate::ghl_provider::{finish, provider_gateway, LOCATION};
use reqwest::StatusCode;
use serde_json::{json, Value};

crate::both_backends!(a_group_is_one_ghl_contact_and_replies_go_to_the_group);

const BIA: &str = "+5511988887777";
const CAIO: &str = "+5511977776666";

async fn group_message(gw: &Gateway, body: Value) {
    let (status, reply) = gw.post("/api/sim/wa-01/inbound", body).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
}

async fn a_group_is_one_ghl_contact_and_replies_go_to_the_group(env: TestEnv) {
    let ghl = FakeGhl::start().await;
    let (signing, public) = provider_key();
    let gw = provider_gateway(&env, &ghl, public, true).await;
    let (status, page) = ghl.install(&gw, &ghl.location_install_code(LOCATION)).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let sales = json!({ "subject": "Sales team", "members": [BIA, CAIO] });
    let (status, group) = gw.post("/api/sim/wa-01/groups", sales).await;
    assert_eq!(status, StatusCode::OK, "{group}");
    let group = group["id"].as_str().unwrap().to_owned();

    let first =
        json!({ "from": BIA, "group": group, "text": "who has the keys?", "id": "WAG1", "pushName": "Bia" });
    group_message(&gw, first).await;
    group_message(
        &gw,
        json!({ "from": CAIO, "group": group, "text": "I do", "id": "WAG2" }),
    )
    .await;
    eventually("both messages are in GHL", || async {
        ghl.inbound_messages().len() == 2
    })
    .await;
    let messages = ghl.inbound_messages();
    let texts: Vec<_> = messages.iter().map(|m| m["message"].as_str().unwrap()).collect();
    assert_eq!(texts, ["Bia: who has the keys?", &format!("{CAIO}: I do")]);
    let contact_id = messages[0]["contactId"].as_str().unwrap().to_owned();
    assert_eq!(
        messages[1]["contactId"],
        contact_id.as_str(),
        "one contact for the group"
    );
    let contact = ghl.contact(&contact_id).unwrap();
    assert_eq!(
        (&contact["name"], &contact["tags"], &contact["phone"]),
        (&json!("Sales team"), &json!(["whatsapp group"]), &Value::Null)
    );
    let made = ghl
        .requests()
        .into_iter()
        .filter(|r| r.path.trim_end_matches('/') == "/contacts")
        .count();
    assert_eq!(
        made, 1,
        "the group's contact is made once, then found in the store"
    );

    // GHL's Delivery URL request for a contact without a phone.
    let to = (LOCATION, contact_id.as_str());
    let message = inbox_reply(&gw, &ghl, &signing, to, "on my way", json!({})).await;
    eventually("the reply reaches the group", || async {
        let sent = gw.sim_sent("wa-01").await;
        sent.iter()
            .any(|m| m["to"] == group.as_str() && m["text"] == "on my way")
    })
    .await;
    eventually("GHL hears it was delivered", || async {
        ghl.statuses(&message).contains(&"delivered".to_owned())
    })
    .await;
    finish(gw, &ghl).await;
}
