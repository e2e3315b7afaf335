//! Sending like a person: per-instance settings, "typing…" before each
//! send, read marks, random pauses, the daily cap, and WhatsApp's block on
//! new contacts (error 463), as the simulated network records them.

use crate::common::receiver::Receiver;
use crate::common::{eventually, Gateway, TestEnv};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

crate::both_backends!(
    settings_start_from_the_defaults_and_change_field_by_field,
    typing_precedes_each_send_and_lasts_as_set,
    the_contacts_last_message_is_marked_read_before_the_reply,
    pauses_are_random_draws_within_the_range,
    the_daily_cap_holds_sends_for_the_next_window_in_order,
    a_463_fails_once_and_holds_only_new_contacts_until_it_ends,
);

const KNOWN: &str = "+5511911110001";
const REFUSED: &str = "+5511922220002";
const NEW: &str = "+5511933330003";

async fn put_settings(gw: &Gateway, instance: &str, change: Value) -> (StatusCode, Value) {
    let path = format!("/api/instances/{instance}/settings");
    gw.call(Method::PUT, &path, Some(change)).await
}

async fn quiet(gw: &Gateway, instance: &str, change: Value) {
    let (status, body) = put_settings(gw, instance, change).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

async fn chat(gw: &Gateway, instance: &str) -> Vec<Value> {
    let (_, body) = gw.get(&format!("/api/sim/{instance}/chat")).await;
    body.as_array().cloned().unwrap_or_default()
}

fn at(entry: &Value) -> i64 {
    entry["at"].as_i64().unwrap()
}

async fn settings_start_from_the_defaults_and_change_field_by_field(env: TestEnv) {
    let gw = env.start(&[("daily-cap", "250".to_owned())]).await;
    gw.linked_instance("wa-01", "+15550000001").await;
    let (status, body) = gw.get("/api/instances/wa-01/settings").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["settings"]["dailyCap"], 250);
    assert_eq!(body["settings"]["presence"]["enabled"], false);
    assert_eq!(body["settings"]["warmup"], json!({"days": 14, "firstDay": 20}));

    let (status, body) = put_settings(&gw, "wa-01", json!({"markRead": true, "warmup": {"days": 0}})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["settings"]["markRead"], true);
    assert_eq!(body["settings"]["warmup"], json!({"days": 0, "firstDay": 20}));
    let (_, again) = gw.get("/api/instances/wa-01/settings").await;
    assert_eq!(again["settings"], body["settings"], "stored");

    let bad = put_settings(&gw, "wa-01", json!({"textDelayMs": {"min": 9000, "max": 10}})).await;
    assert_eq!(bad.0, StatusCode::BAD_REQUEST, "{}", bad.1);
    assert_eq!(bad.1["field"], "textDelayMs");
    let unknown = put_settings(&gw, "wa-01", json!({"typingSpeed": 3})).await;
    assert_eq!(unknown.0, StatusCode::BAD_REQUEST, "{}", unknown.1);
    let missing = put_settings(&gw, "wa-77", json!({"markRead": true})).await;
    assert_eq!(missing.0, StatusCode::NOT_FOUND, "{}", missing.1);

    let (status, one) = gw.get("/api/instances/wa-01").await;
    assert_eq!(status, StatusCode::OK, "{one}");
    assert_eq!(one["instance"]["status"], "ONLINE");
    assert_eq!(one["instance"]["sending"]["sentToday"], 0);
    assert_eq!(one["instance"]["sending"]["capToday"], 250, "no warm-up");
    gw.stop().await;
}

