//! Helpers every integration test crate shares; each crate includes this
//! file and uses the part it needs.

pub mod api;
pub mod ghl_user_data;
pub mod in_process;
pub mod process;

use std::future::Future;
use std::time::Duration;

/// A loopback port that was free a moment ago.
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address").port()
}

/// Polls `check` until it holds; fails the test after `limit`.
pub async fn eventually_within<F, Fut>(what: &str, limit: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + limit;
    while tokio::time::Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("timed out waiting until {what}");
}

/// Deletes a finished test's Redis keys.
pub async fn remove_redis_keys(url: &str, prefix: &str) {
    let client = redis::Client::open(url).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}*"))
        .query_async(&mut conn)
        .await
        .unwrap();
    if !keys.is_empty() {
        redis::cmd("DEL")
            .arg(keys)
            .query_async::<()>(&mut conn)
            .await
            .unwrap();
    }
}

/// Makes sends `0..most` through `send` until one is not accepted (202);
/// returns the ids of the accepted ones, then the refusal's status and
/// body. Fails the test when all of them are accepted.
pub async fn send_until_refused<F, Fut>(
    most: usize,
    mut send: F,
) -> (Vec<String>, reqwest::StatusCode, serde_json::Value)
where
    F: FnMut(usize) -> Fut,
    Fut: Future<Output = (reqwest::StatusCode, serde_json::Value)>,
{
    let mut accepted = Vec::new();
    for n in 0..most {
        let (status, reply) = send(n).await;
        if status != reqwest::StatusCode::ACCEPTED {
            return (accepted, status, reply);
        }
        accepted.push(
            reply["id"]
                .as_str()
                .expect("an accepted send has an id")
                .to_owned(),
        );
    }
    panic!("{most} sends were all accepted; one should have been refused");
}

/// Reads a Server-Sent Events stream until an event (name, JSON data)
/// satisfies `wanted`; fails the test after 10 s.
pub async fn next_sse_event(
    stream: &mut reqwest::Response,
    buffer: &mut String,
    wanted: impl Fn(&str, &serde_json::Value) -> bool,
) -> serde_json::Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        while let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            let name = block
                .lines()
                .find_map(|l| l.strip_prefix("event:"))
                .map(str::trim);
            let data = block.lines().find_map(|l| l.strip_prefix("data:")).map(str::trim);
            if let (Some(name), Some(data)) = (name, data) {
                let data: serde_json::Value = serde_json::from_str(data).unwrap();
                if wanted(name, &data) {
                    return data;
                }
            }
        }
        let chunk = tokio::time::timeout_at(deadline, stream.chunk())
            .await
            .expect("the wanted event arrives in time")
            .unwrap()
            .expect("the stream stays open");
        buffer.push_str(&String::from_utf8_lossy(&chunk));
    }
}
