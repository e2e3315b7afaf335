//! Richer sends (#24 item 3): a reply quoting a message by id (one the
//! contact sent, or one of ours), a reaction, a location and a contact
//! card, through `POST /api/send` and GHL's workflow action alike, in the
//! one queue and in order; the sim records what each carried. Bad fields
//! are refused naming the field; an unknown quoted message is 404.

use crate::common::{eventually, Gateway, TestEnv};
use reqwest::StatusCode;
use serde_json::{json, Value};

crate::both_backends!(
    replies_reactions_locations_and_cards_go_out_in_order,
    a_workflow_sends_a_location_from_its_custom_data,
    rich_sends_are_refused_naming_the_field,
);

const CONTACT: &str = "+5511999999999";

async fn gateway(env: &TestEnv) -> Gateway {
    let gw = env.start(&[]).await;
    gw.linked_instance("wa-01", "+15550000001").await;
    gw
}

/// The contact writes `text` as message `id`; returns once it is stored.
async fn contact_writes(gw: &Gateway, id: &str, text: &str) {
    let message = json!({ "from": CONTACT, "text": text, "id": id });
    let (status, body) = gw.post("/api/sim/wa-01/inbound", message).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    eventually("the contact's message is stored", || async {
        gw.get(&format!("/api/messages/{id}")).await.0 == StatusCode::OK
    })
    .await;
}

async fn queued(gw: &Gateway, fields: Value) -> String {
    let (status, reply) = gw.send_with("wa-01", CONTACT, fields).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{reply}");
    reply["id"].as_str().unwrap().to_owned()
}

async fn replies_reactions_locations_and_cards_go_out_in_order(env: TestEnv) {
    let gw = gateway(&env).await;
    contact_writes(&gw, "WAIN1", "is it open?").await;
    let reply = queued(&gw, json!({ "message": "yes, until 6", "quotedId": "WAIN1" })).await;
    let reaction = queued(
        &gw,
        json!({ "type": "reaction", "reactTo": "WAIN1", "emoji": "👍🏽" }),
    )
    .await;
    let on_ours = queued(
        &gw,
        json!({ "type": "reaction", "reactTo": reply, "emoji": "❤️" }),
    )
    .await;
    let location = queued(
        &gw,
        json!({ "type": "location", "latitude": -23.5614, "longitude": "-46.6559",
                "name": "Office", "address": "Av. Paulista 1000", "quotedId": "WAIN1" }),
    )
    .await;
    let card = queued(
        &gw,
        json!({ "type": "contact", "contactName": "Ana; Sales", "contactPhone": "+55 11 98888-7777" }),
    )
    .await;
    eventually("all five reach the sim", || async {
        gw.sim_sent("wa-01").await.len() == 5
    })
    .await;
    let sent = gw.sim_sent("wa-01").await;
    let ids: Vec<&str> = sent.iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [&reply, &reaction, &on_ours, &location, &card],
        "in the order queued"
    );

    let quote = &sent[0]["details"]["quote"];
    assert_eq!(
        quote,
        &json!({ "id": "WAIN1", "fromMe": false, "sender": CONTACT, "text": "is it open?" })
    );
    assert_eq!(sent[0]["text"], "yes, until 6");
    assert_eq!(sent[1]["type"], "reaction");
    assert_eq!(sent[1]["details"]["reaction"]["emoji"], "👍🏽");
    assert_eq!(sent[1]["details"]["reaction"]["target"]["id"], "WAIN1");
    let ours = &sent[2]["details"]["reaction"]["target"];
    assert_eq!(
        (ours["id"].as_str(), ours["fromMe"].as_bool()),
        (Some(reply.as_str()), Some(true))
    );
    let place = &sent[3]["details"]["location"];
    assert_eq!(
        place,
        &json!({ "latitude": -23.5614, "longitude": -46.6559, "name": "Office", "address": "Av. Paulista 1000" })
    );
    assert_eq!(
        sent[3]["details"]["quote"]["id"], "WAIN1",
        "a location may quote too"
    );
    assert_eq!(
        sent[4]["details"]["contact"],
        json!({ "name": "Ana; Sales", "phone": "+5511988887777" })
    );
    let vcard = sent[4]["vcard"].as_str().unwrap();
    assert!(vcard.contains("FN:Ana\\; Sales\n"), "{vcard}");
    assert!(vcard.contains("waid=5511988887777:+5511988887777"), "{vcard}");

    let (_, stored) = gw.get(&format!("/api/messages/{location}")).await;
    assert_eq!(stored["message"]["type"], "location");
    assert_eq!(stored["message"]["details"]["location"]["latitude"], -23.5614);
    let (_, history) = gw.get("/api/messages/history?instanceId=wa-01").await;
    let listed = history["messages"].as_array().unwrap();
    let shown = listed.iter().find(|m| m["id"] == location.as_str()).unwrap();
    assert_eq!(
        (shown["text"].as_str(), shown["messageType"].as_str()),
        (Some("Office"), Some("location"))
    );
    let reacted = listed.iter().find(|m| m["id"] == reaction.as_str()).unwrap();
    assert_eq!(reacted["text"], "👍🏽");
    gw.stop().await;
}

