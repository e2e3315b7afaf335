//! Connections are bounded in time and number: a silent or half-sent
//! connection is closed after HTTP_HEADER_READ_TIMEOUT_MS, an idle one
//! after HTTP_IDLE_TIMEOUT_MS, an event stream stays open past both, at
//! most HTTP_MAX_CONNECTIONS are open at once, and a stop does not wait
//! for connections that have no request in progress.

use crate::common::{Gateway, KEY};
use reqwest::StatusCode;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn start(extra: &[(&str, &str)]) -> (tempfile::TempDir, Gateway) {
    let dir = tempfile::tempdir().unwrap();
    let extra: Vec<(&str, String)> = extra.iter().map(|(k, v)| (*k, v.to_string())).collect();
    let gw = Gateway::start(dir.path(), &extra).await;
    (dir, gw)
}

/// How long until the server closes `socket`, reading what it sends.
async fn closed_after(socket: &mut TcpStream, limit: Duration) -> Duration {
    let started = Instant::now();
    let mut buffer = [0u8; 4096];
    loop {
        match tokio::time::timeout_at((started + limit).into(), socket.read(&mut buffer)).await {
            Err(_) => panic!("the connection stayed open for {limit:?}"),
            Ok(Ok(0)) | Ok(Err(_)) => return started.elapsed(),
            Ok(Ok(_)) => {}
        }
    }
}

async fn metric(gw: &Gateway, line_start: &str) -> u64 {
    let text = gw.metrics().await;
    text.lines()
        .find_map(|l| l.strip_prefix(line_start))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn silent_and_half_sent_connections_are_closed_after_the_header_timeout() {
    let (_dir, gw) = start(&[("http-header-read-timeout-ms", "400")]).await;
    let mut silent = TcpStream::connect(gw.addr).await.unwrap();
    let mut half = TcpStream::connect(gw.addr).await.unwrap();
    half.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let waited = closed_after(&mut silent, Duration::from_secs(5)).await;
    assert!(waited >= Duration::from_millis(300), "{waited:?}");
    // Bytes that trickle in do not put the deadline off.
    for _ in 0..3 {
        let _ = half.write_all(b"X-Slow: 1\r\n").await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    closed_after(&mut half, Duration::from_secs(1)).await;
    let timeouts = "wagate_http_connection_timeouts_total{timeout=\"header_read\"}";
    assert!(metric(&gw, timeouts).await >= 2);
    gw.stop().await;
}

#[tokio::test]
async fn idle_connections_are_closed_but_a_streaming_answer_is_not() {
    let (_dir, gw) = start(&[
        ("http-header-read-timeout-ms", "300"),
        ("http-idle-timeout-ms", "700"),
    ])
    .await;
    let mut kept = TcpStream::connect(gw.addr).await.unwrap();
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut answer = [0u8; 1024];
    let read = kept.read(&mut answer).await.unwrap();
    assert!(answer[..read].starts_with(b"HTTP/1.1 200"));
    // Idle past the header timeout: the idle timeout applies between requests.
    let waited = closed_after(&mut kept, Duration::from_secs(5)).await;
    assert!(waited >= Duration::from_millis(600), "{waited:?}");

    let mut events = gw
        .http
        .get(gw.url("/api/events"))
        .header("x-api-key", KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(events.status(), StatusCode::OK);
    let outlived = tokio::time::timeout(Duration::from_millis(2000), events.chunk()).await;
    assert!(
        !matches!(outlived, Ok(Ok(None)) | Ok(Err(_))),
        "the event stream ended: {outlived:?}"
    );
    drop(events);
    gw.stop().await;
}

#[tokio::test]
async fn at_the_bound_new_connections_wait_for_a_free_slot() {
    let (_dir, gw) = start(&[
        ("http-max-connections", "2"),
        ("http-header-read-timeout-ms", "1000"),
    ])
    .await;
    let hogs = [
        TcpStream::connect(gw.addr).await.unwrap(),
        TcpStream::connect(gw.addr).await.unwrap(),
    ];
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    let fresh = reqwest::Client::new();
    let answer = fresh.get(gw.url("/healthz")).send().await.unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    assert!(
        started.elapsed() >= Duration::from_millis(500),
        "{:?}",
        started.elapsed()
    );
    drop((hogs, fresh));
    assert!(metric(&gw, "wagate_http_connection_limit_reached_total").await >= 1);
    gw.stop().await;
}

#[tokio::test]
async fn a_stop_does_not_wait_for_silent_or_half_sent_connections() {
    let (_dir, gw) = start(&[]).await;
    let mut open = Vec::new();
    for n in 0..50 {
        let mut socket = TcpStream::connect(gw.addr).await.unwrap();
        if n % 2 == 0 {
            socket
                .write_all(b"POST /api/send HTTP/1.1\r\nHost: x\r\n")
                .await
                .unwrap();
        }
        open.push(socket);
    }
    // An idle keep-alive connection too.
    let client = reqwest::Client::new();
    assert_eq!(
        client.get(gw.url("/healthz")).send().await.unwrap().status(),
        StatusCode::OK
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    gw.stop().await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    drop(open);
}