async fn typing_precedes_each_send_and_lasts_as_set(env: TestEnv) {
    let gw = env.start(&[]).await;
    gw.linked_instance("wa-01", "+15550000001").await;
    let presence = json!({"presence": {"enabled": true, "msPerChar": 1, "minMs": 400, "maxMs": 400}});
    quiet(&gw, "wa-01", presence).await;
    gw.send_text("wa-01", KNOWN, "hello there").await;
    gw.send_text("wa-01", KNOWN, "second").await;
    eventually("both reach the sim", || async {
        gw.sim_sent("wa-01").await.len() == 2
    })
    .await;
    let sent = gw.sim_sent("wa-01").await;
    let states = chat(&gw, "wa-01").await;
    let shown: Vec<&str> = states.iter().map(|e| e["state"].as_str().unwrap()).collect();
    assert_eq!(
        shown,
        ["composing", "paused", "composing", "paused"],
        "{states:?}"
    );
    for (n, message) in sent.iter().enumerate() {
        let (typing, paused) = (&states[2 * n], &states[2 * n + 1]);
        assert_eq!(typing["to"], KNOWN);
        assert!(
            at(paused) - at(typing) >= 400,
            "typing lasted {} ms",
            at(paused) - at(typing)
        );
        assert!(at(message) >= at(paused), "the message came after the typing");
    }
    gw.stop().await;
}

async fn the_contacts_last_message_is_marked_read_before_the_reply(env: TestEnv) {
    let gw = env.start(&[]).await;
    gw.linked_instance("wa-01", "+15550000001").await;
    quiet(&gw, "wa-01", json!({"markRead": true})).await;
    for id in ["WAIN1", "WAIN2"] {
        let inbound = json!({ "from": KNOWN, "text": "are you there?", "id": id });
        assert_eq!(gw.post("/api/sim/wa-01/inbound", inbound).await.0, StatusCode::OK);
    }
    eventually("the inbound messages are stored", || async {
        gw.get("/api/messages/WAIN2").await.0 == StatusCode::OK
    })
    .await;
    gw.send_text("wa-01", KNOWN, "yes").await;
    gw.send_text("wa-01", KNOWN, "still here").await;
    eventually("both replies go", || async {
        gw.sim_sent("wa-01").await.len() == 2
    })
    .await;
    let states = chat(&gw, "wa-01").await;
    assert_eq!(
        states.len(),
        1,
        "one read mark, for the latest message only: {states:?}"
    );
    assert_eq!(states[0]["state"], "read");
    assert_eq!(states[0]["messageIds"], json!(["WAIN2"]));
    assert!(at(&states[0]) <= at(&gw.sim_sent("wa-01").await[0]));
    gw.stop().await;
}

async fn pauses_are_random_draws_within_the_range(env: TestEnv) {
    let gw = env.start(&[]).await;
    gw.linked_instance("wa-01", "+15550000001").await;
    quiet(&gw, "wa-01", json!({"textDelayMs": {"min": 150, "max": 450}})).await;
    for n in 0..7 {
        gw.send_text("wa-01", KNOWN, &format!("m{n}")).await;
    }
    eventually("all seven go", || async { gw.sim_sent("wa-01").await.len() == 7 }).await;
    let times: Vec<i64> = gw.sim_sent("wa-01").await.iter().map(at).collect();
    let gaps: Vec<i64> = times.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(gaps.iter().all(|g| (150..=700).contains(g)), "{gaps:?}");
    let spread = gaps.iter().max().unwrap() - gaps.iter().min().unwrap();
    assert!(spread >= 20, "the pauses do not vary: {gaps:?}");
    gw.stop().await;
}

