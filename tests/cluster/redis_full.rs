//! Redis out of memory (a test-owned redis-server whose `maxmemory` is set
//! just above what it holds, with no eviction): sends are refused with a
//! 507 JSON answer; once the limit is lifted, sends are accepted again,
//! every accepted one goes out once and in order, and no refused one does.
//! Ownership holds meanwhile: leases are still renewed.

use crate::procs::{self, free_port, OwnRedis};
use crate::support::send_until_refused;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

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
    let vars = [("REDIS_URL", redis.url()), ("TEXT_DELAY_MS", "0".into())];
    let gateway = procs::start(dir.path(), "gateway", &vars);
    let api = procs::api(&gateway).await;
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
    procs::assert_sent_once_in_order(&api, "wa-01", &accepted).await;
    drop(redis);
}

/// Keeps Redis full for `spell`: writes filler until a write is refused
/// for want of memory, and again whenever expiring keys made room.
async fn keep_full(url: &str, spell: Duration) {
    let client = redis::Client::open(url).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let filler = vec![b'x'; 4 * 1024];
    let until = tokio::time::Instant::now() + spell;
    let mut n = 0;
    while tokio::time::Instant::now() < until {
        let wrote = redis::cmd("SET")
            .arg(format!("filler:{n}"))
            .arg(&filler)
            .query_async::<()>(&mut conn)
            .await;
        match wrote {
            Ok(()) => n += 1,
            Err(e) if e.code() == Some("OOM") => tokio::time::sleep(Duration::from_millis(20)).await,
            Err(e) => panic!("{e}"),
        }
        assert!(n < 4_000, "Redis took 16 MB of filler past its limit");
    }
}

/// A lease is renewed through a full Redis (a renewal only moves an expiry,
/// which Redis allows when out of memory, unlike the heartbeat), so the
/// instance keeps running where it ran however short the lease.
#[tokio::test]
async fn ownership_holds_through_a_full_redis() {
    let dir = tempfile::tempdir().unwrap();
    let redis_dir = dir.path().join("redis");
    std::fs::create_dir_all(&redis_dir).unwrap();
    let redis = OwnRedis::start(&redis_dir, free_port());
    let vars = [("REDIS_URL", redis.url()), ("LEASE_MS", "1500".into())];
    let gateway = procs::start(dir.path(), "gateway", &vars);
    let api = procs::api(&gateway).await;
    api.link("wa-01", "+15550000001").await;

    set_maxmemory(&redis.url(), HEADROOM_BYTES).await;
    // Past the lease, and past what the state published before lasts.
    keep_full(&redis.url(), Duration::from_secs(5)).await;
    let shown = api.instance("wa-01").await;
    assert_eq!(shown["status"], "ONLINE", "the session kept running: {shown}");
    set_maxmemory(&redis.url(), 0).await;
    drop(redis);
}
