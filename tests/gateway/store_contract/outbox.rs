//! Inbound messages and their forwards.

use super::inbound;
use crate::common::TestEnv;
use wagate::store::{ForwardStatus, InboundRecord, Recorded, Requeue};
use wagate::support::clock::now_ms;

crate::both_backends!(
    an_inbound_message_is_stored_and_forwarded_once,
    released_forwards_are_due_at_once_and_finished_ones_are_left_alone,
    forwards_go_from_retry_to_dead_to_requeued,
    a_requeue_leaves_a_claimed_forward_alone_and_hurries_a_waiting_one,
);

async fn an_inbound_message_is_stored_and_forwarded_once(env: TestEnv) {
    let stores = env.open_stores().await;
    assert_eq!(
        stores.outbox.record_inbound(inbound("w1")).await.unwrap(),
        Recorded::Stored
    );
    assert_eq!(
        stores.outbox.record_inbound(inbound("w1")).await.unwrap(),
        Recorded::SeenBefore
    );
    let due = stores.outbox.due_forwards(10, 10).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].message_id, "w1");
}

async fn released_forwards_are_due_at_once_and_finished_ones_are_left_alone(env: TestEnv) {
    let stores = env.open_stores().await;
    let claimed_until = now_ms() + 120_000;
    for wa_id in ["w1", "w2"] {
        let claimed = InboundRecord {
            forwards_due_at_ms: claimed_until,
            ..inbound(wa_id)
        };
        stores.outbox.record_inbound(claimed).await.unwrap();
    }
    stores.outbox.forward_delivered("fwd-w2").await.unwrap();
    assert!(stores.outbox.due_forwards(now_ms(), 10).await.unwrap().is_empty());
    stores
        .outbox
        .release_forwards(&["fwd-w1".into(), "fwd-w2".into()])
        .await
        .unwrap();
    let due = stores.outbox.due_forwards(now_ms(), 10).await.unwrap();
    assert_eq!(due.iter().map(|f| f.id.as_str()).collect::<Vec<_>>(), ["fwd-w1"]);
    let delivered = stores
        .outbox
        .forwards(Some(ForwardStatus::Delivered), 10)
        .await
        .unwrap();
    assert_eq!(delivered.len(), 1, "a delivered forward stays delivered");
}

async fn forwards_go_from_retry_to_dead_to_requeued(env: TestEnv) {
    let stores = env.open_stores().await;
    let outbox = &stores.outbox;
    outbox.record_inbound(inbound("w1")).await.unwrap();
    outbox.forward_retry_at("fwd-w1", 500, "503").await.unwrap();
    assert!(outbox.due_forwards(100, 10).await.unwrap().is_empty());
    assert_eq!(outbox.next_forward_due().await.unwrap(), Some(500));
    outbox.forward_dead("fwd-w1", "gave up").await.unwrap();
    let dead = outbox.forwards(Some(ForwardStatus::Dead), 10).await.unwrap();
    assert_eq!(dead[0].attempts, 2);
    assert_eq!(dead[0].last_error.as_deref(), Some("gave up"));
    assert_eq!(outbox.requeue_forward("fwd-w1").await.unwrap(), Requeue::Requeued);
    assert_eq!(outbox.requeue_forward("nope").await.unwrap(), Requeue::Unknown);
    let pending = outbox.forwards(Some(ForwardStatus::Pending), 10).await.unwrap();
    assert_eq!(pending[0].attempts, 0);
}

async fn a_requeue_leaves_a_claimed_forward_alone_and_hurries_a_waiting_one(env: TestEnv) {
    let stores = env.open_stores().await;
    let outbox = &stores.outbox;
    let now = now_ms();
    let handed = InboundRecord {
        received_at_ms: now,
        forwards_due_at_ms: now + 120_000,
        ..inbound("w1")
    };
    outbox.record_inbound(handed).await.unwrap();
    outbox.record_inbound(inbound("w2")).await.unwrap();
    outbox
        .forward_retry_at("fwd-w2", now + 60_000, "503")
        .await
        .unwrap();
    let claimed = outbox.requeue_forward("fwd-w1").await.unwrap();
    assert_eq!(
        claimed,
        Requeue::Claimed {
            claimed_until_ms: now + 120_000
        }
    );
    assert_eq!(outbox.requeue_forward("fwd-w2").await.unwrap(), Requeue::Requeued);
    let due = outbox.due_forwards(now_ms(), 10).await.unwrap();
    assert_eq!(due.len(), 1, "the claimed one still waits: {due:?}");
    assert_eq!((due[0].id.as_str(), due[0].attempts), ("fwd-w2", 0));
}