async fn the_daily_cap_holds_sends_for_the_next_window_in_order(env: TestEnv) {
    const WINDOW: i64 = 2500;
    let gw = env.start(&[("cap-window-ms", WINDOW.to_string())]).await;
    gw.linked_instance("wa-01", "+15550000001").await;
    quiet(&gw, "wa-01", json!({"dailyCap": 2, "warmup": {"days": 0}})).await;
    let mut ids = Vec::new();
    for n in 0..5 {
        ids.push(gw.send_text("wa-01", KNOWN, &format!("m{n}")).await);
    }
    eventually("the first two go", || async {
        gw.sim_sent("wa-01").await.len() >= 2
    })
    .await;
    // Polled: a window may end between the sends and the read, and the
    // count starts again at 0 until the next window's first send.
    eventually(
        "the outlook counts this window's sends against the cap",
        || async {
            let (_, one) = gw.get("/api/instances/wa-01").await;
            let sending = &one["instance"]["sending"];
            let counted = sending["sentToday"].as_u64().is_some_and(|n| n >= 1);
            let at_cap = sending["sentToday"] == 2;
            let waits_for_next_window = sending["nextSendAtMs"] == sending["windowEndsAtMs"];
            sending["capToday"] == 2 && counted && (!at_cap || waits_for_next_window)
        },
    )
    .await;

    eventually("all five go, window by window", || async {
        gw.sim_sent("wa-01").await.len() == 5
    })
    .await;
    let sent = gw.sim_sent("wa-01").await;
    let sent_ids: Vec<&str> = sent.iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(
        sent_ids,
        ids.iter().map(String::as_str).collect::<Vec<_>>(),
        "order kept"
    );
    assert!(sent.iter().all(|m| m["attempts"] == 1), "each sent once");
    let times: Vec<i64> = sent.iter().map(at).collect();
    for three in times.windows(3) {
        assert_ne!(
            three[0] / WINDOW,
            three[2] / WINDOW,
            "three sends in one window: {times:?}"
        );
    }
    gw.stop().await;
}

async fn a_463_fails_once_and_holds_only_new_contacts_until_it_ends(env: TestEnv) {
    let monitor = Receiver::start().await;
    let gw = env.start(&[("alert-webhook-url", monitor.url())]).await;
    gw.linked_instance("wa-01", "+15550000001").await;
    gw.send_text("wa-01", KNOWN, "we have talked").await;
    eventually("the known contact is reached", || async {
        gw.sim_sent("wa-01").await.len() == 1
    })
    .await;
    let until = crate::common::now_secs() * 1000 + 4000;
    let refuse = json!({ "to": REFUSED, "untilMs": until });
    assert_eq!(gw.post("/api/sim/wa-01/refuse", refuse).await.0, StatusCode::OK);

    let refused = gw.send_text("wa-01", REFUSED, "hello stranger").await;
    eventually("the refused send fails at once", || async {
        gw.get(&format!("/api/messages/{refused}")).await.1["message"]["status"] == "failed"
    })
    .await;
    let (_, failed) = gw.get(&format!("/api/messages/{refused}")).await;
    assert!(
        failed["message"]["error"].as_str().unwrap().contains("463"),
        "{failed}"
    );
    assert_eq!(failed["message"]["attempts"], 1, "no blind retries");

    let held = gw.send_text("wa-01", NEW, "also a stranger").await;
    let reply = gw.send_text("wa-01", KNOWN, "a reply goes on").await;
    eventually("the reply to the known contact goes", || async {
        gw.sim_sent("wa-01").await.len() == 2
    })
    .await;
    let (_, one) = gw.get("/api/instances/wa-01").await;
    let block = &one["instance"]["sending"]["newContactBlock"];
    assert_eq!(block["untilMs"], until, "{one}");
    let (_, waiting) = gw.get(&format!("/api/messages/{held}")).await;
    assert_eq!(waiting["message"]["status"], "queued", "held, not failed");
    assert_eq!(gw.sim_sent("wa-01").await[1]["id"], reply.as_str());

    eventually("the held message goes once the block ends", || async {
        gw.sim_sent("wa-01").await.len() == 3
    })
    .await;
    assert!(at(&gw.sim_sent("wa-01").await[2]) >= until);
    eventually("the block's start and end are alerted", || async {
        monitor.received().len() >= 2
    })
    .await;
    let events: Vec<Value> = monitor
        .received()
        .iter()
        .map(|r| r.body["event"].clone())
        .collect();
    assert_eq!(
        events,
        ["instance.new_contacts_blocked", "instance.new_contacts_unblocked"]
    );
    gw.stop().await;
}
