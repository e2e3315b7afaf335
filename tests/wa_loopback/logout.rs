//! Server-side logout: the phone removes the linked device, and the
//! gateway's real client hears it the way WhatsApp says it.

use crate::common::receiver::Receiver;
use crate::common::{eventually, TestEnv};
use crate::{link, real_gateway_with};
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::time::Duration;
use wa_loopback::LoopbackServer;

const LINKED: &str = "+5511900000001";
const CONTACT: &str = "+5511988880008";

crate::both_backends!(a_device_removed_by_the_phone_is_logged_out_and_offers_a_new_qr);

/// The server removes the linked device (`<stream:error code="401">
/// <conflict type="device_removed"/>`): the instance goes LOGGED_OUT, one
/// alert goes out, the send waiting in the queue fails with the reason,
/// and asking for a QR code again shows a new one from a new pairing,
/// without deleting the instance.
async fn a_device_removed_by_the_phone_is_logged_out_and_offers_a_new_qr(env: TestEnv) {
    let server = LoopbackServer::start().await.unwrap();
    server.add_contact(CONTACT).unwrap();
    let monitor = Receiver::start().await;
    let gw = real_gateway_with(&env, &server, &[("monitoring-webhook-url", monitor.url())]).await;
    link(&gw, &server, "wa-loop", LINKED).await;
    // The first send goes at once, the next waits ten minutes in the queue.
    let slow = json!({"textDelayMs": {"min": 600_000, "max": 600_000}});
    let (status, body) = gw
        .call(Method::PUT, "/api/instances/wa-loop/settings", Some(slow))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let first = gw.send_text("wa-loop", CONTACT, "the first").await;
    eventually("the first message is sent", || async {
        message(&gw, &first).await["status"] == "sent"
    })
    .await;
    let waiting = gw.send_text("wa-loop", CONTACT, "the second").await;
    assert_eq!(message(&gw, &waiting).await["status"], "queued");
    let refs = server.issued_refs();

    server.remove_devices(LINKED).unwrap();
    gw.wait_status("wa-loop", "LOGGED_OUT").await;
    eventually("the waiting send fails", || async {
        message(&gw, &waiting).await["status"] == "failed"
    })
    .await;
    let error = message(&gw, &waiting).await["error"].to_string();
    assert!(error.contains("logged out"), "{error}");
    eventually("the monitor hears of the logout", || async {
        !monitor.received().is_empty()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let alerts = monitor.received();
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0].body["event"], "instance.logged_out");

    eventually("a new QR code is shown", || async {
        gw.get("/api/wa/qr/wa-loop").await.1["code"].is_string()
    })
    .await;
    let (_, body) = gw.get("/api/wa/qr/wa-loop").await;
    let new_ref = body["code"]
        .as_str()
        .unwrap()
        .split(',')
        .next()
        .unwrap()
        .to_owned();
    assert!(!refs.contains(&new_ref), "a new pairing: {new_ref}");
    assert!(server.issued_refs().contains(&new_ref));
    assert_eq!(gw.status_of("wa-loop").await, "PAIRING");
    gw.stop().await;
}

async fn message(gw: &crate::common::Gateway, id: &str) -> serde_json::Value {
    gw.get(&format!("/api/messages/{id}")).await.1["message"].clone()
}
