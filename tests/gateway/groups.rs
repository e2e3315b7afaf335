//! Groups (#24 item 2): an instance lists the groups its number is in
//! (`[{id, subject, size}]`), `to` takes a group id, a member's message in
//! a group reaches the webhook with the group's id and subject and who
//! wrote it, and a reply may quote it in the group (not elsewhere).

use crate::common::receiver::Receiver;
use crate::common::{eventually, Gateway, TestEnv};
use reqwest::StatusCode;
use serde_json::{json, Value};

crate::both_backends!(
    groups_are_listed_and_sent_to,
    a_group_message_names_its_group_and_writer_and_can_be_quoted,
);

const MEMBER: &str = "+5511988887777";
const SUPPORT: &str = "120363000000000042@g.us";

async fn gateway(env: &TestEnv, receiver: Option<&Receiver>) -> Gateway {
    let extra: Vec<(&str, String)> = receiver
        .map(|r| ("ghl-inbound-url", r.url()))
        .into_iter()
        .collect();
    let gw = env.start(&extra).await;
    gw.linked_instance("wa-01", "+15550000001").await;
    gw
}

/// Makes the number a member of a group; returns its id.
async fn sim_group(gw: &Gateway, body: Value) -> String {
    let (status, reply) = gw.post("/api/sim/wa-01/groups", body).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    reply["id"].as_str().unwrap().to_owned()
}

async fn sales_group(gw: &Gateway) -> String {
    sim_group(
        gw,
        json!({ "subject": "Sales team", "members": ["+5511999999999", MEMBER] }),
    )
    .await
}

async fn send(gw: &Gateway, to: &str, fields: Value) -> (StatusCode, Value) {
    gw.send_with("wa-01", to, fields).await
}

async fn groups_are_listed_and_sent_to(env: TestEnv) {
    let gw = gateway(&env, None).await;
    let sales = sales_group(&gw).await;
    assert!(sales.ends_with("@g.us"), "{sales}");
    let support = sim_group(&gw, json!({ "subject": "Support", "id": SUPPORT })).await;
    assert_eq!(support, SUPPORT);

    let (status, listed) = gw.get("/api/instances/wa-01/groups").await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    assert_eq!(listed["count"], 2);
    let groups = listed["groups"].as_array().unwrap();
    let find = |id: &str| groups.iter().find(|g| g["id"] == id).cloned().unwrap();
    assert_eq!(
        find(&sales),
        json!({ "id": sales, "subject": "Sales team", "size": 3 })
    );
    assert_eq!(
        find(SUPPORT),
        json!({ "id": SUPPORT, "subject": "Support", "size": 1 })
    );

    let (status, reply) = send(&gw, &sales, json!({ "message": "hello team" })).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{reply}");
    let card = json!({ "type": "contact", "contactName": "Ana", "contactPhone": MEMBER });
    assert_eq!(send(&gw, SUPPORT, card).await.0, StatusCode::ACCEPTED);
    eventually("both reach the sim", || async {
        gw.sim_sent("wa-01").await.len() == 2
    })
    .await;
    let sent = gw.sim_sent("wa-01").await;
    assert_eq!(
        (sent[0]["to"].as_str(), sent[0]["text"].as_str()),
        (Some(sales.as_str()), Some("hello team"))
    );
    assert_eq!(sent[1]["to"], SUPPORT);

    let (_, reply) = send(&gw, "120363999999999999@g.us", json!({ "message": "anyone?" })).await;
    let id = reply["id"].as_str().unwrap().to_owned();
    eventually("a send to a group the number is not in fails", || async {
        gw.get(&format!("/api/messages/{id}")).await.1["message"]["status"] == "failed"
    })
    .await;
    let (status, reply) = send(&gw, "12ab@g.us", json!({ "message": "hi" })).await;
    assert_eq!(
        (status, reply["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("to")),
        "{reply}"
    );
    assert_eq!(
        gw.get("/api/instances/wa-77/groups").await.0,
        StatusCode::NOT_FOUND
    );
    gw.stop().await;
}

async fn a_group_message_names_its_group_and_writer_and_can_be_quoted(env: TestEnv) {
    let receiver = Receiver::start().await;
    let gw = gateway(&env, Some(&receiver)).await;
    let sales = sales_group(&gw).await;
    let message = json!({ "from": MEMBER, "group": sales, "text": "who has the keys?", "id": "WAG1", "pushName": "Bia" });
    let (status, reply) = gw.post("/api/sim/wa-01/inbound", message).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    eventually("the webhook got it", || async { receiver.received().len() == 1 }).await;
    let body = &receiver.received()[0].body;
    assert_eq!(body["isGroup"], true);
    assert_eq!(body["chatId"], sales.as_str());
    assert_eq!(body["from"], MEMBER);
    assert_eq!(body["pushName"], "Bia");
    assert_eq!(
        body["group"],
        json!({ "id": sales, "subject": "Sales team", "participant": MEMBER })
    );

    let (status, reply) = send(&gw, &sales, json!({ "message": "I do", "quotedId": "WAG1" })).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{reply}");
    eventually("the reply reaches the sim", || async {
        gw.sim_sent("wa-01").await.len() == 1
    })
    .await;
    let quote = &gw.sim_sent("wa-01").await[0]["details"]["quote"];
    assert_eq!(
        (quote["id"].as_str(), quote["sender"].as_str()),
        (Some("WAG1"), Some(MEMBER))
    );
    let (status, reply) = send(&gw, MEMBER, json!({ "message": "I do", "quotedId": "WAG1" })).await;
    assert_eq!(
        (status, reply["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("quotedId")),
        "{reply}"
    );

    let (status, reply) = gw
        .post(
            "/api/sim/wa-01/inbound",
            json!({ "from": MEMBER, "group": "nope@g.us", "text": "x" }),
        )
        .await;
    assert_eq!(
        (status, reply["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("group")),
        "{reply}"
    );
    gw.stop().await;
}
