//! A restart: linked instances come back ONLINE without a scan, and what
//! was queued is sent after it, each message once.

use crate::common::{eventually, TestEnv};

crate::both_backends!(after_a_restart_instances_reconnect_and_queued_messages_go_out,);

async fn after_a_restart_instances_reconnect_and_queued_messages_go_out(env: TestEnv) {
    let slow = [("text-delay-ms", "600000".to_owned())];
    let gw = env.start(&slow).await;
    gw.linked_instance("wa-01", "+15550000001").await;
    let mut ids = Vec::new();
    for n in 0..4 {
        ids.push(gw.send_text("wa-01", "+5511999999999", &format!("m{n}")).await);
    }
    eventually("the first one goes out", || async {
        gw.sim_sent("wa-01").await.len() == 1
    })
    .await;
    gw.stop().await;

    let gw = env.start(&[]).await;
    gw.wait_status("wa-01", "ONLINE").await;
    eventually("the queued ones go out after the restart", || async {
        gw.sim_sent("wa-01").await.len() == 4
    })
    .await;
    let sent = gw.sim_sent("wa-01").await;
    let got: Vec<_> = sent
        .iter()
        .map(|m| {
            (
                m["id"].as_str().unwrap().to_owned(),
                m["attempts"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(got, ids.into_iter().map(|id| (id, 1)).collect::<Vec<_>>());
    let (_, stats) = gw.get("/api/send/stats").await;
    assert_eq!(stats["stats"]["waiting"], 0);
    gw.stop().await;
}
