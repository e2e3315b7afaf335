//! Behaviour only the embedded store has: what survives reopening the
//! file, and damage checks. What both backends must do is checked by the
//! store contract suite (tests/gateway/store_contract).

use super::SqliteStore;
use crate::domain::{InstanceId, MessageKind};
use crate::store::{
    ForwardTarget, InboundRecord, InstanceRecord, InstanceRegistry, NewForward, NewOutbound, Outbox,
    SendQueue,
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
        details: Default::default(),
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
        details: Default::default(),
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
async fn an_update_keeps_the_creation_time_and_a_reopened_file_has_the_instance() {
    let (dir, store) = store();
    let first = InstanceRecord::new(wa01(), None, 5);
    store.save_instance(&first).await.unwrap();
    let relinked = InstanceRecord {
        phone: Some("+5511999999999".into()),
        created_at_ms: 9,
        ..first.clone()
    };
    store.save_instance(&relinked).await.unwrap();
    let found = store.instance(&wa01()).await.unwrap().unwrap();
    assert_eq!(found.created_at_ms, 5, "an update keeps the creation time");
    let reopened = SqliteStore::open(&dir.path().join("t.db")).unwrap();
    assert_eq!(reopened.instance(&wa01()).await.unwrap(), Some(found));
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
    // A checkpoint gives way to the store's own readers and writers: it is
    // asked again until the rows are in the file itself.
    let mut bytes = Vec::new();
    for _ in 0..200 {
        other
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .unwrap();
        bytes = std::fs::read(&path).unwrap();
        if bytes.len() >= 64 * 4096 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert!(
        bytes.len() >= 64 * 4096,
        "the rows never reached the file: {} bytes",
        bytes.len()
    );
    assert_eq!(db.damage(), None);
    let middle = bytes.len() / 2 / 4096 * 4096;
    bytes[middle..middle + 3 * 4096].fill(0x5a);
    std::fs::write(&path, bytes).unwrap();

    assert!(db.stats().await.is_err());
    let damage = db.damage().expect("the damage is reported");
    assert!(damage.contains(&path.display().to_string()), "{damage}");
}

/// A database from before contacts were kept gets them from its log:
/// recipients of sent messages and senders of received ones.
#[tokio::test]
async fn an_older_database_learns_its_contacts_from_the_log() {
    use crate::store::SendingState;
    let (dir, db) = store_with_wa01().await;
    db.enqueue(outbound("a"), None).await.unwrap();
    db.advance("a", crate::domain::MessageStatus::Sent, None)
        .await
        .unwrap();
    db.enqueue(
        NewOutbound {
            to: "+5511777777777".into(),
            ..outbound("b")
        },
        None,
    )
    .await
    .unwrap();
    db.record_inbound(InboundRecord {
        from: Some("+5511888888888".into()),
        ..inbound("w1")
    })
    .await
    .unwrap();
    drop(db);
    let path = dir.path().join("t.db");
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch("DROP TABLE contacts")
        .unwrap();
    let reopened = SqliteStore::open(&path).unwrap();
    let asked = ["+5511999999999", "+5511888888888", "+5511777777777"].map(String::from);
    let mut known: Vec<String> = reopened
        .known_contacts(&wa01(), &asked)
        .await
        .unwrap()
        .into_iter()
        .collect();
    known.sort();
    assert_eq!(
        known,
        ["+5511888888888", "+5511999999999"],
        "the queued one was never sent"
    );
}
