//! Which of a location's numbers serves one of its contacts, with what the
//! choice needs from the store: the contact's own number when one was set,
//! else `ghl::number_choice` over the location's numbers, their states,
//! when each last talked with the contact and, for a contact none of them
//! has talked with yet, the number it was given. A number given to a new
//! contact is stored before the send is queued (first writer wins), so two
//! sends to that contact accepted together, by this process or another one
//! sharing Redis, go from the same number.

use crate::api::error::ApiError;
use crate::api::state::AppState;
use crate::domain::InstanceId;
use crate::ghl::number_choice::{self, Candidate, Choice};
use crate::store::{LocationRoute, NewContacts};
use crate::support::clock::now_ms;
use std::collections::HashMap;

/// The instance a location's routes give its contact: the contact's own,
/// else the one `number_choice` picks among the location's numbers (the
/// one the contact's `phone` talked with last, while it is usable);
/// `None` when the location has no route.
pub async fn routed_instance(
    state: &AppState,
    location_id: &str,
    contact_id: Option<&str>,
    phone: Option<&str>,
) -> Result<Option<InstanceId>, ApiError> {
    let routes = &state.stores.routes;
    if let Some(contact_id) = contact_id {
        if let Some(id) = routes.contact_instance(location_id, contact_id).await? {
            return Ok(Some(id));
        }
    }
    let Some(route) = routes.location(location_id).await? else {
        return Ok(None);
    };
    let mut candidates = candidates(state, &route, phone).await?;
    let given = match phone {
        Some(phone) if never_talked(&candidates) => routes.new_contact_number(location_id, phone).await?,
        _ => None,
    };
    if let Some(given) = &given {
        mark_given(&mut candidates, given);
    }
    let turn = match route.new_contacts {
        NewContacts::RoundRobin if never_talked(&candidates) => routes.next_turn(location_id).await?,
        _ => 0,
    };
    let failover_after = state.settings.ghl.route_failover_after;
    let choice = number_choice::choose(&route, &candidates, now_ms(), failover_after, turn);
    if let Some(lost) = &choice.switched_from {
        tracing::info!(location = %location_id, from = %lost, to = %choice.instance,
            "the contact's number is not usable; replying from the location's next number");
        state.metrics.route_failovers.inc();
    }
    match phone {
        Some(phone) if gives_a_number(&choice, given.is_some()) => {
            let replace = given.is_some();
            let standing = routes
                .give_new_contact_number(location_id, phone, &choice.instance, replace)
                .await?;
            Ok(Some(standing))
        }
        _ => Ok(Some(choice.instance)),
    }
}

/// A new contact's number is stored when the rule picked it, or when the
/// number it was given is lost before it talked with the contact.
fn gives_a_number(choice: &Choice, was_given: bool) -> bool {
    choice.new_contact || (was_given && choice.switched_from.is_some())
}

fn never_talked(candidates: &[Candidate]) -> bool {
    candidates.iter().all(|c| c.last_talked_ms.is_none())
}

/// The number given counts as talked with, so the choice keeps it while it
/// is usable and hands the contact on when it is lost.
fn mark_given(candidates: &mut [Candidate], given: &InstanceId) {
    if let Some(number) = candidates.iter_mut().find(|c| c.id == *given) {
        number.last_talked_ms = Some(0);
    }
}

/// The route's numbers as the choice needs them, in the route's order.
async fn candidates(
    state: &AppState,
    route: &LocationRoute,
    phone: Option<&str>,
) -> Result<Vec<Candidate>, ApiError> {
    // Queue depths only matter when new contacts go to the least loaded number.
    let depths: HashMap<_, _> = match route.new_contacts {
        NewContacts::LeastLoaded => state.stores.queue.queue_depths().await?.into_iter().collect(),
        NewContacts::Default | NewContacts::RoundRobin => Default::default(),
    };
    let mut found = Vec::new();
    for id in &route.instance_ids {
        let Some(record) = state.stores.instances.instance(id).await? else {
            continue;
        };
        let view = state.fleet.view(&record).await.view;
        let last_talked_ms = match phone {
            Some(phone) => state.stores.sending.last_talked(id, phone).await?,
            None => None,
        };
        found.push(Candidate {
            id: id.clone(),
            status: view.status,
            down_since_ms: view.down_since_ms,
            last_talked_ms,
            queue_depth: depths.get(id).copied().unwrap_or(0),
            takes_new_contacts: view.new_contact_block.is_none(),
        });
    }
    Ok(found)
}
