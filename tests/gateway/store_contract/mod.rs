//! The store's contract: what the rest of the gateway relies on from
//! either backend, checked on the embedded store and on Redis alike
//! through the same `Stores` the gateway holds. Behaviour only one backend
//! has (the SQLite file's damage checks, claims released by a restart)
//! stays in that backend's own tests.

mod ghl;
mod group_contacts;
mod outbox;
mod queue;
mod routes;
mod sending;
mod webhooks;

use wagate::domain::{InstanceId, MessageKind};
use wagate::store::{ForwardTarget, InboundRecord, InstanceRecord, NewForward, NewOutbound, Stores};

fn wa01() -> InstanceId {
    InstanceId::parse("wa-01").unwrap()
}

/// The stores of `env` with wa-01 registered, so sends for it are taken.
async fn stores_with_wa01(env: &crate::common::TestEnv) -> Stores {
    let stores = env.open_stores().await;
    let record = InstanceRecord::new(wa01(), None, 1);
    stores.instances.save_instance(&record).await.unwrap();
    stores
}

/// A text for wa-01 (also used by other suites' store checks).
pub fn outbound(id: &str) -> NewOutbound {
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

/// A text from a contact of wa-01 with one webhook forward.
pub fn inbound(wa_id: &str) -> InboundRecord {
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
