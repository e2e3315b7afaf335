//! Forwards the intake hands to the forwarder in memory are claimed in the
//! store while they wait and while they are tried. A burst bigger than the
//! handoff's room, against a receiver that hangs and then recovers, reaches
//! it once per forward; and forwards whose tries were in flight when the
//! process was killed (kill -9) are sent after the restart, without waiting
//! out their claim.

use crate::gateway::Proc;
use crate::receiver_down::{Mode, Receiver};
use serde_json::json;

/// Posts `count` sim inbound messages from `contact` to `instance`, one
/// after the other, ids `{prefix}{n:04}`.
pub async fn inbound_from(
    api: &crate::gateway::Api,
    instance: &str,
    contact: &str,
    prefix: &str,
    count: usize,
) {
    for n in 0..count {
        let body = json!({ "from": contact, "text": "hi", "id": format!("{prefix}{n:04}") });
        let (status, reply) = api.post(&format!("/api/sim/{instance}/inbound"), body).await;
        assert_eq!(status, reqwest::StatusCode::OK, "{reply}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_past_the_handoffs_room_reaches_the_receiver_once_per_forward() {
    let receiver = Receiver::start().await;
    receiver.set(Mode::Hang);
    let dir = tempfile::tempdir().unwrap();
    let gateway = receiver.gateway(dir.path(), 1_000).await;
    gateway.api.link("claim-1", "+15550000011").await;
    inbound_from(&gateway.api, "claim-1", "+5511999999999", "BURST", 150).await;
    receiver.wait_for_requests(2).await;
    receiver.set(Mode::Up);
    receiver.assert_every_message_once(150).await;
    gateway.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forwards_in_flight_at_a_kill_9_are_sent_after_the_restart() {
    let receiver = Receiver::start().await;
    receiver.set(Mode::Hang);
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://{}/ghl", receiver.addr);
    let vars = [("GHL_INBOUND_URL", url.as_str()), ("FORWARD_TIMEOUT_MS", "60000")];
    let first = Proc::start(dir.path(), &vars).await;
    first.api.link("claim-k9", "+15550000012").await;
    // Three chats, so that three tries are in flight at once.
    for contact in ["+5511999999999", "+5511988887777", "+5511977776666"] {
        inbound_from(&first.api, "claim-k9", contact, &format!("INFLIGHT{contact}"), 1).await;
    }
    receiver.wait_for_requests(3).await;
    first.kill();
    receiver.set(Mode::Up);
    let _second = Proc::start(dir.path(), &vars).await;
    receiver.assert_every_message_once(3).await;
}
