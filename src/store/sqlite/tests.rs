//! Behaviour of the embedded store that the rest of the gateway relies on.

use super::SqliteStore;
use crate::domain::{InstanceId, MessageKind, MessageStatus};
use crate::store::{
    ForwardStatus, ForwardTarget, InboundRecord, InstanceRecord, InstanceRegistry, NewForward, NewOutbound,
    Outbox, Recorded, Requeue, SendQueue,
};

fn store() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("t.db")).unwrap();
    (dir, store)
}

/// A store with wa-01 registered, so sends for it are taken.
async fn store_with_wa01() -> (tempfile::TempDir, SqliteStore) {
    let (dir, db) = store();
    let record = InstanceRecord::new(wa01(), None, 1);
    db.save_instance(&record).await.unwrap();
    (dir, db)
}

fn wa01() -> InstanceId {
    InstanceId::parse("wa-01").unwrap()
}

fn outbound(id: &str) -> NewOutbound {
    NewOutbound {
        id: id.into(),
        instance: wa01(),
        to: "+5511999999999".into(),
        kind: MessageKind::Text,
        text: format!("text {id}"),
        media_url: None,
        caption: None,
        created_at_ms: 1,
        request_id: None,
    }
}

fn inbound(wa_id: &str) -> InboundRecord {
    InboundRecord {
        wa_id: wa_id.into(),
        instance: wa01(),
        kind: MessageKind::Text,
        from: Some("+5511999999999".into()),
        to: None,
        contact: None,
        unread: false,
        text: "hi".into(),
        media_url: None,
        caption: None,
        received_at_ms: 10,
        forwards: vec![NewForward {
            id: format!("fwd-{wa_id}"),
            target: ForwardTarget::Webhook,
            body: "{}".into(),
        }],
        forwards_due_at_ms: 10,
        routing_generation: 0,
    }
}

#[tokio::test]
async fn the_queue_hands_out_messages_in_arrival_order() {
    let (_dir, db) = store_with_wa01().await;
    for id in ["a", "b", "c"] {
        db.enqueue(outbound(id), None).await.unwrap();
    }
    assert_eq!(db.head(&wa01()).await.unwrap().unwrap().id, "a");
    db.advance("a", MessageStatus::Sent, None).await.unwrap();
    assert_eq!(db.head(&wa01()).await.unwrap().unwrap().id, "b");
    let depths = db.queue_depths().await.unwrap();
    assert_eq!(depths, vec![(wa01(), 2)]);
}

#[tokio::test]
async fn an_idempotency_key_queues_once() {
    let (_dir, db) = store_with_wa01().await;
    let first = db
        .enqueue(outbound("a"), Some("k1".into()))
        .await
        .unwrap()
        .unwrap();
    let again = db
        .enqueue(outbound("b"), Some("k1".into()))
        .await
        .unwrap()
        .unwrap();
    assert!(!first.duplicate);
    assert!(again.duplicate);
    assert_eq!(again.id, "a");
    assert_eq!(db.stats().await.unwrap().total, 1);
}

#[tokio::test]
async fn status_never_moves_backwards() {
    let (_dir, db) = store_with_wa01().await;
    db.enqueue(outbound("a"), None).await.unwrap();
    db.advance("a", MessageStatus::Sent, None).await.unwrap();
    db.advance("a", MessageStatus::Read, None).await.unwrap();
    db.advance("a", MessageStatus::Delivered, None).await.unwrap();
    let log: &dyn crate::store::MessageLog = &db;
    let record = log.message("a").await.unwrap().unwrap();
    assert_eq!(record.status, MessageStatus::Read);
    assert_eq!(record.attempts, 1);
}

