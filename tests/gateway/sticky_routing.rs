//! A location's numbers: a reply goes from the number the contact talked
//! with last; when that number is lost, from the location's next one; a
//! new contact gets the default number, the least loaded one or the next
//! in turn, and keeps it from its first send on; a number WhatsApp keeps
//! from new contacts (463) gets none.

use crate::common::{eventually, Gateway, TestEnv};
use reqwest::{Method, StatusCode};
use serde_json::json;

crate::both_backends!(
    replies_follow_the_contact_and_move_when_its_number_is_lost,
    new_contacts_can_be_spread_to_the_least_loaded_number,
    a_new_contact_keeps_its_number_before_anything_went_out,
    new_contacts_take_the_numbers_in_turn,
    a_number_kept_from_new_contacts_gets_none_but_keeps_its_own,
);

const TALKED_TO_WA02: &str = "+5511944440004";
const NEW_CONTACT: &str = "+5511955550005";

async fn two_numbers(gw: &Gateway, new_contacts: &str) {
    gw.linked_instance("wa-01", "+15550000001").await;
    gw.linked_instance("wa-02", "+15550000002").await;
    let route =
        json!({ "defaultInstanceId": "wa-01", "instanceIds": ["wa-02"], "newContacts": new_contacts });
    let (status, body) = gw.call(Method::PUT, "/api/ghl/locations/loc1", Some(route)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

async fn workflow_send(gw: &Gateway, phone: &str, text: &str) -> String {
    let body = json!({ "locationId": "loc1", "phone": phone, "message": text });
    let (status, reply) = gw.post("/api/ghl/outbound", body).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{reply}");
    reply["id"].as_str().unwrap().to_owned()
}

/// The number a send went into the queue of.
async fn number_of(gw: &Gateway, message_id: &str) -> String {
    let (status, message) = gw.get(&format!("/api/messages/{message_id}")).await;
    assert_eq!(status, StatusCode::OK, "{message}");
    message["message"]["instanceId"].as_str().unwrap().to_owned()
}

/// The instance sends its next message only ten minutes after the last.
async fn slow_down(gw: &Gateway, instance: &str) {
    let slow = json!({ "textDelayMs": { "min": 600000, "max": 600000 } });
    let path = format!("/api/instances/{instance}/settings");
    let (status, body) = gw.call(Method::PUT, &path, Some(slow)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

async fn texts_of(gw: &Gateway, instance: &str) -> Vec<String> {
    let sent = gw.sim_sent(instance).await;
    sent.iter()
        .map(|m| m["text"].as_str().unwrap().to_owned())
        .collect()
}

async fn replies_follow_the_contact_and_move_when_its_number_is_lost(env: TestEnv) {
    let gw = env.start(&[]).await;
    two_numbers(&gw, "default").await;
    let inbound = json!({ "from": TALKED_TO_WA02, "text": "hi, number two", "id": "WASTICKY1" });
    assert_eq!(gw.post("/api/sim/wa-02/inbound", inbound).await.0, StatusCode::OK);
    eventually("the inbound message is stored", || async {
        gw.get("/api/messages/WASTICKY1").await.0 == StatusCode::OK
    })
    .await;

    workflow_send(&gw, TALKED_TO_WA02, "reply from two").await;
    workflow_send(&gw, NEW_CONTACT, "hello from the default").await;
    eventually("both go out", || async {
        texts_of(&gw, "wa-02").await.len() == 1 && texts_of(&gw, "wa-01").await.len() == 1
    })
    .await;
    assert_eq!(texts_of(&gw, "wa-02").await, ["reply from two"]);
    assert_eq!(texts_of(&gw, "wa-01").await, ["hello from the default"]);

    gw.post("/api/sim/wa-02/logout", json!({})).await;
    gw.wait_status("wa-02", "LOGGED_OUT").await;
    workflow_send(&gw, TALKED_TO_WA02, "two is gone, one answers").await;
    eventually("the reply goes from the next number", || async {
        texts_of(&gw, "wa-01").await.len() == 2
    })
    .await;
    assert_eq!(texts_of(&gw, "wa-01").await[1], "two is gone, one answers");
    let metrics = reqwest::get(gw.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("wagate_route_failovers_total 1"), "{metrics}");
    gw.stop().await;
}

async fn new_contacts_can_be_spread_to_the_least_loaded_number(env: TestEnv) {
    let gw = env.start(&[]).await;
    two_numbers(&gw, "leastLoaded").await;
    slow_down(&gw, "wa-01").await;
    for n in 0..3 {
        gw.send_text("wa-01", "+5511966660006", &format!("busy {n}"))
            .await;
    }
    eventually("wa-01 has a queue", || async {
        texts_of(&gw, "wa-01").await.len() == 1
    })
    .await;
    workflow_send(&gw, NEW_CONTACT, "to the idle number").await;
    eventually("the new contact is served by wa-02", || async {
        texts_of(&gw, "wa-02").await == ["to the idle number"]
    })
    .await;
    let (status, bad) = gw
        .call(
            Method::PUT,
            "/api/ghl/locations/loc1",
            Some(json!({ "defaultInstanceId": "wa-01", "newContacts": "random" })),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    assert_eq!(bad["field"], "newContacts");
    gw.stop().await;
}

/// Two sends to a new contact, the second accepted while the first still
/// waits in its queue: the first made wa-01 the busier number, yet the
/// second follows it rather than going to the less loaded wa-02.
async fn a_new_contact_keeps_its_number_before_anything_went_out(env: TestEnv) {
    let gw = env.start(&[]).await;
    two_numbers(&gw, "leastLoaded").await;
    for (n, instance) in ["wa-01", "wa-02"].into_iter().enumerate() {
        slow_down(&gw, instance).await;
        gw.send_text(instance, &format!("+551196666000{n}"), "sent at once")
            .await;
    }
    eventually("both numbers sent and now wait", || async {
        texts_of(&gw, "wa-01").await.len() == 1 && texts_of(&gw, "wa-02").await.len() == 1
    })
    .await;
    let first = workflow_send(&gw, NEW_CONTACT, "first").await;
    let second = workflow_send(&gw, NEW_CONTACT, "second").await;
    assert_eq!(number_of(&gw, &first).await, "wa-01");
    assert_eq!(number_of(&gw, &second).await, "wa-01");
    gw.stop().await;
}

/// Contacts a, b, a, c with `roundRobin`: a and b take turns, a's second
/// send keeps its number without taking a turn, so c gets the next one.
async fn new_contacts_take_the_numbers_in_turn(env: TestEnv) {
    let gw = env.start(&[]).await;
    two_numbers(&gw, "roundRobin").await;
    let mut numbers = Vec::new();
    for phone in [
        "+5511977770001",
        "+5511977770002",
        "+5511977770001",
        "+5511977770003",
    ] {
        let id = workflow_send(&gw, phone, "hello").await;
        numbers.push(number_of(&gw, &id).await);
    }
    assert_eq!(numbers, ["wa-01", "wa-02", "wa-01", "wa-01"]);
    gw.stop().await;
}

/// The default number is refused with 463 for a stranger, so WhatsApp
/// keeps it from new contacts: a new contact goes from wa-02 instead,
/// while a contact who wrote to the default number is still answered
/// from it.
async fn a_number_kept_from_new_contacts_gets_none_but_keeps_its_own(env: TestEnv) {
    let gw = env.start(&[]).await;
    two_numbers(&gw, "default").await;
    let stranger = "+5511966660006";
    let refuse = json!({ "to": stranger });
    assert_eq!(gw.post("/api/sim/wa-01/refuse", refuse).await.0, StatusCode::OK);
    gw.send_text("wa-01", stranger, "hello stranger").await;
    eventually("wa-01 is kept from new contacts", || async {
        let (_, one) = gw.get("/api/instances/wa-01").await;
        one["instance"]["sending"]["newContactBlock"].is_object()
    })
    .await;
    let known = "+5511944440009";
    let inbound = json!({ "from": known, "text": "hi, number one", "id": "WAKEPT1" });
    assert_eq!(gw.post("/api/sim/wa-01/inbound", inbound).await.0, StatusCode::OK);
    eventually("the inbound message is stored", || async {
        gw.get("/api/messages/WAKEPT1").await.0 == StatusCode::OK
    })
    .await;

    let fresh = workflow_send(&gw, NEW_CONTACT, "hello from two").await;
    assert_eq!(number_of(&gw, &fresh).await, "wa-02");
    let reply = workflow_send(&gw, known, "a reply from one").await;
    assert_eq!(number_of(&gw, &reply).await, "wa-01");
    gw.stop().await;
}
