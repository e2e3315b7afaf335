//! Links between WhatsApp groups and GHL contacts: found from either end,
//! per location, and the first link made for a group stands.

use crate::common::TestEnv;
use wagate::domain::{GroupId, InstanceId};
use wagate::store::GroupContact;

crate::both_backends!(the_first_contact_linked_to_a_group_stands_and_is_found_both_ways);

fn link(contact: &str, instance: &str) -> GroupContact {
    GroupContact {
        group: GroupId::parse("120363041234567890@g.us").unwrap(),
        instance: InstanceId::parse(instance).unwrap(),
        contact_id: contact.into(),
    }
}

async fn the_first_contact_linked_to_a_group_stands_and_is_found_both_ways(env: TestEnv) {
    let groups = env.open_stores().await.group_contacts;
    let first = link("contact-a", "wa-01");
    assert_eq!(
        groups.contact_for_group("loc1", &first.group).await.unwrap(),
        None
    );
    assert_eq!(groups.link_group_contact("loc1", &first).await.unwrap(), first);
    let later = link("contact-b", "wa-02");
    assert_eq!(
        groups.link_group_contact("loc1", &later).await.unwrap(),
        first,
        "the first stands"
    );
    assert_eq!(
        groups.contact_for_group("loc1", &first.group).await.unwrap(),
        Some(first.clone())
    );
    assert_eq!(
        groups.group_of_contact("loc1", "contact-a").await.unwrap(),
        Some(first.clone())
    );
    assert_eq!(groups.group_of_contact("loc1", "contact-b").await.unwrap(), None);
    assert_eq!(
        groups.contact_for_group("loc2", &first.group).await.unwrap(),
        None,
        "per location"
    );
}
