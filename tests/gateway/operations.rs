//! Operations: Prometheus metrics after a scripted flow, the metrics token,
//! readiness detail, and request ids.

use crate::common::receiver::Receiver;
use crate::common::{eventually, Gateway};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn metrics_count_a_scripted_flow() {
    let receiver = Receiver::start().await;
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(dir.path(), &[("ghl-inbound-url", receiver.url())]).await;
    gw.linked_instance("wa-01", "+15550000001").await;
    let id = gw.send_text("wa-01", "+5511999999999", "hello").await;
    let inbound = json!({ "from": "+5511999999999", "text": "hi", "id": "WAIN1" });
    assert_eq!(gw.post("/api/sim/wa-01/inbound", inbound).await.0, StatusCode::OK);
    eventually("the send is sent and the inbound forwarded", || async {
        let sent = gw.get(&format!("/api/messages/{id}")).await.1["message"]["status"] != "queued";
        sent && receiver.received().len() == 1
    })
    .await;
    let text = gw.metrics().await;
    for line in [
        "wagate_instances{status=\"ONLINE\"} 1",
        "wagate_instances{status=\"PAIRING\"} 0",
        "wagate_sends_total{result=\"sent\"} 1",
        "wagate_send_latency_seconds_count 1",
        "wagate_forward_attempts_total 1",
        "wagate_forwards_delivered_total 1",
        "wagate_forward_dead_letters_total 0",
        "wagate_http_requests_total{method=\"POST\",route=\"/api/send\",status=\"202\"} 1",
        "wagate_http_requests_total{method=\"POST\",route=\"/api/sim/{id}/inbound\",status=\"200\"}",
    ] {
        assert!(text.contains(line), "missing {line:?} in\n{text}");
    }
    assert!(!text.contains(&id), "message ids must not become labels");
    gw.stop().await;
}

#[tokio::test]
async fn queue_depth_shows_what_waits() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(dir.path(), &[("text-delay-ms", "60000".into())]).await;
    gw.linked_instance("wa-09", "+15550000009").await;
    gw.send_text("wa-09", "+5511999999999", "goes at once").await;
    gw.send_text("wa-09", "+5511999999999", "waits for the pacing gap")
        .await;
    eventually("the first is sent", || async {
        gw.sim_sent("wa-09").await.len() == 1
    })
    .await;
    let text = gw.metrics().await;
    assert!(
        text.contains("wagate_queue_depth{instance=\"wa-09\"} 1"),
        "{text}"
    );
    gw.stop().await;
}

#[tokio::test]
async fn a_metrics_token_closes_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(dir.path(), &[("metrics-token", "scrape-secret".into())]).await;
    let open = gw.http.get(gw.url("/metrics")).send().await.unwrap();
    assert_eq!(open.status(), StatusCode::UNAUTHORIZED);
    let body: serde_json::Value = open.json().await.unwrap();
    assert_eq!(body["code"], "unauthorized");
    let scraped = gw
        .http
        .get(gw.url("/metrics"))
        .bearer_auth("scrape-secret")
        .send()
        .await
        .unwrap();
    assert_eq!(scraped.status(), StatusCode::OK);
    gw.stop().await;
}

#[tokio::test]
async fn readiness_details_every_check() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(dir.path(), &[]).await;
    gw.linked_instance("wa-01", "+15550000001").await;
    let (status, body) = gw.get("/readyz").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["ready"], true);
    assert_eq!(body["checks"]["store"]["ok"], true);
    assert_eq!(body["checks"]["forwarder"]["state"], "not configured");
    assert_eq!(body["checks"]["sessions"]["running"], 1);
    assert_eq!(body["checks"]["redis"]["configured"], false);
    gw.stop().await;
}

#[tokio::test]
async fn request_ids_are_echoed_or_made() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(dir.path(), &[]).await;
    let given = gw
        .http
        .get(gw.url("/healthz"))
        .header("x-request-id", "trace-42")
        .send()
        .await
        .unwrap();
    assert_eq!(given.headers()["x-request-id"], "trace-42");
    let made = gw.http.get(gw.url("/nowhere")).send().await.unwrap();
    assert_eq!(made.status(), StatusCode::NOT_FOUND);
    assert_eq!(made.headers()["x-request-id"].len(), 32);
    gw.stop().await;
}
