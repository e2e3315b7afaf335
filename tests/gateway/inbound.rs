//! Inbound: forwarded with the right fields, once; retried while the
//! receiver fails; a dead letter after the last try, and sent again on demand
//! (at once when it waits for a retry; not while a try is under way); a
//! stopping gateway hands back what it had not tried.

use crate::common::receiver::Receiver;
use crate::common::{eventually, Gateway, TestEnv};
use reqwest::StatusCode;
use serde_json::json;

crate::both_backends!(
    an_inbound_message_reaches_the_receiver_with_every_field_once,
    media_messages_carry_url_and_caption,
    a_failing_receiver_is_retried_until_it_takes_the_message,
    after_the_last_try_a_forward_is_dead_until_retried,
    a_forward_waiting_for_a_retry_is_sent_at_once_on_demand,
    a_forward_being_tried_is_not_sent_again_on_demand,
    a_receiver_that_is_down_gets_the_message_when_it_comes_back,
    a_stop_hands_back_the_forwards_it_had_not_tried,
);

async fn gateway_with(receiver: &Receiver, env: &TestEnv, attempts: u32) -> Gateway {
    let extra = [
        ("ghl-inbound-url", receiver.url()),
        ("forward-max-attempts", attempts.to_string()),
    ];
    let gw = env.start(&extra).await;
    gw.linked_instance("wa-01", "+15550000001").await;
    gw
}

async fn an_inbound_message_reaches_the_receiver_with_every_field_once(env: TestEnv) {
    let receiver = Receiver::start().await;
    let gw = gateway_with(&receiver, &env, 5).await;
    let message = json!({ "from": "+5511999999999", "text": "hi there", "id": "WAID1", "pushName": "Ana" });
    assert_eq!(
        gw.post("/api/sim/wa-01/inbound", message.clone()).await.0,
        StatusCode::OK
    );
    assert_eq!(gw.post("/api/sim/wa-01/inbound", message).await.0, StatusCode::OK);
    eventually("the receiver got it", || async { receiver.received().len() == 1 }).await;
    let got = &receiver.received()[0];
    let body = &got.body;
    assert_eq!(body["instanceId"], "wa-01");
    assert_eq!(body["from"], "+5511999999999");
    assert_eq!(body["to"], "+15550000001");
    assert_eq!(body["text"], "hi there");
    assert_eq!(body["messageId"], "WAID1");
    assert_eq!(body["type"], "text");
    assert_eq!(body["pushName"], "Ana");
    assert!(body["timestamp"].as_str().unwrap().ends_with('Z'));
    assert_eq!(got.forward_id.as_deref(), body["forwardId"].as_str());
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(
        receiver.received().len(),
        1,
        "a replayed message id is forwarded once"
    );
    let (_, history) = gw
        .get("/api/messages/history?instanceId=wa-01&type=inbound")
        .await;
    assert_eq!(history["count"], 1);
    assert_eq!(history["messages"][0]["from"], "+5511999999999");
    gw.stop().await;
}

async fn media_messages_carry_url_and_caption(env: TestEnv) {
    let receiver = Receiver::start().await;
    let gw = gateway_with(&receiver, &env, 5).await;
    let message = json!({ "from": "+5511999999999", "type": "image", "text": "a photo", "mediaUrl": "https://example.com/p.jpg" });
    gw.post("/api/sim/wa-01/inbound", message).await;
    eventually("the receiver got it", || async { receiver.received().len() == 1 }).await;
    let body = &receiver.received()[0].body;
    assert_eq!(
        (body["type"].as_str(), body["caption"].as_str()),
        (Some("image"), Some("a photo"))
    );
    assert_eq!(body["mediaUrl"], "https://example.com/p.jpg");
    gw.stop().await;
}

async fn a_failing_receiver_is_retried_until_it_takes_the_message(env: TestEnv) {
    let receiver = Receiver::start().await;
    receiver.answer_next(&[503, 500, 429]);
    let gw = gateway_with(&receiver, &env, 8).await;
    gw.post(
        "/api/sim/wa-01/inbound",
        json!({ "from": "+5511999999999", "text": "retry me" }),
    )
    .await;
    eventually("delivered after three failures", || async {
        receiver.received().len() == 1
    })
    .await;
    assert_eq!(receiver.attempts(), 4);
    let (_, delivered) = gw.get("/api/forwards?status=delivered").await;
    assert_eq!(delivered["forwards"][0]["attempts"], 4);
    gw.stop().await;
}

async fn after_the_last_try_a_forward_is_dead_until_retried(env: TestEnv) {
    let receiver = Receiver::start().await;
    receiver.answer_always(Some(500));
    let gw = gateway_with(&receiver, &env, 3).await;
    gw.post(
        "/api/sim/wa-01/inbound",
        json!({ "from": "+5511999999999", "text": "doomed" }),
    )
    .await;
    let forward = gw.the_dead_forward().await;
    assert_eq!(receiver.attempts(), 3);
    assert!(forward["lastError"].as_str().unwrap().contains("500"));
    assert_eq!(forward["payload"]["text"], "doomed");

    receiver.answer_always(None);
    let id = forward["id"].as_str().unwrap();
    let (status, _) = gw.post(&format!("/api/forwards/{id}/retry"), json!({})).await;
    assert_eq!(status, StatusCode::OK);
    eventually("the retried forward is delivered", || async {
        receiver.received().len() == 1
    })
    .await;
    assert_eq!(gw.get("/api/forwards?status=dead").await.1["count"], 0);
    assert_eq!(
        gw.post("/api/forwards/nope/retry", json!({})).await.0,
        StatusCode::NOT_FOUND
    );
    gw.stop().await;
}

