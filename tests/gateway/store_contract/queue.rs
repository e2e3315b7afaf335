//! The send queue and the message log.

use super::{outbound, stores_with_wa01, wa01};
use crate::common::TestEnv;
use wagate::domain::MessageStatus;
use wagate::store::{InstanceRecord, SentMark};

crate::both_backends!(
    the_queue_hands_out_messages_in_arrival_order,
    an_idempotency_key_queues_once,
    status_never_moves_backwards,
    a_move_tells_what_it_stored_and_a_refused_one_tells_nothing,
    marking_sent_stores_the_pacing_mark_and_the_ghl_link_comes_back,
    instance_lookups_follow_saves_and_removals,
);

async fn the_queue_hands_out_messages_in_arrival_order(env: TestEnv) {
    let stores = stores_with_wa01(&env).await;
    for id in ["a", "b", "c"] {
        stores.queue.enqueue(outbound(id), None).await.unwrap();
    }
    assert_eq!(stores.queue.head(&wa01()).await.unwrap().unwrap().id, "a");
    stores
        .queue
        .advance("a", MessageStatus::Sent, None)
        .await
        .unwrap();
    assert_eq!(stores.queue.head(&wa01()).await.unwrap().unwrap().id, "b");
    let ahead: Vec<String> = stores
        .queue
        .queued(&wa01(), 5)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.id)
        .collect();
    assert_eq!(ahead, ["b", "c"]);
    assert_eq!(stores.queue.queued(&wa01(), 1).await.unwrap().len(), 1);
    assert_eq!(stores.queue.queue_depths().await.unwrap(), vec![(wa01(), 2)]);
}

async fn an_idempotency_key_queues_once(env: TestEnv) {
    let stores = stores_with_wa01(&env).await;
    let first = stores
        .queue
        .enqueue(outbound("a"), Some("k1".into()))
        .await
        .unwrap()
        .unwrap();
    let again = stores
        .queue
        .enqueue(outbound("b"), Some("k1".into()))
        .await
        .unwrap()
        .unwrap();
    assert!(!first.duplicate);
    assert!(again.duplicate);
    assert_eq!(again.id, "a");
    assert_eq!(stores.queue.stats().await.unwrap().total, 1);
}

async fn status_never_moves_backwards(env: TestEnv) {
    let stores = stores_with_wa01(&env).await;
    stores.queue.enqueue(outbound("a"), None).await.unwrap();
    for status in [MessageStatus::Sent, MessageStatus::Read, MessageStatus::Delivered] {
        stores.queue.advance("a", status, None).await.unwrap();
    }
    let record = stores.log.message("a").await.unwrap().unwrap();
    assert_eq!(record.status, MessageStatus::Read);
    assert_eq!(record.attempts, 1);
}

async fn a_move_tells_what_it_stored_and_a_refused_one_tells_nothing(env: TestEnv) {
    let stores = stores_with_wa01(&env).await;
    stores.queue.enqueue(outbound("a"), None).await.unwrap();
    let failed = stores
        .queue
        .advance("a", MessageStatus::Failed, Some("no"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (failed.instance_id, failed.status),
        (wa01(), MessageStatus::Failed)
    );
    assert_eq!(failed.error.as_deref(), Some("no"));
    assert_eq!(failed.ghl_link, None);
    assert_eq!(
        stores
            .queue
            .advance("a", MessageStatus::Read, None)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        stores
            .queue
            .advance("nope", MessageStatus::Read, None)
            .await
            .unwrap(),
        None
    );
}

async fn marking_sent_stores_the_pacing_mark_and_the_ghl_link_comes_back(env: TestEnv) {
    let stores = stores_with_wa01(&env).await;
    stores.queue.enqueue(outbound("a"), None).await.unwrap();
    let link = wagate::store::GhlLink {
        location_id: "loc".into(),
        ghl_message_id: "g1".into(),
        part: 0,
    };
    stores.ghl.link_message("a", &link).await.unwrap();
    let mark = SentMark {
        id: "a".into(),
        instance: wa01(),
        at_ms: 1234,
        window: 7,
        contact: Some("+5511999999999".into()),
    };
    let sent = stores.queue.mark_sent(&mark).await.unwrap().unwrap();
    assert_eq!(sent.status, MessageStatus::Sent);
    assert_eq!(sent.ghl_link, Some(link));
    assert_eq!(stores.queue.last_send_at(&wa01()).await.unwrap(), Some(1234));
    assert!(
        stores.queue.head(&wa01()).await.unwrap().is_none(),
        "a sent message leaves the queue"
    );
}

async fn instance_lookups_follow_saves_and_removals(env: TestEnv) {
    let stores = env.open_stores().await;
    let first = InstanceRecord::new(wa01(), None, 5);
    stores.instances.save_instance(&first).await.unwrap();
    let relinked = InstanceRecord {
        phone: Some("+5511999999999".into()),
        created_at_ms: 9,
        ..first.clone()
    };
    stores.instances.save_instance(&relinked).await.unwrap();
    let found = stores.instances.instance(&wa01()).await.unwrap().unwrap();
    assert_eq!(found.phone.as_deref(), Some("+5511999999999"));
    assert_eq!(stores.instances.instances().await.unwrap(), vec![found.clone()]);
    stores.instances.remove_instance(&wa01()).await.unwrap();
    assert_eq!(stores.instances.instance(&wa01()).await.unwrap(), None);
    assert!(stores.instances.instances().await.unwrap().is_empty());
}
