//! The original gateway's paths answer in its shapes and words, as its
//! web UI reads them. The field names and enum values below are copied from
//! the original project (github:Adrian-nex/GHL-Whatsapp-qr-gateway), each
//! with the file it comes from; wagate's own fields ride beside them.

use crate::common::{eventually, Gateway, TestEnv};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

crate::both_backends!(
    the_original_ui_links_two_numbers_in_a_row,
    the_original_limit_of_instances_holds,
    sends_and_history_speak_the_original_words,
    reconnect_clear_logout_and_delete_answer_in_the_original_shapes,
    the_inbound_test_receiver_records_what_it_gets,
);

/// frontend/src/types/gateway.ts: `ConnectionStatus`.
const CONNECTION_STATUS: [&str; 3] = ["ONLINE", "OFFLINE", "RECONNECTING"];
/// src/api/qr.controller.ts: the QR routes' word for a linked number.
const LINKED: &str = "connected";
/// frontend/src/types/gateway.ts: `MessageHistory.status`.
const MESSAGE_STATUS: [&str; 4] = ["sent", "received", "failed", "queued"];

/// Every key of `names` is in `body`.
fn has_keys(body: &Value, names: &[&str], what: &str) {
    for name in names {
        assert!(body.get(*name).is_some(), "{what} lacks {name}: {body}");
    }
}

/// frontend/src/types/gateway.ts `QRResponse` {success, instanceId,
/// status, qr?, message?}; `qr` is the raw text `QRCodeCanvas` draws.
fn is_qr_response(body: &Value) {
    has_keys(
        body,
        &["success", "instanceId", "status", "message"],
        "QRResponse",
    );
    let status = body["status"].as_str().unwrap();
    assert!(CONNECTION_STATUS.contains(&status) || status == LINKED, "{body}");
    if let Some(qr) = body["qr"].as_str() {
        assert!(!qr.starts_with("data:"), "qr is the raw QR text: {body}");
        assert!(body["qrImage"]
            .as_str()
            .unwrap()
            .starts_with("data:image/png;base64,"));
    }
}

/// frontend/src/types/gateway.ts `StatusResponse` {success, instanceId,
/// status, connectedNumber?}.
async fn status(gw: &Gateway, id: &str) -> Value {
    let (code, body) = gw.get(&format!("/api/wa/status/{id}")).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    has_keys(
        &body,
        &["success", "instanceId", "status", "detailedStatus"],
        "StatusResponse",
    );
    assert!(
        CONNECTION_STATUS.contains(&body["status"].as_str().unwrap()),
        "{body}"
    );
    body
}

/// src/api/qr.controller.ts `GET /instances/available`: {success,
/// available, total, used}.
async fn available(gw: &Gateway) -> Vec<String> {
    let (code, body) = gw.get("/api/wa/instances/available").await;
    assert_eq!(code, StatusCode::OK, "{body}");
    has_keys(&body, &["success", "available", "total", "used"], "available");
    let ids = body["available"].as_array().unwrap();
    ids.iter().map(|id| id.as_str().unwrap().to_owned()).collect()
}

/// As the original UI does: pick the first free id, ask for its QR, poll
/// qr-check while RECONNECTING without a QR, poll the status until ONLINE.
async fn link_like_the_original_ui(gw: &Gateway, phone: &str) -> String {
    let id = available(gw).await.first().cloned().expect("a free id");
    let (code, qr) = gw.get(&format!("/api/wa/qr/{id}")).await;
    assert_eq!(code, StatusCode::OK, "{qr}");
    is_qr_response(&qr);
    assert_eq!(qr["success"], true);
    assert_eq!(qr["status"], "RECONNECTING", "the word the UI polls qr-check on");
    assert_eq!(qr["detailedStatus"], "PAIRING");
    let (_, check) = gw.get(&format!("/api/wa/qr-check/{id}")).await;
    is_qr_response(&check);
    assert_eq!(
        (check["success"].as_bool(), check["qr"].is_string()),
        (Some(true), true)
    );
    assert_eq!(status(gw, &id).await["status"], "RECONNECTING");

    let scan = gw
        .post(&format!("/api/sim/{id}/scan"), json!({ "phone": phone }))
        .await;
    assert_eq!(scan.0, StatusCode::OK, "{}", scan.1);
    eventually("the status poll sees ONLINE", || async {
        status(gw, &id).await["status"] == "ONLINE"
    })
    .await;
    assert_eq!(status(gw, &id).await["connectedNumber"], phone);
    id
}

