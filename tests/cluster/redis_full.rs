//! Redis out of memory (a test-owned redis-server whose `maxmemory` is set
//! just above what it holds, with no eviction): sends are refused with a
//! 507 JSON answer; once the limit is lifted, sends are accepted again,
//! every accepted one goes out once and in order, and no refused one does.

use crate::procs::{free_port, Api, OwnRedis, Proc};
use crate::support::send_until_refused;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// Texts this long fill the room left within a few hundred sends.
const TEXT_LEN: usize = 4_000;
/// Room left in Redis above what it holds when the limit is set.
const HEADROOM_BYTES: u64 = 1024 * 1024;
/// A full Redis must refuse a send well before this many are accepted.
const MOST_SENDS_BEFORE_FULL: usize = 2_000;

fn send_body(n: usize) -> Value {
    let text = format!("m{n} {}", "x".repeat(TEXT_LEN));
    json!({ "instanceId": "wa-01", "to": "+5511999999999", "message": text })
}

async fn set_maxmemory(url: &str, bytes: u64) {
    let client = redis::Client::open(url).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let info: String = redis::cmd("INFO")
        .arg("memory")
        .query_async(&mut conn)
        .await
        .unwrap();
    let used: u64 = info
        .lines()
        .find_map(|line| line.strip_prefix("used_memory:"))
        .and_then(|value| value.trim().parse().ok())
        .expect("INFO memory has used_memory");
    let limit = if bytes == 0 { 0 } else { used + bytes };
    redis::cmd("CONFIG")
        .arg("SET")
        .arg("maxmemory-policy")
        .arg("noeviction")
        .arg("maxmemory")
        .arg(limit)
        .query_async::<()>(&mut conn)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_full_redis_refuses_sends_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let redis_dir = dir.path().join("redis");
    std::fs::create_dir_all(&redis_dir).unwrap();
    let redis = OwnRedis::start(&redis_dir, free_port());
    // Leases outlast the test's out-of-memory spell, so ownership stays put.
    let vars = [
        ("REDIS_URL", redis.url()),
        ("TEXT_DELAY_MS", "0".into()),
        ("LEASE_MS", "20000".into()),
    ];
    let gateway = Proc::start(dir.path(), "gateway", &vars);
    let api = Api::new(gateway.port).await;
    api.link("wa-01", "+15550000001").await;

    set_maxmemory(&redis.url(), HEADROOM_BYTES).await;
    let (mut accepted, status, refusal) =
        send_until_refused(MOST_SENDS_BEFORE_FULL, |n| api.post("/api/send", send_body(n))).await;
    assert_eq!(status, StatusCode::INSUFFICIENT_STORAGE, "{refusal}");
    assert_eq!(refusal["code"], "storage_full", "{refusal}");

    set_maxmemory(&redis.url(), 0).await;
    for n in 0..20 {
        let (status, reply) = api.post("/api/send", send_body(n)).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{reply}");
        accepted.push(reply["id"].as_str().unwrap().to_owned());
    }
    api.assert_sent_once_in_order("wa-01", &accepted).await;
    drop(redis);
}
