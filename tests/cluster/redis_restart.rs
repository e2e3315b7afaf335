//! Redis restarts in the middle of a load (a test-owned redis-server with
//! its append-only file): sends are refused with 503 while it is down, and
//! every send that was accepted still goes out.

use crate::procs::{self, eventually, free_port, Api, OwnRedis};
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;

pub use crate::support::remove_redis_keys as remove_keys;

#[tokio::test]
async fn nothing_accepted_is_lost_across_a_redis_restart() {
    let dir = tempfile::tempdir().unwrap();
    let redis_dir = dir.path().join("redis");
    std::fs::create_dir_all(&redis_dir).unwrap();
    let mut redis = OwnRedis::start(&redis_dir, free_port());
    let vars = [("REDIS_URL", redis.url()), ("TEXT_DELAY_MS", "5".into())];
    let gateway = procs::start(dir.path(), "gateway", &vars);
    let api = procs::api(&gateway).await;
    api.link("wa-01", "+15550000001").await;

    let mut accepted = Vec::new();
    let mut refused = 0;
    for n in 0..300 {
        if n == 100 {
            let sender = tokio::spawn(async move {
                redis.restart(Duration::from_secs(2)).await;
                redis
            });
            accepted.extend(send_for(&api, Duration::from_millis(1500), &mut refused).await);
            redis = sender.await.unwrap();
        }
        let body = json!({ "instanceId": "wa-01", "to": "+5511999999999", "message": format!("#{n}") });
        match api.post("/api/send", body).await {
            (StatusCode::ACCEPTED, reply) => accepted.push(reply["id"].as_str().unwrap().to_owned()),
            (status, reply) => {
                assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{reply}");
                refused += 1;
            }
        }
    }
    assert!(refused > 0, "sends were refused while Redis was down");
    procs::assert_sent_once_in_order(&api, "wa-01", &accepted).await;
    drop(redis);
}

/// Keeps sending for `how_long` (while Redis is down); returns the ids of
/// sends that were accepted.
async fn send_for(api: &Api, how_long: Duration, refused: &mut usize) -> Vec<String> {
    let mut accepted = Vec::new();
    let until = tokio::time::Instant::now() + how_long;
    while tokio::time::Instant::now() < until {
        let body = json!({ "instanceId": "wa-01", "to": "+5511999999999", "message": "during the outage" });
        match api.post("/api/send", body).await {
            (StatusCode::ACCEPTED, reply) => accepted.push(reply["id"].as_str().unwrap().to_owned()),
            (status, reply) => {
                assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{reply}");
                *refused += 1;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    accepted
}

#[tokio::test]
async fn readiness_follows_redis() {
    let dir = tempfile::tempdir().unwrap();
    let redis_dir = dir.path().join("redis");
    std::fs::create_dir_all(&redis_dir).unwrap();
    let mut redis = OwnRedis::start(&redis_dir, free_port());
    let gateway = procs::start(dir.path(), "gateway", &[("REDIS_URL", redis.url())]);
    let api = procs::api(&gateway).await;
    let (status, ready) = api.get("/readyz").await;
    assert_eq!(status, StatusCode::OK, "{ready}");
    assert_eq!(
        ready["checks"]["redis"],
        json!({ "ok": true, "configured": true })
    );
    let outage = tokio::spawn(async move {
        redis.restart(Duration::from_secs(3)).await;
        redis
    });
    eventually("readiness fails while Redis is down", || async {
        let (status, ready) = api.get("/readyz").await;
        status == StatusCode::SERVICE_UNAVAILABLE && ready["checks"]["redis"]["ok"] == false
    })
    .await;
    let _redis = outage.await.unwrap();
    eventually("ready again once Redis is back", || async {
        api.get("/readyz").await.0 == StatusCode::OK
    })
    .await;
}