#[tokio::test]
async fn a_move_tells_what_it_stored_and_a_refused_one_tells_nothing() {
    let (_dir, db) = store_with_wa01().await;
    db.enqueue(outbound("a"), None).await.unwrap();
    let sent = db
        .advance("a", MessageStatus::Failed, Some("no"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((sent.instance_id, sent.status), (wa01(), MessageStatus::Failed));
    assert_eq!(sent.error.as_deref(), Some("no"));
    assert_eq!(sent.ghl_link, None);
    assert_eq!(db.advance("a", MessageStatus::Read, None).await.unwrap(), None);
    assert_eq!(db.advance("nope", MessageStatus::Read, None).await.unwrap(), None);
}

#[tokio::test]
async fn marking_sent_stores_the_pacing_mark_and_the_ghl_link_comes_back() {
    use crate::store::{GhlLink, GhlState, SendingState};
    let (_dir, db) = store_with_wa01().await;
    db.enqueue(outbound("a"), None).await.unwrap();
    let link = GhlLink {
        location_id: "loc".into(),
        ghl_message_id: "g1".into(),
        part: 0,
    };
    db.link_message("a", &link).await.unwrap();
    let mark = crate::store::SentMark {
        id: "a".into(),
        instance: wa01(),
        at_ms: 1234,
        window: 7,
        contact: Some("+5511999999999".into()),
    };
    let sent = db.mark_sent(&mark).await.unwrap().unwrap();
    assert_eq!(sent.status, MessageStatus::Sent);
    assert_eq!(sent.ghl_link, Some(link));
    assert_eq!(db.last_send_at(&wa01()).await.unwrap(), Some(1234));
    assert_eq!(db.sent_in_window(&wa01(), 7).await.unwrap(), 1);
    assert!(db.mark_sent(&mark).await.unwrap().is_none(), "sent once");
    assert_eq!(db.sent_in_window(&wa01(), 7).await.unwrap(), 1, "counted once");
    let known = db
        .known_contacts(&wa01(), &["+5511999999999".into(), "+5511888888888".into()])
        .await
        .unwrap();
    assert_eq!(
        known.into_iter().collect::<Vec<_>>(),
        vec!["+5511999999999".to_owned()]
    );
    assert!(
        db.head(&wa01()).await.unwrap().is_none(),
        "a sent message leaves the queue"
    );
}

#[tokio::test]
async fn an_inbound_message_is_stored_and_forwarded_once() {
    let (_dir, db) = store();
    assert_eq!(db.record_inbound(inbound("w1")).await.unwrap(), Recorded::Stored);
    assert_eq!(
        db.record_inbound(inbound("w1")).await.unwrap(),
        Recorded::SeenBefore
    );
    let due = db.due_forwards(10, 10).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].message_id, "w1");
}

#[tokio::test]
async fn a_claimed_forward_waits_out_its_claim_and_is_released_by_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let db = SqliteStore::open(&path).unwrap();
    let claimed = InboundRecord {
        forwards_due_at_ms: 120_010,
        ..inbound("w1")
    };
    db.record_inbound(claimed).await.unwrap();
    db.record_inbound(inbound("w2")).await.unwrap();
    db.forward_retry_at("fwd-w2", 90_000, "503").await.unwrap();
    assert!(db.due_forwards(50_000, 10).await.unwrap().is_empty());
    drop(db);
    let reopened = SqliteStore::open(&path).unwrap();
    let due = reopened.due_forwards(50_000, 10).await.unwrap();
    assert_eq!(due.len(), 1, "only the claim is released, not the retry's wait");
    assert_eq!((due[0].id.as_str(), due[0].next_attempt_at_ms), ("fwd-w1", 10));
}

#[tokio::test]
async fn released_forwards_are_due_at_once_and_finished_ones_are_left_alone() {
    let (_dir, db) = store();
    let claimed_until = crate::support::clock::now_ms() + 120_000;
    for wa_id in ["w1", "w2"] {
        let claimed = InboundRecord {
            forwards_due_at_ms: claimed_until,
            ..inbound(wa_id)
        };
        db.record_inbound(claimed).await.unwrap();
    }
    db.forward_delivered("fwd-w2").await.unwrap();
    assert!(db
        .due_forwards(crate::support::clock::now_ms(), 10)
        .await
        .unwrap()
        .is_empty());
    db.release_forwards(&["fwd-w1".into(), "fwd-w2".into()])
        .await
        .unwrap();
    let due = db
        .due_forwards(crate::support::clock::now_ms(), 10)
        .await
        .unwrap();
    assert_eq!(due.iter().map(|f| f.id.as_str()).collect::<Vec<_>>(), ["fwd-w1"]);
    let delivered = db.forwards(Some(ForwardStatus::Delivered), 10).await.unwrap();
    assert_eq!(delivered.len(), 1, "a delivered forward stays delivered");
}

#[tokio::test]
async fn forwards_go_from_retry_to_dead_to_requeued() {
    let (_dir, db) = store();
    db.record_inbound(inbound("w1")).await.unwrap();
    db.forward_retry_at("fwd-w1", 500, "503").await.unwrap();
    assert!(db.due_forwards(100, 10).await.unwrap().is_empty());
    assert_eq!(db.next_forward_due().await.unwrap(), Some(500));
    db.forward_dead("fwd-w1", "gave up").await.unwrap();
    let dead = db.forwards(Some(ForwardStatus::Dead), 10).await.unwrap();
    assert_eq!(dead[0].attempts, 2);
    assert_eq!(dead[0].last_error.as_deref(), Some("gave up"));
    assert_eq!(db.requeue_forward("fwd-w1").await.unwrap(), Requeue::Requeued);
    assert_eq!(db.requeue_forward("nope").await.unwrap(), Requeue::Unknown);
    assert_eq!(
        db.forwards(Some(ForwardStatus::Pending), 10).await.unwrap()[0].attempts,
        0
    );
}

