//! The panel's live feed across processes: a panel served by an API
//! process follows an instance that a worker runs (its QR while pairing,
//! then ONLINE) and the ticks of a message that worker sends.

use crate::procs::{self, member, redis_url, KEY};
use crate::support::next_sse_event;
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn a_panel_served_by_one_process_follows_what_another_runs() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = format!("wagate-cluster:{}:", uuid::Uuid::new_v4().simple());
    let api_proc = procs::start(dir.path(), "api", &member(&prefix, "api"));
    let _worker = procs::start(dir.path(), "worker", &member(&prefix, "worker"));
    let api = procs::api(&api_proc).await;
    let (status, created) = api.post("/api/instances", json!({ "instanceId": "wa-01" })).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");

    let url = format!("http://127.0.0.1:{}/api/events", api_proc.port);
    let client = reqwest::Client::new();
    let mut stream = client
        .get(url)
        .header("x-api-key", KEY)
        .timeout(Duration::from_secs(60))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    let mut buffer = String::new();
    let qr = next_sse_event(&mut stream, &mut buffer, |name, d| {
        name == "instance" && d["qr"].is_string()
    })
    .await;
    assert_eq!(qr["instanceId"], "wa-01");

    let (status, scanned) = api
        .post("/api/sim/wa-01/scan", json!({ "phone": "+15550000001" }))
        .await;
    assert_eq!(status, StatusCode::OK, "{scanned}");
    let online = next_sse_event(&mut stream, &mut buffer, |name, d| {
        name == "instance" && d["status"] == "ONLINE"
    })
    .await;
    assert_eq!(online["phone"], "+15550000001");

    let body = json!({ "instanceId": "wa-01", "to": "+5511999999999", "message": "hello" });
    let (status, queued) = api.post("/api/send", body).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{queued}");
    let read = next_sse_event(&mut stream, &mut buffer, |name, d| {
        name == "message" && d["status"] == "read"
    })
    .await;
    assert_eq!(read["id"], queued["id"]);
    crate::redis_restart::remove_keys(&redis_url(), &prefix).await;
}
