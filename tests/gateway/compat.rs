//! The original gateway's paths and envelopes keep working.

use crate::common::{eventually, TestEnv};
use reqwest::StatusCode;
use serde_json::json;

crate::both_backends!(
    the_original_paths_answer_in_the_original_shapes,
    the_inbound_test_receiver_records_what_it_gets,
);

async fn the_original_paths_answer_in_the_original_shapes(env: TestEnv) {
    let gw = env.start(&[]).await;
    let (status, body) = gw
        .post("/api/wa/instances", json!({ "instanceId": "wa-01" }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, check) = gw.get("/api/wa/qr-check/wa-01").await;
    assert!(check["success"].is_boolean());
    eventually("qr-check shows the QR", || async {
        gw.get("/api/wa/qr-check/wa-01").await.1["success"] == true
    })
    .await;
    gw.post("/api/sim/wa-01/scan", json!({})).await;
    gw.wait_status("wa-01", "ONLINE").await;

    let (_, status) = gw.get("/api/wa/status/wa-01").await;
    assert_eq!(status["connectedNumber"], "+15550000001");
    let (_, list) = gw.get("/api/wa/instances").await;
    let item = &list["instances"][0];
    for key in [
        "instanceId",
        "status",
        "phone",
        "lastConnectedAt",
        "lastError",
        "phoneAlias",
        "hasQR",
    ] {
        assert!(item.get(key).is_some(), "list items keep {key}");
    }
    let (status, sent) = gw
        .post(
            "/api/send",
            json!({ "instanceId": "wa-01", "to": "+5511999999999", "message": "x" }),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(sent["jobId"], sent["id"]);
    assert_eq!(
        (sent["status"].as_str(), sent["type"].as_str()),
        (Some("queued"), Some("text"))
    );
    eventually("it is sent", || async {
        gw.get("/api/send/stats").await.1["stats"]["completed"] == 1
    })
    .await;
    let (_, history) = gw
        .get("/api/messages/history?instanceId=wa-01&type=outbound&limit=10")
        .await;
    assert_eq!(history["messages"][0]["type"], "outbound");
    assert_eq!(history["messages"][0]["text"], "x");
    let (_, health) = gw.get("/api/health").await;
    assert_eq!(health["success"], true);

    let (status, _) = gw.post("/api/wa/logout/wa-01", json!({})).await;
    assert_eq!(status, StatusCode::OK);
    gw.wait_status("wa-01", "LOGGED_OUT").await;
    let (status, _) = gw
        .call(reqwest::Method::DELETE, "/api/wa/delete/wa-01", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(gw.get("/api/wa/status/wa-01").await.0, StatusCode::NOT_FOUND);
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
