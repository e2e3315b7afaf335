//! A worker is frozen (SIGSTOP) past its lease while a send waits out its
//! pacing gap; another worker takes the instance over and sends it. Thawed,
//! the first worker must not send it again: its lease ran out while it
//! was stopped, so it holds the send until it learns the instance is gone.

use crate::procs::{self, eventually, member, redis_url, Api};
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;

fn vars(prefix: &str, role: &str) -> Vec<(&'static str, String)> {
    let mut vars = member(prefix, role);
    // Long enough for the lease (1.5 s) to run out during the gap.
    vars.push(("TEXT_DELAY_MS", "4000".into()));
    vars.push(("TEXT_DELAY_MS_MAX", "4000".into()));
    vars
}

async fn send(api: &Api, text: &str) -> String {
    let body = json!({ "instanceId": "wa-01", "to": "+5511999999999", "message": text });
    let (status, reply) = api.post("/api/send", body).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{reply}");
    reply["id"].as_str().unwrap().to_owned()
}

async fn sent_ids(api: &Api) -> Vec<String> {
    let sent = api.sim_sent("wa-01").await;
    sent.iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect()
}

/// How many times the sim network got each message (a repeat counts up
/// its entry's `attempts`).
async fn deliveries(api: &Api) -> Vec<u64> {
    let sent = api.sim_sent("wa-01").await;
    sent.iter().map(|m| m["attempts"].as_u64().unwrap()).collect()
}

#[tokio::test]
async fn a_worker_frozen_past_its_lease_does_not_send_what_its_successor_sent() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = format!("wagate-cluster:{}:", uuid::Uuid::new_v4().simple());
    let api_proc = procs::start(dir.path(), "api", &vars(&prefix, "api"));
    let frozen = procs::start(dir.path(), "worker-1", &vars(&prefix, "worker"));
    let api = procs::api(&api_proc).await;
    api.link("wa-01", "+15550000001").await;

    let first = send(&api, "first").await;
    eventually("the first send goes out", || async {
        sent_ids(&api).await.len() == 1
    })
    .await;
    let second = send(&api, "second").await;
    // worker-1's sender now has the second send in hand, waiting out the gap.
    tokio::time::sleep(Duration::from_millis(300)).await;
    frozen.freeze();

    let _successor = procs::start(dir.path(), "worker-2", &vars(&prefix, "worker"));
    eventually("the successor sends the second message", || async {
        sent_ids(&api).await.len() >= 2
    })
    .await;
    // Both the gap of worker-1's sender and its coordinator's next round
    // are due by now: on thaw they race.
    tokio::time::sleep(Duration::from_secs(1)).await;
    frozen.thaw();
    // Thawed, worker-1's gap is long over: a send it did not hold would go
    // out at once, well within this wait.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(sent_ids(&api).await, [first, second]);
    assert_eq!(deliveries(&api).await, [1, 1], "each message went out once");
    crate::redis_restart::remove_keys(&redis_url(), &prefix).await;
}
