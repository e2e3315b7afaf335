//! Per-number webhooks (`/api/instances/{id}/webhooks`): each webhook gets
//! the events it subscribed to and nothing else, of its own instance only,
//! once each, signed with its own secret (or WEBHOOK_SECRET), retried until
//! the receiver takes it, a dead letter after the last try; a removed
//! webhook's pending forwards become dead letters without a try. The API
//! refuses what cannot be a webhook with a JSON 400 naming the field.

use crate::common::receiver::Receiver;
use crate::common::{eventually, Gateway, TestEnv};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::time::Duration;

crate::both_backends!(
    each_hook_gets_only_the_events_it_took_and_only_of_its_instance,
    two_hooks_on_one_instance_each_get_their_copy_once,
    a_hooks_own_secret_signs_it_and_the_global_secret_is_the_default,
    a_hook_receiver_that_is_down_gets_the_message_when_it_comes_back,
    after_the_last_try_a_hook_forward_is_a_dead_letter,
    a_removed_hooks_pending_forward_becomes_a_dead_letter_without_a_try,
    an_instance_hook_hears_the_state_changes,
    the_api_manages_hooks_and_refuses_what_cannot_be_one,
    a_missed_call_goes_to_the_calls_hooks_only,
);

/// A gateway whose webhooks may point at the test receivers (loopback),
/// with wa-01 linked.
async fn gateway(env: &TestEnv, extra: &[(&str, String)]) -> Gateway {
    let mut all = vec![("allow-private-webhook-urls", "true".to_owned())];
    all.extend_from_slice(extra);
    let gw = env.start(&all).await;
    gw.linked_instance("wa-01", "+15550000001").await;
    gw
}

/// Adds a webhook; its id.
async fn add_hook(gw: &Gateway, instance: &str, fields: Value) -> String {
    let (status, body) = gw
        .post(&format!("/api/instances/{instance}/webhooks"), fields)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["webhook"]["id"].as_str().unwrap().to_owned()
}

async fn inbound(gw: &Gateway, text: &str) {
    let message = json!({ "from": "+5511999999999", "text": text });
    assert_eq!(gw.post("/api/sim/wa-01/inbound", message).await.0, StatusCode::OK);
}

fn events(receiver: &Receiver) -> Vec<String> {
    let received = receiver.received();
    received
        .iter()
        .map(|r| r.body["event"].as_str().unwrap().to_owned())
        .collect()
}

async fn each_hook_gets_only_the_events_it_took_and_only_of_its_instance(env: TestEnv) {
    let (messages, statuses, other) = (
        Receiver::start().await,
        Receiver::start().await,
        Receiver::start().await,
    );
    let gw = gateway(&env, &[]).await;
    gw.linked_instance("wa-02", "+15550000002").await;
    let messages_id = add_hook(
        &gw,
        "wa-01",
        json!({ "url": messages.url(), "events": ["messages"] }),
    )
    .await;
    add_hook(
        &gw,
        "wa-01",
        json!({ "url": statuses.url(), "events": ["statuses"] }),
    )
    .await;
    let all = ["messages", "statuses", "instance", "calls"];
    add_hook(&gw, "wa-02", json!({ "url": other.url(), "events": all })).await;

    inbound(&gw, "hello").await;
    let sent = gw.send_text("wa-01", "+5511999999999", "a reply").await;
    eventually("the statuses hook hears sent, delivered and read", || async {
        statuses.received().len() == 3
    })
    .await;
    eventually("the messages hook gets the message", || async {
        messages.received().len() == 1
    })
    .await;
    tokio::time::sleep(Duration::from_millis(400)).await;

    let got = &messages.received()[0];
    assert_eq!(events(&messages), ["message"], "a messages hook gets no statuses");
    assert_eq!(got.body["text"], "hello");
    assert_eq!(got.body["instanceId"], "wa-01");
    assert_eq!(got.body["webhookId"], messages_id.as_str());
    assert_eq!(got.forward_id.as_deref(), got.body["forwardId"].as_str());
    assert!(got.signature.is_none(), "no secret anywhere: unsigned");

    assert_eq!(
        events(&statuses),
        ["status"; 3],
        "a statuses hook gets no messages"
    );
    let told: Vec<Value> = statuses
        .received()
        .iter()
        .map(|r| r.body["status"].clone())
        .collect();
    for status in ["sent", "delivered", "read"] {
        assert!(told.contains(&json!(status)), "{status} in {told:?}");
    }
    assert!(statuses
        .received()
        .iter()
        .all(|r| r.body["messageId"] == sent.as_str()));
    assert!(
        other.received().is_empty(),
        "another instance's hook gets nothing"
    );
    gw.stop().await;
}

