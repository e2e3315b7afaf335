//! The routing generation, on each store: what moves it on (a route
//! written or removed, a token owner added or removed; not a refreshed
//! token), and that an inbound record whose forwards were chosen by an
//! older generation is refused with nothing written.

use crate::common::TestEnv;
use wagate::domain::InstanceId;
use wagate::store::{
    ForwardStatus, InboundRecord, LocationRoute, Recorded, StoredToken, Stores, TokenOwnerKind,
};

crate::both_backends!(
    routes_and_token_owners_move_the_generation_on,
    a_record_chosen_by_an_older_routing_is_refused,
);

fn wa01() -> InstanceId {
    InstanceId::parse("wa-01").unwrap()
}

fn route(location: &str) -> LocationRoute {
    LocationRoute {
        location_id: location.into(),
        default_instance_id: wa01(),
        instance_ids: vec![wa01()],
        new_contacts: Default::default(),
    }
}

fn token(owner: &str, access: &str) -> StoredToken {
    StoredToken {
        owner_id: owner.into(),
        kind: TokenOwnerKind::Location,
        company_id: None,
        access_token: access.into(),
        refresh_token: None,
        expires_at_ms: 0,
        scope: String::new(),
        version: 0,
        updated_at_ms: 0,
    }
}

async fn generation(stores: &Stores) -> u64 {
    stores.outbox.inbound_routing().await.unwrap().generation
}

async fn routes_and_token_owners_move_the_generation_on(env: TestEnv) {
    let stores = env.open_stores().await;
    let start = stores.outbox.inbound_routing().await.unwrap();
    assert!(start.installed.is_empty() && start.routes.is_empty());
    stores.routes.set_location(&route("loc1")).await.unwrap();
    assert!(generation(&stores).await > start.generation, "a route added");
    stores.ghl.replace_token(&token("loc1", "a"), None).await.unwrap();
    stores.ghl.replace_token(&token("co1", "c"), None).await.unwrap();
    let installed = stores.outbox.inbound_routing().await.unwrap();
    assert_eq!(installed.installed, ["co1", "loc1"]);
    assert_eq!(installed.routes, [route("loc1")]);
    let refreshed = token("loc1", "b");
    assert!(stores.ghl.replace_token(&refreshed, Some(1)).await.unwrap());
    assert_eq!(
        generation(&stores).await,
        installed.generation,
        "a refreshed token changes no routing"
    );
    let mut moved = installed.generation;
    stores.ghl.remove_token("loc1").await.unwrap();
    assert!(generation(&stores).await > moved, "a token owner removed");
    moved = generation(&stores).await;
    stores.routes.remove_location("loc1").await.unwrap();
    let end = stores.outbox.inbound_routing().await.unwrap();
    assert!(end.generation > moved, "a route removed");
    assert_eq!((end.installed, end.routes), (vec!["co1".to_owned()], vec![]));
}

fn inbound(wa_id: &str, routing_generation: u64) -> InboundRecord {
    InboundRecord {
        routing_generation,
        ..crate::store_contract::inbound(wa_id)
    }
}

async fn a_record_chosen_by_an_older_routing_is_refused(env: TestEnv) {
    let stores = env.open_stores().await;
    let chosen_by = generation(&stores).await;
    stores.routes.set_location(&route("loc1")).await.unwrap();
    let stale = stores.outbox.record_inbound(inbound("w1", chosen_by)).await;
    assert_eq!(stale.unwrap(), Recorded::RoutingChanged);
    assert!(stores.log.message("w1").await.unwrap().is_none());
    assert!(stores
        .outbox
        .forwards(Some(ForwardStatus::Pending), 10)
        .await
        .unwrap()
        .is_empty());
    let current = generation(&stores).await;
    let fresh = stores.outbox.record_inbound(inbound("w1", current)).await;
    assert_eq!(fresh.unwrap(), Recorded::Stored);
    let again = stores.outbox.record_inbound(inbound("w1", current)).await;
    assert_eq!(again.unwrap(), Recorded::SeenBefore);
    assert_eq!(
        stores
            .outbox
            .forwards(Some(ForwardStatus::Pending), 10)
            .await
            .unwrap()
            .len(),
        1
    );
}