async fn the_original_ui_links_two_numbers_in_a_row(env: TestEnv) {
    let gw = env.start(&[]).await;
    assert_eq!(available(&gw).await, ["wa-01", "wa-02", "wa-03"]);
    let first = link_like_the_original_ui(&gw, "+15550000001").await;
    assert_eq!(available(&gw).await, ["wa-02", "wa-03"], "the linked id is taken");
    let second = link_like_the_original_ui(&gw, "+15550000002").await;
    assert_eq!((first.as_str(), second.as_str()), ("wa-01", "wa-02"));

    let (_, again) = gw.get("/api/wa/qr/wa-01").await;
    is_qr_response(&again);
    assert_eq!((again["status"].as_str(), again.get("qr")), (Some(LINKED), None));
    let (_, check) = gw.get("/api/wa/qr-check/wa-01").await;
    assert_eq!(check["status"], LINKED);

    let (_, list) = gw.get("/api/wa/instances").await;
    has_keys(&list, &["success", "instances"], "InstancesResponse");
    for item in list["instances"].as_array().unwrap() {
        // frontend/src/types/gateway.ts `InstanceSummary`.
        let summary = [
            "instanceId",
            "status",
            "phone",
            "lastConnectedAt",
            "lastError",
            "phoneAlias",
            "hasQR",
        ];
        has_keys(item, &summary, "InstanceSummary");
        assert_eq!(
            (item["status"].as_str(), item["detailedStatus"].as_str()),
            (Some("ONLINE"), Some("ONLINE"))
        );
    }
    let (_, own) = gw.get("/api/instances").await;
    assert_eq!(
        own["instances"][0]["status"], "ONLINE",
        "wagate's list keeps its words"
    );
    gw.stop().await;
}

async fn the_original_limit_of_instances_holds(env: TestEnv) {
    let gw = env.start(&[("compat-max-instances", "2".into())]).await;
    assert_eq!(available(&gw).await, ["wa-01", "wa-02"]);
    assert_eq!(gw.get("/api/wa/qr/wa-01").await.0, StatusCode::OK);
    assert_eq!(
        gw.get("/api/wa/qr/sales").await.0,
        StatusCode::OK,
        "any id, within the limit"
    );
    assert!(available(&gw).await.is_empty(), "no room is left");
    let (code, refused) = gw.get("/api/wa/qr/wa-02").await;
    assert_eq!(
        (code, refused["code"].as_str()),
        (StatusCode::CONFLICT, Some("instance_limit")),
        "{refused}"
    );
    let (code, _) = gw.get("/api/wa/qr-check/wa-02").await;
    assert_eq!(code, StatusCode::NOT_FOUND, "qr-check never creates");
    let (code, _) = gw.call(Method::DELETE, "/api/wa/delete/sales", None).await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(available(&gw).await, ["wa-02"]);
    gw.stop().await;
}

