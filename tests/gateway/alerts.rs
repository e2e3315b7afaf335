//! Alerts reach a local monitoring receiver, once per incident, with the
//! monitoring token; a logout asked for through the API raises none.

use crate::common::receiver::Receiver;
use crate::common::{eventually, Gateway};
use serde_json::json;

#[tokio::test]
async fn a_phone_logout_raises_one_alert_with_the_token() {
    let monitor = Receiver::start().await;
    let dir = tempfile::tempdir().unwrap();
    let extra = [
        ("monitoring-webhook-url", monitor.url()),
        ("monitoring-webhook-token", "ops-token-1".to_owned()),
    ];
    let gw = Gateway::start(dir.path(), &extra).await;
    gw.linked_instance("wa-01", "+15550000001").await;
    gw.linked_instance("wa-02", "+15550000002").await;
    // Give the watchers a look at the instances while they are online.
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    gw.post("/api/sim/wa-01/logout", json!({})).await;
    gw.post("/api/wa/logout/wa-02", json!({})).await;
    gw.wait_status("wa-01", "LOGGED_OUT").await;
    gw.wait_status("wa-02", "LOGGED_OUT").await;
    eventually("the monitor hears of the logout", || async {
        !monitor.received().is_empty()
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    let received = monitor.received();
    assert_eq!(received.len(), 1, "{received:?}");
    let alert = &received[0];
    assert_eq!(alert.body["event"], "instance.logged_out");
    assert_eq!(alert.body["instanceId"], "wa-01");
    assert_eq!(alert.body["status"], "LOGGED_OUT");
    assert_eq!(alert.authorization.as_deref(), Some("Bearer ops-token-1"));
    gw.stop().await;
}

#[tokio::test]
async fn dead_letters_raise_one_alert() {
    let ghl = Receiver::start().await;
    ghl.answer_always(Some(500));
    let monitor = Receiver::start().await;
    let dir = tempfile::tempdir().unwrap();
    let extra = [
        ("ghl-inbound-url", ghl.url()),
        ("forward-max-attempts", "1".to_owned()),
        ("alert-webhook-url", monitor.url()),
    ];
    let gw = Gateway::start(dir.path(), &extra).await;
    gw.linked_instance("wa-01", "+15550000001").await;
    for n in 0..2 {
        let inbound = json!({ "from": "+5511999999999", "text": "hi", "id": format!("WAD{n}") });
        gw.post("/api/sim/wa-01/inbound", inbound).await;
    }
    eventually("the monitor hears of dead letters", || async {
        !monitor.received().is_empty()
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    let received = monitor.received();
    assert_eq!(received.len(), 1, "{received:?}");
    assert_eq!(received[0].body["event"], "forwards.dead_lettering");
    assert_eq!(received[0].authorization, None);
    gw.stop().await;
}
