//! The sending state: settings, sends per cap window, contacts with their
//! unread message, and WhatsApp's block on new contacts.

use super::{inbound, outbound, stores_with_wa01, wa01};
use crate::common::TestEnv;
use wagate::store::{InboundRecord, NewContactBlock, SentMark};

crate::both_backends!(
    a_send_is_counted_once_in_its_window_and_its_recipient_becomes_a_contact,
    a_contacts_latest_unread_message_is_taken_once,
    settings_and_the_block_are_kept_and_forgotten_with_the_instance,
);

const CONTACT: &str = "+5511999999999";

fn sent(id: &str, window: i64) -> SentMark {
    SentMark {
        id: id.into(),
        instance: wa01(),
        at_ms: 1234,
        window,
        contact: Some(CONTACT.into()),
    }
}

async fn a_send_is_counted_once_in_its_window_and_its_recipient_becomes_a_contact(env: TestEnv) {
    let stores = stores_with_wa01(&env).await;
    for id in ["a", "b"] {
        stores.queue.enqueue(outbound(id), None).await.unwrap();
    }
    let stranger = "+5511888888888".to_owned();
    let asked = [CONTACT.to_owned(), stranger.clone()];
    assert!(stores
        .sending
        .known_contacts(&wa01(), &asked)
        .await
        .unwrap()
        .is_empty());
    stores.queue.mark_sent(&sent("a", 7)).await.unwrap().unwrap();
    assert!(
        stores.queue.mark_sent(&sent("a", 7)).await.unwrap().is_none(),
        "sent once"
    );
    stores.queue.mark_sent(&sent("b", 8)).await.unwrap().unwrap();
    assert_eq!(
        stores.sending.sent_in_window(&wa01(), 7).await.unwrap(),
        1,
        "counted once"
    );
    assert_eq!(stores.sending.sent_in_window(&wa01(), 8).await.unwrap(), 1);
    assert_eq!(stores.sending.sent_in_window(&wa01(), 9).await.unwrap(), 0);
    let known = stores.sending.known_contacts(&wa01(), &asked).await.unwrap();
    assert_eq!(known.into_iter().collect::<Vec<_>>(), [CONTACT]);
    assert_eq!(stores.sending.take_unread(&wa01(), CONTACT).await.unwrap(), None);
    assert_eq!(
        stores.sending.last_talked(&wa01(), CONTACT).await.unwrap(),
        Some(1234)
    );
    assert_eq!(
        stores.sending.last_talked(&wa01(), &stranger).await.unwrap(),
        None
    );
    let older = wagate::store::InboundRecord {
        contact: Some(CONTACT.into()),
        received_at_ms: 1000,
        ..inbound("w-old")
    };
    stores.outbox.record_inbound(older).await.unwrap();
    let talked = stores.sending.last_talked(&wa01(), CONTACT).await.unwrap();
    assert_eq!(talked, Some(1234), "an older message does not move the time back");
}

async fn a_contacts_latest_unread_message_is_taken_once(env: TestEnv) {
    let stores = env.open_stores().await;
    let from_contact = |wa_id: &str, unread: bool| InboundRecord {
        contact: Some(CONTACT.into()),
        unread,
        ..inbound(wa_id)
    };
    for record in [
        from_contact("w1", true),
        from_contact("w2", true),
        from_contact("w3", false),
    ] {
        stores.outbox.record_inbound(record).await.unwrap();
    }
    let known = stores
        .sending
        .known_contacts(&wa01(), &[CONTACT.into()])
        .await
        .unwrap();
    assert_eq!(known.len(), 1, "a contact who wrote is known");
    let taken = stores.sending.take_unread(&wa01(), CONTACT).await.unwrap();
    assert_eq!(
        taken.as_deref(),
        Some("w2"),
        "the latest the contact wrote; w3 was typed on the phone"
    );
    assert_eq!(stores.sending.take_unread(&wa01(), CONTACT).await.unwrap(), None);
    let repeat = stores
        .outbox
        .record_inbound(from_contact("w2", true))
        .await
        .unwrap();
    assert_eq!(repeat, wagate::store::Recorded::SeenBefore);
    assert_eq!(
        stores.sending.take_unread(&wa01(), CONTACT).await.unwrap(),
        None,
        "a repeat is not new"
    );
}

async fn settings_and_the_block_are_kept_and_forgotten_with_the_instance(env: TestEnv) {
    let stores = stores_with_wa01(&env).await;
    let sending = &stores.sending;
    assert_eq!(sending.sending_settings(&wa01()).await.unwrap(), None);
    sending
        .save_sending_settings(&wa01(), r#"{"dailyCap":5}"#)
        .await
        .unwrap();
    let block = NewContactBlock {
        since_ms: 1,
        until_ms: Some(2),
        reason: "463".into(),
    };
    sending
        .set_new_contact_block(&wa01(), Some(&block))
        .await
        .unwrap();
    assert_eq!(sending.new_contact_block(&wa01()).await.unwrap(), Some(block));
    assert_eq!(
        sending.sending_settings(&wa01()).await.unwrap().as_deref(),
        Some(r#"{"dailyCap":5}"#)
    );
    sending.set_new_contact_block(&wa01(), None).await.unwrap();
    assert_eq!(sending.new_contact_block(&wa01()).await.unwrap(), None);
    assert!(
        sending.sending_settings(&wa01()).await.unwrap().is_some(),
        "lifting keeps the settings"
    );

    stores.queue.enqueue(outbound("a"), None).await.unwrap();
    stores.queue.mark_sent(&sent("a", 7)).await.unwrap();
    stores.instances.remove_instance(&wa01()).await.unwrap();
    assert_eq!(sending.sending_settings(&wa01()).await.unwrap(), None);
    assert_eq!(sending.sent_in_window(&wa01(), 7).await.unwrap(), 0);
    assert!(sending
        .known_contacts(&wa01(), &[CONTACT.into()])
        .await
        .unwrap()
        .is_empty());
}
