//! The instances' own webhooks: kept, listed per instance, changed and
//! removed (with their instance too); every write moves the routing
//! generation on, so an inbound record chosen by the old list is refused;
//! a hook's forward keeps the target that names its webhook; an
//! instance's cap holds however many adds come at once.

use super::{inbound, stores_with_wa01, wa01};
use crate::common::TestEnv;
use wagate::domain::{HookEvent, InstanceId, WebhookId};
use wagate::store::{ForwardTarget, InboundRecord, InstanceWebhook, NewForward, Recorded};

crate::both_backends!(
    webhooks_are_kept_per_instance_and_leave_with_their_instance,
    a_webhook_write_refuses_forwards_chosen_before_it,
    adds_at_once_never_pass_the_cap,
);

fn hook(instance: &InstanceId, created_at_ms: i64) -> InstanceWebhook {
    InstanceWebhook {
        id: WebhookId::new(),
        instance_id: instance.clone(),
        url: "https://example.com/hook".into(),
        events: vec![HookEvent::Messages, HookEvent::Statuses],
        secret: Some("plain:secret".into()),
        created_at_ms,
    }
}

async fn webhooks_are_kept_per_instance_and_leave_with_their_instance(env: TestEnv) {
    let stores = stores_with_wa01(&env).await;
    let wa02 = InstanceId::parse("wa-02").unwrap();
    let (first, second, other) = (hook(&wa01(), 1), hook(&wa01(), 2), hook(&wa02, 3));
    for h in [&second, &first, &other] {
        stores.webhooks.save_webhook(h).await.unwrap();
    }
    let of_wa01 = stores.webhooks.webhooks_of(&wa01()).await.unwrap();
    assert_eq!(
        of_wa01,
        [first.clone(), second.clone()],
        "oldest first, this instance's only"
    );
    let changed = InstanceWebhook {
        events: vec![HookEvent::Instance],
        secret: None,
        ..first.clone()
    };
    stores.webhooks.save_webhook(&changed).await.unwrap();
    assert_eq!(stores.webhooks.webhook(first.id).await.unwrap(), Some(changed));
    assert!(stores.webhooks.remove_webhook(second.id).await.unwrap());
    assert!(!stores.webhooks.remove_webhook(second.id).await.unwrap());
    assert_eq!(stores.webhooks.webhook(second.id).await.unwrap(), None);

    stores.instances.remove_instance(&wa01()).await.unwrap();
    assert!(stores.webhooks.webhooks_of(&wa01()).await.unwrap().is_empty());
    assert_eq!(stores.webhooks.webhook(first.id).await.unwrap(), None);
    assert_eq!(stores.webhooks.webhooks_of(&wa02).await.unwrap(), [other]);
}

async fn a_webhook_write_refuses_forwards_chosen_before_it(env: TestEnv) {
    let stores = stores_with_wa01(&env).await;
    let before = stores.outbox.inbound_routing().await.unwrap();
    let added = hook(&wa01(), 1);
    stores.webhooks.save_webhook(&added).await.unwrap();
    let stale = InboundRecord {
        routing_generation: before.generation,
        ..inbound("w1")
    };
    assert_eq!(
        stores.outbox.record_inbound(stale).await.unwrap(),
        Recorded::RoutingChanged
    );

    let now = stores.outbox.inbound_routing().await.unwrap();
    assert_eq!(now.webhooks, std::slice::from_ref(&added));
    let mut fresh = InboundRecord {
        routing_generation: now.generation,
        ..inbound("w1")
    };
    fresh.forwards.push(NewForward {
        id: "hook-w1".into(),
        target: ForwardTarget::Hook(added.id),
        body: "{}".into(),
    });
    assert_eq!(
        stores.outbox.record_inbound(fresh).await.unwrap(),
        Recorded::Stored
    );
    let due = stores.outbox.due_forwards(10, 10).await.unwrap();
    let hooked = due
        .iter()
        .find(|f| f.id == "hook-w1")
        .expect("the hook's forward");
    assert_eq!(hooked.target, ForwardTarget::Hook(added.id));

    stores.webhooks.remove_webhook(added.id).await.unwrap();
    let after = stores.outbox.inbound_routing().await.unwrap();
    assert!(after.generation > now.generation && after.webhooks.is_empty());
}

/// Twelve adds for wa-01 at once against a cap of five, beside one for
/// wa-02: exactly five of wa-01's are kept, and wa-02's does not count
/// against it.
async fn adds_at_once_never_pass_the_cap(env: TestEnv) {
    let stores = stores_with_wa01(&env).await;
    let wa02 = InstanceId::parse("wa-02").unwrap();
    stores.webhooks.add_webhook(&hook(&wa02, 0), 5).await.unwrap();
    let adds = (0..12).map(|n| {
        let webhooks = stores.webhooks.clone();
        let added = hook(&wa01(), n);
        tokio::spawn(async move { webhooks.add_webhook(&added, 5).await.unwrap() })
    });
    let mut kept = 0;
    for add in adds.collect::<Vec<_>>() {
        kept += usize::from(add.await.unwrap());
    }
    assert_eq!(kept, 5, "five said added");
    assert_eq!(stores.webhooks.webhooks_of(&wa01()).await.unwrap().len(), 5);
    assert_eq!(stores.webhooks.webhooks_of(&wa02).await.unwrap().len(), 1);
}