async fn sends_and_history_speak_the_original_words(env: TestEnv) {
    let gw = env.start(&[]).await;
    gw.linked_instance("wa-01", "+15550000001").await;
    // frontend/src/types/gateway.ts `SendMessagePayload` and `SendResponse`.
    let text = json!({ "instanceId": "wa-01", "to": "+5511999999999", "type": "text", "message": "x" });
    let (code, sent) = gw.post("/api/send", text).await;
    assert_eq!(code, StatusCode::ACCEPTED, "{sent}");
    has_keys(
        &sent,
        &["success", "message", "instanceId", "type", "jobId", "status"],
        "SendResponse",
    );
    assert_eq!(
        (sent["type"].as_str(), sent["status"].as_str()),
        (Some("text"), Some("queued"))
    );
    let image = json!({ "instanceId": "wa-01", "to": "+5511999999999", "type": "image", "mediaUrl": "https://example.com/a.jpg" });
    assert_eq!(gw.post("/api/send", image).await.0, StatusCode::ACCEPTED);
    let captioned = json!({ "instanceId": "wa-01", "to": "+5511999999999", "type": "image",
                            "mediaUrl": "https://example.com/b.jpg", "caption": "look" });
    assert_eq!(gw.post("/api/send", captioned).await.0, StatusCode::ACCEPTED);
    let inbound = json!({ "from": "+5511999999999", "text": "hi back" });
    assert_eq!(gw.post("/api/sim/wa-01/inbound", inbound).await.0, StatusCode::OK);

    let history = || async { gw.get("/api/messages/history?limit=100").await.1 };
    eventually("every send is read", || async {
        let found = history().await;
        let read = found["messages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["messageStatus"] == "read");
        read.count() == 3
    })
    .await;
    let found = history().await;
    has_keys(&found, &["success", "count", "messages"], "history");
    let messages = found["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 4);
    for m in messages {
        // frontend/src/types/gateway.ts `MessageHistory`.
        has_keys(
            m,
            &[
                "id",
                "instanceId",
                "from",
                "to",
                "text",
                "type",
                "timestamp",
                "status",
            ],
            "MessageHistory",
        );
        assert!(MESSAGE_STATUS.contains(&m["status"].as_str().unwrap()), "{m}");
        assert!(m["timestamp"].is_i64(), "timestamp is a number of ms: {m}");
        assert!(m["createdAt"].as_str().unwrap().ends_with('Z'));
    }
    let by_text = |t: &str| {
        messages
            .iter()
            .find(|m| m["text"] == t)
            .unwrap_or_else(|| panic!("no {t:?} in {found}"))
    };
    assert_eq!(
        (
            by_text("x")["status"].as_str(),
            by_text("x")["messageStatus"].as_str()
        ),
        (Some("sent"), Some("read"))
    );
    assert_eq!(by_text("look")["caption"], "look");
    assert_eq!(by_text("[image: https://example.com/a.jpg]")["type"], "outbound");
    assert_eq!(by_text("hi back")["status"], "received");

    // frontend/src/types/gateway.ts `QueueStats`.
    let (_, stats) = gw.get("/api/send/stats").await;
    has_keys(
        &stats["stats"],
        &["waiting", "active", "completed", "failed", "delayed", "total"],
        "QueueStats",
    );
    gw.stop().await;
}

async fn reconnect_clear_logout_and_delete_answer_in_the_original_shapes(env: TestEnv) {
    let gw = env.start(&[]).await;
    gw.linked_instance("wa-01", "+15550000001").await;
    // src/api/qr.controller.ts `POST /reconnect/:id`.
    let (code, reconnect) = gw.post("/api/wa/reconnect/wa-01", json!({})).await;
    assert_eq!(code, StatusCode::OK, "{reconnect}");
    has_keys(
        &reconnect,
        &[
            "success",
            "instanceId",
            "message",
            "previousStatus",
            "currentStatus",
            "timestamp",
        ],
        "reconnect",
    );
    assert_eq!(reconnect["previousStatus"], "ONLINE");
    assert!(CONNECTION_STATUS.contains(&reconnect["currentStatus"].as_str().unwrap()));
    gw.wait_status("wa-01", "ONLINE").await;

    // frontend/src/types/gateway.ts `LogoutResponse` and `ClearResponse`.
    let (_, logout) = gw.post("/api/wa/logout/wa-01", json!({})).await;
    has_keys(&logout, &["success", "message"], "LogoutResponse");
    gw.wait_status("wa-01", "LOGGED_OUT").await;
    assert_eq!(status(&gw, "wa-01").await["status"], "OFFLINE");
    let (_, clear) = gw.post("/api/wa/clear/wa-01", json!({})).await;
    has_keys(&clear, &["success", "message"], "ClearResponse");
    assert!(
        CONNECTION_STATUS.contains(&clear["status"].as_str().unwrap()),
        "{clear}"
    );

    // src/api/qr.controller.ts `DELETE /delete/:id`: {success, instanceId, message}.
    let (code, deleted) = gw.call(Method::DELETE, "/api/wa/delete/wa-01", None).await;
    assert_eq!(code, StatusCode::OK);
    has_keys(&deleted, &["success", "instanceId", "message"], "delete");
    assert_eq!(gw.get("/api/wa/status/wa-01").await.0, StatusCode::NOT_FOUND);
    let (_, health) = gw.get("/api/health").await;
    assert_eq!(health["success"], true);
    gw.stop().await;
}

async fn the_inbound_test_receiver_records_what_it_gets(env: TestEnv) {
    let gw = env.start(&[]).await;
    let (status, _) = gw.post("/api/ghl/inbound-test", json!({ "hello": "ghl" })).await;
    assert_eq!(status, StatusCode::OK);
    let (_, list) = gw.get("/api/ghl/inbound-test").await;
    assert_eq!(list["count"], 1);
    assert_eq!(list["received"][0]["body"]["hello"], "ghl");
    gw.stop().await;
}