async fn two_hooks_on_one_instance_each_get_their_copy_once(env: TestEnv) {
    let (first, second, global) = (
        Receiver::start().await,
        Receiver::start().await,
        Receiver::start().await,
    );
    let gw = gateway(&env, &[("ghl-inbound-url", global.url())]).await;
    add_hook(&gw, "wa-01", json!({ "url": first.url() })).await;
    add_hook(
        &gw,
        "wa-01",
        json!({ "url": second.url(), "events": ["messages", "messages"] }),
    )
    .await;
    let message = json!({ "from": "+5511999999999", "text": "twice?", "id": "WAID-TWICE" });
    gw.post("/api/sim/wa-01/inbound", message.clone()).await;
    gw.post("/api/sim/wa-01/inbound", message).await;
    eventually("every receiver got it", || async {
        [&first, &second, &global]
            .iter()
            .all(|r| !r.received().is_empty())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let ids: Vec<String> = [&first, &second, &global]
        .iter()
        .map(|r| {
            assert_eq!(r.received().len(), 1, "one copy each, the replay not again");
            r.received()[0].forward_id.clone().unwrap()
        })
        .collect();
    assert!(
        ids[0] != ids[1] && ids[1] != ids[2] && ids[0] != ids[2],
        "{ids:?}"
    );
    assert_eq!(first.received()[0].body["messageId"], "WAID-TWICE");
    assert_eq!(global.received()[0].body.get("webhookId"), None);
    gw.stop().await;
}

async fn a_hooks_own_secret_signs_it_and_the_global_secret_is_the_default(env: TestEnv) {
    let (own, default) = (Receiver::start().await, Receiver::start().await);
    let gw = gateway(&env, &[("webhook-secret", "whsec_global".to_owned())]).await;
    let secret = "whsec_own_0123";
    add_hook(&gw, "wa-01", json!({ "url": own.url(), "secret": secret })).await;
    add_hook(&gw, "wa-01", json!({ "url": default.url() })).await;
    inbound(&gw, "signed").await;
    eventually("both got it", || async {
        own.received().len() == 1 && default.received().len() == 1
    })
    .await;
    assert!(own.received()[0].signed_with(secret));
    assert!(!own.received()[0].signed_with("whsec_global"));
    assert!(default.received()[0].signed_with("whsec_global"));
    let (_, listed) = gw.get("/api/instances/wa-01/webhooks").await;
    assert!(!listed.to_string().contains(secret), "the secret is never shown");
    assert_eq!(listed["webhooks"][0]["hasSecret"], true);
    assert_eq!(listed["webhooks"][1]["hasSecret"], false);
    gw.stop().await;
}

async fn a_hook_receiver_that_is_down_gets_the_message_when_it_comes_back(env: TestEnv) {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let gw = gateway(&env, &[("forward-max-attempts", "50".into())]).await;
    let url = format!("http://127.0.0.1:{port}/hook");
    let hook = add_hook(&gw, "wa-01", json!({ "url": url })).await;
    inbound(&gw, "wait for me").await;
    eventually("a failed try is recorded", || async {
        let (_, pending) = gw.get("/api/forwards?status=pending").await;
        let forward = &pending["forwards"][0];
        forward["target"] == format!("hook:{hook}") && forward["attempts"].as_u64().unwrap_or(0) >= 1
    })
    .await;
    let receiver = Receiver::start_on(port).await;
    eventually("delivered once the receiver is up", || async {
        receiver.received().len() == 1
    })
    .await;
    assert_eq!(receiver.received()[0].body["text"], "wait for me");
    gw.stop().await;
}

async fn after_the_last_try_a_hook_forward_is_a_dead_letter(env: TestEnv) {
    let receiver = Receiver::start().await;
    receiver.answer_always(Some(500));
    let gw = gateway(&env, &[("forward-max-attempts", "3".into())]).await;
    let hook = add_hook(&gw, "wa-01", json!({ "url": receiver.url() })).await;
    inbound(&gw, "doomed").await;
    let forward = gw.the_dead_forward().await;
    assert_eq!(receiver.attempts(), 3);
    assert_eq!(forward["target"], format!("hook:{hook}"));
    assert!(forward["lastError"].as_str().unwrap().contains("500"));
    assert_eq!(forward["payload"]["text"], "doomed");
    gw.stop().await;
}

async fn a_removed_hooks_pending_forward_becomes_a_dead_letter_without_a_try(env: TestEnv) {
    let receiver = Receiver::start().await;
    receiver.answer_always(Some(503));
    let extra = [
        ("forward-max-attempts", "50".into()),
        ("forward-retry-base-ms", "400".into()),
        ("forward-retry-max-ms", "400".into()),
    ];
    let gw = gateway(&env, &extra).await;
    let hook = add_hook(&gw, "wa-01", json!({ "url": receiver.url() })).await;
    inbound(&gw, "nobody wants me").await;
    eventually("a failed try", || async { receiver.attempts() >= 1 }).await;
    let path = format!("/api/instances/wa-01/webhooks/{hook}");
    assert_eq!(gw.call(Method::DELETE, &path, None).await.0, StatusCode::OK);
    let forward = gw.the_dead_forward().await;
    let tries = receiver.attempts();
    assert_eq!(forward["lastError"], "the webhook was removed");
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert_eq!(receiver.attempts(), tries, "no try after the removal");
    inbound(&gw, "after the removal").await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(gw.get("/api/forwards?status=pending").await.1["count"], 0);
    gw.stop().await;
}

async fn an_instance_hook_hears_the_state_changes(env: TestEnv) {
    let receiver = Receiver::start().await;
    let gw = gateway(&env, &[]).await;
    let events = ["instance", "calls"];
    add_hook(&gw, "wa-01", json!({ "url": receiver.url(), "events": events })).await;
    inbound(&gw, "not for an instance hook").await;
    assert_eq!(
        gw.post("/api/sim/wa-01/logout", json!({})).await.0,
        StatusCode::OK
    );
    eventually("the hook hears LOGGED_OUT", || async {
        receiver
            .received()
            .iter()
            .any(|r| r.body["status"] == "LOGGED_OUT")
    })
    .await;
    let received = receiver.received();
    assert!(
        received.iter().all(|r| r.body["event"] == "instance"),
        "no messages"
    );
    let logged_out = received
        .iter()
        .find(|r| r.body["status"] == "LOGGED_OUT")
        .unwrap();
    assert_eq!(logged_out.body["instanceId"], "wa-01");
    assert!(logged_out.body["timestamp"].as_str().unwrap().ends_with('Z'));
    gw.stop().await;
}

async fn the_api_manages_hooks_and_refuses_what_cannot_be_one(env: TestEnv) {
    let gw = env.start(&[]).await;
    gw.linked_instance("wa-01", "+15550000001").await;
    gw.linked_instance("wa-02", "+15550000002").await;
    let hooks = "/api/instances/wa-01/webhooks";
    let refused = |field: &'static str, code: &'static str| {
        move |(status, body): (StatusCode, Value)| {
            assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
            assert_eq!(
                (body["field"].as_str(), body["code"].as_str()),
                (Some(field), Some(code))
            );
            assert_eq!(body["success"], false);
        }
    };
    refused("url", "invalid_field")(gw.post(hooks, json!({ "url": "ftp://example.com/x" })).await);
    refused("url", "missing_field")(gw.post(hooks, json!({ "events": ["messages"] })).await);
    let private = gw.post(hooks, json!({ "url": "http://127.0.0.1:9/hook" })).await;
    assert!(private.1["error"]
        .as_str()
        .unwrap()
        .contains("ALLOW_PRIVATE_WEBHOOK_URLS"));
    refused("url", "invalid_field")(private);
    refused("url", "invalid_field")(gw.post(hooks, json!({ "url": "http://localhost:9/hook" })).await);
    let url = "https://hooks.example.com/in?token=abc";
    refused("events", "invalid_field")(gw.post(hooks, json!({ "url": url, "events": ["message"] })).await);
    refused("events", "invalid_field")(gw.post(hooks, json!({ "url": url, "events": [] })).await);
    refused("secret", "invalid_field")(gw.post(hooks, json!({ "url": url, "secret": "short" })).await);
    assert_eq!(
        gw.post("/api/instances/nope/webhooks", json!({ "url": url }))
            .await
            .0,
        StatusCode::NOT_FOUND
    );

    let id = add_hook(&gw, "wa-01", json!({ "url": url, "secret": "0123456789" })).await;
    let (status, listed) = gw.get(hooks).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed["count"], 1);
    assert_eq!(
        listed["webhooks"][0]["events"],
        json!(["messages"]),
        "messages by default"
    );
    assert_eq!(listed["webhooks"][0]["url"], url);
    let one = format!("{hooks}/{id}");
    let change = json!({ "events": ["statuses", "instance"], "secret": null });
    let (status, changed) = gw.call(Method::PUT, &one, Some(change)).await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["webhook"]["events"], json!(["statuses", "instance"]));
    assert_eq!(changed["webhook"]["hasSecret"], false);
    let elsewhere = format!("/api/instances/wa-02/webhooks/{id}");
    assert_eq!(
        gw.call(Method::DELETE, &elsewhere, None).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(gw.call(Method::DELETE, &one, None).await.0, StatusCode::OK);
    assert_eq!(gw.call(Method::DELETE, &one, None).await.0, StatusCode::NOT_FOUND);
    assert_eq!(gw.get(hooks).await.1["count"], 0);

    add_hook(&gw, "wa-02", json!({ "url": url })).await;
    assert_eq!(
        gw.call(Method::DELETE, "/api/instances/wa-02", None).await.0,
        StatusCode::OK
    );
    let created = gw.post("/api/instances", json!({ "instanceId": "wa-02" })).await;
    assert_eq!(created.0, StatusCode::CREATED, "{}", created.1);
    let (_, again) = gw.get("/api/instances/wa-02/webhooks").await;
    assert_eq!(again["count"], 0, "a new instance of the same id has no webhooks");
    gw.stop().await;
}

/// A missed call (typed inbound event `call`) reaches a `calls` webhook as
/// `event: "call"`, and a `messages` webhook does not get it.
async fn a_missed_call_goes_to_the_calls_hooks_only(env: TestEnv) {
    let (calls, messages) = (Receiver::start().await, Receiver::start().await);
    let gw = gateway(&env, &[]).await;
    add_hook(&gw, "wa-01", json!({ "url": calls.url(), "events": ["calls"] })).await;
    add_hook(
        &gw,
        "wa-01",
        json!({ "url": messages.url(), "events": ["messages"] }),
    )
    .await;
    let call = json!({ "from": "+5511999999999", "type": "call", "video": true, "id": "CALL1" });
    assert_eq!(gw.post("/api/sim/wa-01/inbound", call).await.0, StatusCode::OK);
    inbound(&gw, "after the call").await;
    eventually("each hook gets its one event", || async {
        calls.received().len() == 1 && messages.received().len() == 1
    })
    .await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(events(&calls), ["call"]);
    let got = &calls.received()[0];
    assert_eq!(
        (&got.body["type"], &got.body["messageId"]),
        (&json!("call"), &json!("CALL1"))
    );
    assert_eq!(got.body["call"]["video"], true);
    assert_eq!(events(&messages), ["message"], "a messages hook gets no calls");
    assert_eq!(messages.received()[0].body["text"], "after the call");
    gw.stop().await;
}