/// A gateway with `extra` settings that got one inbound message; the id
/// of its (pending) forward.
async fn one_inbound_forward(env: &TestEnv, extra: &[(&str, String)]) -> (Gateway, String) {
    let gw = env.start(extra).await;
    gw.linked_instance("wa-01", "+15550000001").await;
    let contact = json!({ "from": "+5511999999999", "text": "one" });
    gw.post("/api/sim/wa-01/inbound", contact).await;
    let pending_id = || async {
        let (_, pending) = gw.get("/api/forwards?status=pending").await;
        pending["forwards"][0]["id"].as_str().map(str::to_owned)
    };
    eventually("the forward is stored", || async { pending_id().await.is_some() }).await;
    let id = pending_id().await.unwrap();
    (gw, id)
}

async fn a_forward_waiting_for_a_retry_is_sent_at_once_on_demand(env: TestEnv) {
    let receiver = Receiver::start().await;
    receiver.answer_next(&[503]);
    let extra = [
        ("ghl-inbound-url", receiver.url()),
        ("forward-retry-base-ms", "60000".to_owned()),
        ("forward-retry-max-ms", "60000".to_owned()),
    ];
    let (gw, id) = one_inbound_forward(&env, &extra).await;
    eventually("the first try failed", || async {
        gw.get("/api/forwards?status=pending").await.1["forwards"][0]["attempts"] == 1
    })
    .await;
    let (status, _) = gw.post(&format!("/api/forwards/{id}/retry"), json!({})).await;
    assert_eq!(status, StatusCode::OK);
    eventually("the retry went out without waiting a minute", || async {
        receiver.received().len() == 1
    })
    .await;
    assert_eq!(receiver.attempts(), 2);
    gw.stop().await;
}

async fn a_forward_being_tried_is_not_sent_again_on_demand(env: TestEnv) {
    let receiver = Receiver::start().await;
    receiver.hold_next(1);
    let extra = [
        ("ghl-inbound-url", receiver.url()),
        ("forward-timeout-ms", "20000".to_owned()),
    ];
    let (gw, id) = one_inbound_forward(&env, &extra).await;
    eventually("the first try is under way", || async {
        receiver.attempts() == 1
    })
    .await;
    let (status, refused) = gw.post(&format!("/api/forwards/{id}/retry"), json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert_eq!(
        (refused["success"].as_bool(), refused["code"].as_str()),
        (Some(false), Some("forward_in_flight"))
    );
    receiver.release();
    eventually("the try in flight is delivered", || async {
        gw.get("/api/forwards?status=delivered").await.1["count"] == 1
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(receiver.attempts(), 1, "the refused retry sent nothing");
    gw.stop().await;
}

async fn a_receiver_that_is_down_gets_the_message_when_it_comes_back(env: TestEnv) {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let extra = [
        ("ghl-inbound-url", format!("http://127.0.0.1:{port}/hook")),
        ("forward-max-attempts", "50".into()),
    ];
    let gw = env.start(&extra).await;
    gw.linked_instance("wa-01", "+15550000001").await;
    gw.post(
        "/api/sim/wa-01/inbound",
        json!({ "from": "+5511999999999", "text": "wait for me" }),
    )
    .await;
    eventually("a failed try is recorded", || async {
        gw.get("/api/forwards?status=pending").await.1["forwards"][0]["attempts"]
            .as_u64()
            .unwrap_or(0)
            >= 1
    })
    .await;
    let receiver = Receiver::start_on(port).await;
    eventually("delivered once the receiver is up", || async {
        receiver.received().len() == 1
    })
    .await;
    gw.stop().await;
}

/// Four messages of one chat: the first try hangs at the receiver, the
/// other three wait their turn when the gateway stops (its stop cut short
/// by SHUTDOWN_TIMEOUT). They were claimed for two minutes; handed back,
/// the next start forwards them at once.
async fn a_stop_hands_back_the_forwards_it_had_not_tried(env: TestEnv) {
    let receiver = Receiver::start().await;
    receiver.hold_next(1);
    let extra = [
        ("ghl-inbound-url", receiver.url()),
        ("forward-timeout-ms", "20000".to_owned()),
        ("shutdown-timeout", "500ms".to_owned()),
    ];
    let gw = env.start(&extra).await;
    gw.linked_instance("wa-01", "+15550000001").await;
    for n in 0..4 {
        let inbound = json!({ "from": "+5511999999999", "text": format!("m{n}") });
        gw.post("/api/sim/wa-01/inbound", inbound).await;
    }
    eventually("the first try is under way and the rest wait", || async {
        let (_, pending) = gw.get("/api/forwards?status=pending").await;
        receiver.attempts() == 1 && pending["count"] == 4
    })
    .await;
    gw.stop().await;

    let gw = env.start(&extra).await;
    let texts = || {
        let received = receiver.received();
        received
            .iter()
            .map(|r| r.body["text"].clone())
            .collect::<Vec<_>>()
    };
    eventually("the untried forwards arrive after the restart", || async {
        ["m1", "m2", "m3"].iter().all(|t| texts().contains(&json!(t)))
    })
    .await;
    receiver.release();
    gw.stop().await;
}
