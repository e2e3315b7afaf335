//! The numbers new contacts were given and the locations' round-robin
//! turns: the first number given stands unless replaced, even when many
//! callers give one at once, and removing the route forgets both.

use crate::common::TestEnv;
use wagate::domain::InstanceId;
use wagate::store::{LocationRoute, NewContacts};

crate::both_backends!(
    the_first_number_given_to_a_new_contact_stands,
    turns_count_up_per_location_and_go_with_the_route,
);

const PHONE: &str = "+5511955550005";

fn id(raw: &str) -> InstanceId {
    InstanceId::parse(raw).unwrap()
}

fn route(location: &str) -> LocationRoute {
    LocationRoute {
        location_id: location.into(),
        default_instance_id: id("wa-01"),
        instance_ids: vec![id("wa-01"), id("wa-02")],
        new_contacts: NewContacts::RoundRobin,
    }
}

async fn the_first_number_given_to_a_new_contact_stands(env: TestEnv) {
    let routes = env.open_stores().await.routes;
    routes.set_location(&route("loc1")).await.unwrap();
    assert_eq!(routes.new_contact_number("loc1", PHONE).await.unwrap(), None);
    let racing = (0..8).map(|n| {
        let routes = routes.clone();
        async move {
            let offered = id(if n % 2 == 0 { "wa-01" } else { "wa-02" });
            routes
                .give_new_contact_number("loc1", PHONE, &offered, false)
                .await
                .unwrap()
        }
    });
    let standing = futures::future::join_all(racing).await;
    assert!(standing.windows(2).all(|pair| pair[0] == pair[1]), "{standing:?}");
    assert_eq!(
        routes.new_contact_number("loc1", PHONE).await.unwrap().as_ref(),
        Some(&standing[0])
    );

    let replaced = routes
        .give_new_contact_number("loc1", PHONE, &id("wa-03"), true)
        .await
        .unwrap();
    assert_eq!(replaced, id("wa-03"));
    assert_eq!(
        routes.new_contact_number("loc2", PHONE).await.unwrap(),
        None,
        "per location"
    );
    assert!(routes.remove_location("loc1").await.unwrap());
    assert_eq!(routes.new_contact_number("loc1", PHONE).await.unwrap(), None);
}

async fn turns_count_up_per_location_and_go_with_the_route(env: TestEnv) {
    let routes = env.open_stores().await.routes;
    routes.set_location(&route("loc1")).await.unwrap();
    for expected in 0..3 {
        assert_eq!(routes.next_turn("loc1").await.unwrap(), expected);
    }
    assert_eq!(routes.next_turn("loc2").await.unwrap(), 0);
    routes.remove_location("loc1").await.unwrap();
    assert_eq!(routes.next_turn("loc1").await.unwrap(), 0);
}
