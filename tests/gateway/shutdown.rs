//! Graceful shutdown: a send in flight when SIGTERM comes is finished and
//! recorded (not sent again after a restart); SHUTDOWN_TIMEOUT bounds it.

use crate::common::{eventually, Gateway};
use std::time::{Duration, Instant};

async fn send_in_flight(gw: &Gateway) -> String {
    gw.linked_instance("wa-01", "+15550000001").await;
    let id = gw.send_text("wa-01", "+5511999999999", "in flight").await;
    eventually("the send is in flight", || async {
        gw.get("/api/send/stats").await.1["stats"]["active"] == 1
    })
    .await;
    id
}

#[tokio::test]
async fn shutdown_finishes_the_send_in_flight() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(dir.path(), &[("sim-send-delay-ms", "800".into())]).await;
    let id = send_in_flight(&gw).await;
    gw.stop().await;

    let gw = Gateway::start(dir.path(), &[]).await;
    let (_, body) = gw.get(&format!("/api/messages/{id}")).await;
    let status = body["message"]["status"].as_str().unwrap().to_owned();
    assert!(["sent", "delivered", "read"].contains(&status.as_str()), "{body}");
    let sent = gw.sim_sent("wa-01").await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0]["attempts"], 1);
    gw.stop().await;
}

#[tokio::test]
async fn shutdown_timeout_bounds_a_stuck_send() {
    let dir = tempfile::tempdir().unwrap();
    let extra = [
        ("sim-send-delay-ms", "60000".to_owned()),
        ("shutdown-timeout", "300ms".to_owned()),
    ];
    let gw = Gateway::start(dir.path(), &extra).await;
    send_in_flight(&gw).await;
    let started = Instant::now();
    gw.stop().await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}