#[tokio::test]
async fn a_requeue_leaves_a_claimed_forward_alone_and_hurries_a_waiting_one() {
    let (_dir, db) = store();
    let now = crate::support::clock::now_ms();
    let handed = InboundRecord {
        received_at_ms: now,
        forwards_due_at_ms: now + 120_000,
        ..inbound("w1")
    };
    db.record_inbound(handed).await.unwrap();
    db.record_inbound(inbound("w2")).await.unwrap();
    db.forward_retry_at("fwd-w2", now + 60_000, "503").await.unwrap();
    assert_eq!(
        db.requeue_forward("fwd-w1").await.unwrap(),
        Requeue::Claimed {
            claimed_until_ms: now + 120_000
        }
    );
    assert_eq!(db.requeue_forward("fwd-w2").await.unwrap(), Requeue::Requeued);
    let due = db
        .due_forwards(crate::support::clock::now_ms(), 10)
        .await
        .unwrap();
    assert_eq!(due.len(), 1, "the claimed one still waits: {due:?}");
    assert_eq!((due[0].id.as_str(), due[0].attempts), ("fwd-w2", 0));
}

fn token(access: &str) -> crate::store::StoredToken {
    crate::store::StoredToken {
        owner_id: "loc1".into(),
        kind: crate::store::TokenOwnerKind::Location,
        company_id: None,
        access_token: access.into(),
        refresh_token: Some(format!("refresh-for-{access}")),
        expires_at_ms: 1_000,
        scope: String::new(),
        version: 0,
        updated_at_ms: 0,
    }
}

#[tokio::test]
async fn a_token_is_replaced_only_over_the_version_it_was_made_from() {
    use crate::store::GhlState;
    let (_dir, db) = store();
    assert!(db.replace_token(&token("a"), None).await.unwrap());
    assert_eq!(db.token("loc1").await.unwrap().unwrap().version, 1);
    assert!(db.replace_token(&token("b"), Some(1)).await.unwrap());
    assert!(
        !db.replace_token(&token("late"), Some(1)).await.unwrap(),
        "a stale writer loses"
    );
    let stored = db.token("loc1").await.unwrap().unwrap();
    assert_eq!((stored.version, stored.access_token.as_str()), (2, "b"));
    assert_eq!(stored.refresh_token.as_deref(), Some("refresh-for-b"));
}

#[tokio::test]
async fn reported_statuses_only_move_forward() {
    use crate::store::GhlState;
    let (_dir, db) = store();
    assert!(db.advance_reported("g1", 1).await.unwrap());
    assert!(!db.advance_reported("g1", 0).await.unwrap());
    assert!(!db.advance_reported("g1", 1).await.unwrap());
    assert!(db.advance_reported("g1", 2).await.unwrap());
    assert_eq!(db.reported_rank("g1").await.unwrap(), Some(2));
}

#[tokio::test]
async fn instance_lookups_follow_saves_and_removals() {
    use crate::store::{InstanceRecord, InstanceRegistry};
    let (dir, store) = store();
    let first = InstanceRecord {
        id: wa01(),
        alias: None,
        phone: None,
        created_at_ms: 5,
        last_connected_at_ms: None,
        last_error: None,
    };
    store.save_instance(&first).await.unwrap();
    let relinked = InstanceRecord {
        phone: Some("+5511999999999".into()),
        created_at_ms: 9,
        ..first.clone()
    };
    store.save_instance(&relinked).await.unwrap();
    let found = store.instance(&wa01()).await.unwrap().unwrap();
    assert_eq!(found.phone.as_deref(), Some("+5511999999999"));
    assert_eq!(found.created_at_ms, 5, "an update keeps the creation time");
    assert_eq!(store.instances().await.unwrap(), vec![found.clone()]);
    let reopened = SqliteStore::open(&dir.path().join("t.db")).unwrap();
    assert_eq!(reopened.instance(&wa01()).await.unwrap(), Some(found));
    store.remove_instance(&wa01()).await.unwrap();
    assert_eq!(store.instance(&wa01()).await.unwrap(), None);
}

/// Pages damaged under a running store: the read that meets them fails
/// and the damage is reported (readiness asks) from then on.
#[tokio::test]
async fn damage_met_by_a_read_is_reported_from_then_on() {
    use crate::store::DiskCheck;
    let (dir, db) = store_with_wa01().await;
    for n in 0..500 {
        let message = NewOutbound {
            text: format!("{n:>2000}"),
            ..outbound(&format!("m{n}"))
        };
        db.enqueue(message, None).await.unwrap();
    }
    let path = dir.path().join("t.db");
    let other = rusqlite::Connection::open(&path).unwrap();
    other.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)").unwrap();
    assert_eq!(db.damage(), None);
    let mut bytes = std::fs::read(&path).unwrap();
    let middle = bytes.len() / 2 / 4096 * 4096;
    bytes[middle..middle + 3 * 4096].fill(0x5a);
    std::fs::write(&path, bytes).unwrap();

    assert!(db.stats().await.is_err());
    let damage = db.damage().expect("the damage is reported");
    assert!(damage.contains(&path.display().to_string()), "{damage}");
}
