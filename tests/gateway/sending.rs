//! Sending: order, pacing, receipts, idempotency, media.

use crate::common::{eventually, TestEnv};
use reqwest::StatusCode;
use serde_json::json;
use wagate::domain::InstanceId;
use wagate::store::{InstanceRecord, NewOutbound};

crate::both_backends!(
    sends_arrive_in_order_with_their_accepted_ids_and_get_read,
    texts_and_media_are_paced_by_their_delays,
    instances_do_not_wait_on_each_other,
    the_same_idempotency_key_queues_once,
    the_ghl_workflow_route_queues_a_send,
    the_store_queues_nothing_for_an_instance_that_is_not_registered,
);

async fn sends_arrive_in_order_with_their_accepted_ids_and_get_read(env: TestEnv) {
    let gw = env.start(&[]).await;
    gw.linked_instance("wa-01", "+15550000001").await;
    let mut ids = Vec::new();
    for n in 0..5 {
        ids.push(
            gw.send_text("wa-01", "+55 11 99999-9999", &format!("message {n}"))
                .await,
        );
    }
    eventually("five messages reach the sim", || async {
        gw.sim_sent("wa-01").await.len() == 5
    })
    .await;
    let sent = gw.sim_sent("wa-01").await;
    let texts: Vec<_> = sent
        .iter()
        .map(|m| m["text"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(texts, (0..5).map(|n| format!("message {n}")).collect::<Vec<_>>());
    let sent_ids: Vec<_> = sent
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(sent_ids, ids);
    assert!(sent
        .iter()
        .all(|m| m["to"] == "+5511999999999" && m["attempts"] == 1));

    let last = ids.last().unwrap().clone();
    eventually("the read receipt is stored", || async {
        gw.get(&format!("/api/messages/{last}")).await.1["message"]["status"] == "read"
    })
    .await;
    gw.stop().await;
}

async fn texts_and_media_are_paced_by_their_delays(env: TestEnv) {
    let extra = [
        ("text-delay-ms", "300".to_owned()),
        ("media-delay-ms-min", "500".to_owned()),
        ("media-delay-ms-max", "700".to_owned()),
    ];
    let gw = env.start(&extra).await;
    gw.linked_instance("wa-01", "+15550000001").await;
    gw.send_text("wa-01", "+5511999999999", "first").await;
    gw.send_text("wa-01", "+5511999999999", "second").await;
    let image = json!({ "instanceId": "wa-01", "to": "+5511999999999", "type": "image",
                        "mediaUrl": "https://example.com/a.jpg", "caption": "look" });
    assert_eq!(gw.post("/api/send", image).await.0, StatusCode::ACCEPTED);
    eventually("three messages reach the sim", || async {
        gw.sim_sent("wa-01").await.len() == 3
    })
    .await;
    let sent = gw.sim_sent("wa-01").await;
    let at: Vec<i64> = sent.iter().map(|m| m["at"].as_i64().unwrap()).collect();
    assert!(at[1] - at[0] >= 300, "text gap {}", at[1] - at[0]);
    assert!(at[2] - at[1] >= 500, "media gap {}", at[2] - at[1]);
    assert_eq!(sent[2]["type"], "image");
    assert_eq!(sent[2]["caption"], "look");
    assert_eq!(sent[2]["mediaUrl"], "https://example.com/a.jpg");
    gw.stop().await;
}

async fn instances_do_not_wait_on_each_other(env: TestEnv) {
    let gw = env.start(&[("text-delay-ms", "60000".to_owned())]).await;
    gw.linked_instance("wa-01", "+15550000001").await;
    gw.linked_instance("wa-02", "+15550000002").await;
    gw.send_text("wa-01", "+5511999999999", "a1").await;
    gw.send_text("wa-01", "+5511999999999", "a2 waits a minute").await;
    gw.send_text("wa-02", "+5511999999999", "b1").await;
    eventually("wa-02 sends while wa-01 waits", || async {
        gw.sim_sent("wa-02").await.len() == 1
    })
    .await;
    assert_eq!(gw.sim_sent("wa-01").await.len(), 1);
    let (_, list) = gw.get("/api/instances").await;
    assert_eq!(list["instances"][0]["queueDepth"], 1);
    gw.stop().await;
}

async fn the_same_idempotency_key_queues_once(env: TestEnv) {
    let gw = env.start(&[]).await;
    gw.linked_instance("wa-01", "+15550000001").await;
    let body = json!({ "instanceId": "wa-01", "to": "+5511999999999", "message": "once" });
    let mut answers = Vec::new();
    for _ in 0..3 {
        let reply = gw
            .http
            .post(gw.url("/api/send"))
            .header("x-api-key", crate::common::KEY)
            .header("Idempotency-Key", "order-42")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), StatusCode::ACCEPTED);
        answers.push(reply.json::<serde_json::Value>().await.unwrap());
    }
    assert_eq!(answers[0]["duplicate"], false);
    assert!(answers
        .iter()
        .all(|a| a["id"] == answers[0]["id"] && a["jobId"] == answers[0]["id"]));
    assert_eq!(answers[2]["duplicate"], true);
    eventually("the message arrives", || async {
        gw.sim_sent("wa-01").await.len() == 1
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(gw.sim_sent("wa-01").await.len(), 1);
    gw.stop().await;
}

async fn the_ghl_workflow_route_queues_a_send(env: TestEnv) {
    let gw = env.start(&[]).await;
    gw.linked_instance("wa-01", "+15550000001").await;
    let (status, body) = gw
        .post(
            "/api/ghl/outbound",
            json!({ "instanceId": "wa-01", "to": "+51 987 654 321", "message": "from GHL" }),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let older =
        json!({ "locationId": "loc1", "contactId": "c1", "phone": "+51987654322", "message": "older shape" });
    let (status, body) = gw.post("/api/ghl/outbound", older).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    eventually("both arrive", || async { gw.sim_sent("wa-01").await.len() == 2 }).await;
    let sent = gw.sim_sent("wa-01").await;
    assert_eq!(
        (sent[0]["to"].as_str(), sent[1]["to"].as_str()),
        (Some("+51987654321"), Some("+51987654322"))
    );
    gw.stop().await;
}

fn outbound(id: &str, instance: &InstanceId) -> NewOutbound {
    NewOutbound {
        instance: instance.clone(),
        ..crate::store_contract::outbound(id)
    }
}

/// The API looks an instance up before it queues a send, but the instance
/// may be deleted in between (by another process, with Redis): the
/// enqueue itself refuses it, so nothing waits behind the deletion.
async fn the_store_queues_nothing_for_an_instance_that_is_not_registered(env: TestEnv) {
    let stores = env.open_stores().await;
    let wa07 = InstanceId::parse("wa-07").unwrap();
    let refused = stores
        .queue
        .enqueue(outbound("m1", &wa07), Some("k1".into()))
        .await;
    assert_eq!(refused.unwrap(), None);
    assert!(stores.queue.head(&wa07).await.unwrap().is_none());
    assert!(stores.log.message("m1").await.unwrap().is_none());

    let record = InstanceRecord::new(wa07.clone(), None, 1);
    stores.instances.save_instance(&record).await.unwrap();
    let taken = stores
        .queue
        .enqueue(outbound("m2", &wa07), Some("k1".into()))
        .await;
    let taken = taken.unwrap().expect("a registered instance's send is queued");
    assert_eq!(
        (taken.id.as_str(), taken.duplicate),
        ("m2", false),
        "the refused send left its key unused"
    );
    assert_eq!(stores.queue.head(&wa07).await.unwrap().unwrap().id, "m2");

    stores.instances.remove_instance(&wa07).await.unwrap();
    let after = stores.queue.enqueue(outbound("m3", &wa07), None).await;
    assert_eq!(after.unwrap(), None);
    assert!(stores.log.message("m3").await.unwrap().is_none());
}