async fn a_workflow_sends_a_location_from_its_custom_data(env: TestEnv) {
    let gw = gateway(&env).await;
    contact_writes(&gw, "WAIN2", "where are you?").await;
    let body = json!({
        "instanceId": "wa-01",
        "phone": CONTACT,
        "customData": { "type": "location", "latitude": "40.4168", "longitude": "-3.7038",
                        "name": "Madrid office", "quotedId": "WAIN2" },
    });
    let (status, reply) = gw.post("/api/ghl/outbound", body).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{reply}");
    assert_eq!(reply["type"], "location");
    eventually("the location reaches the sim", || async {
        gw.sim_sent("wa-01").await.len() == 1
    })
    .await;
    let sent = &gw.sim_sent("wa-01").await[0];
    assert_eq!(sent["details"]["location"]["longitude"], -3.7038);
    assert_eq!(sent["details"]["quote"]["id"], "WAIN2");
    gw.stop().await;
}

async fn rich_sends_are_refused_naming_the_field(env: TestEnv) {
    let gw = gateway(&env).await;
    contact_writes(&gw, "WAIN3", "hello").await;
    let ours = gw.send_text("wa-01", "+5511977776666", "to someone else").await;
    let cases = [
        (
            json!({ "type": "location", "latitude": 95, "longitude": 0 }),
            400,
            "latitude",
        ),
        (
            json!({ "type": "location", "latitude": 0, "longitude": "east" }),
            400,
            "longitude",
        ),
        (
            json!({ "type": "reaction", "reactTo": "WAIN3", "emoji": "yes" }),
            400,
            "emoji",
        ),
        (
            json!({ "type": "reaction", "reactTo": "WAIN3", "emoji": "👍👎" }),
            400,
            "emoji",
        ),
        (json!({ "type": "reaction", "emoji": "👍" }), 400, "reactTo"),
        (
            json!({ "type": "contact", "contactPhone": "+5511988887777" }),
            400,
            "contactName",
        ),
        (
            json!({ "type": "contact", "contactName": "Ana", "contactPhone": "12" }),
            400,
            "contactPhone",
        ),
        (json!({ "type": "buttons", "message": "pick one" }), 400, "type"),
        (json!({ "message": "hi", "quotedId": "NOPE" }), 404, "quotedId"),
        (
            json!({ "type": "reaction", "reactTo": "NOPE", "emoji": "👍" }),
            404,
            "reactTo",
        ),
        (json!({ "message": "hi", "quotedId": ours }), 400, "quotedId"),
    ];
    for (fields, status, field) in cases {
        let (got, reply) = gw.send_with("wa-01", CONTACT, fields.clone()).await;
        assert_eq!(got.as_u16(), status, "{fields}: {reply}");
        assert_eq!(reply["field"], field, "{fields}: {reply}");
        assert_eq!(reply["success"], false);
    }
    let unknown = json!({ "message": "hi", "quotedId": "NOPE" });
    let (_, reply) = gw.send_with("wa-01", CONTACT, unknown).await;
    assert_eq!(reply["code"], "unknown_message");
    gw.stop().await;
}
