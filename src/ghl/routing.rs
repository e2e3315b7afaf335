//! Which GHL locations an inbound WhatsApp message goes to in provider
//! mode: every location the instance serves (by its location routes) that
//! has installed the app. A one-to-one chat goes to the contact with the
//! other person's number (a sender whose number WhatsApp hid stays out); a
//! group's messages go to the one contact that stands for the group, each
//! with its writer's name (`super::group_contacts`).

use super::conversations::MirrorJob;
use super::group_contacts::{member_line, GroupChat};
use crate::domain::InstanceId;
use crate::store::{InboundRouting, NewForward, Outbox, StoreResult};
use crate::wa::InboundMessage;
use std::sync::{Arc, Mutex, MutexGuard};

/// The routing last read, kept until a write finds it stale: the store
/// refuses an inbound record whose forwards were chosen by an older
/// generation, and the intake then drops this copy and reads it again.
/// So a change made anywhere (another process sharing Redis included)
/// is followed from the next message on, without a read per message.
#[derive(Default)]
pub struct RoutingCache {
    current: Mutex<Option<Arc<InboundRouting>>>,
}

impl RoutingCache {
    /// The cached routing, or a fresh read when there is none.
    pub async fn get(&self, outbox: &dyn Outbox) -> StoreResult<Arc<InboundRouting>> {
        if let Some(routing) = self.slot().clone() {
            return Ok(routing);
        }
        let fresh = Arc::new(outbox.inbound_routing().await?);
        let mut current = self.slot();
        if current
            .as_ref()
            .is_none_or(|kept| kept.generation < fresh.generation)
        {
            *current = Some(fresh.clone());
        }
        Ok(fresh)
    }

    /// Drops the cached routing if it is still the one of `generation`.
    pub fn forget(&self, generation: u64) {
        let mut current = self.slot();
        if current.as_ref().is_some_and(|kept| kept.generation == generation) {
            *current = None;
        }
    }

    fn slot(&self) -> MutexGuard<'_, Option<Arc<InboundRouting>>> {
        self.current.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The locations `instance` serves (by their routes) that hold a token.
pub fn installed_locations_of(routing: &InboundRouting, instance: &InstanceId) -> Vec<String> {
    if routing.installed.is_empty() {
        return Vec::new();
    }
    routing
        .routes
        .iter()
        .filter(|route| route.default_instance_id == *instance || route.instance_ids.contains(instance))
        .filter(|route| routing.installed.binary_search(&route.location_id).is_ok())
        .map(|route| route.location_id.clone())
        .collect()
}

/// One conversation job per location, or none when the message cannot be
/// tied to a contact's number or a group. A typed event goes in as its
/// note ([`crate::inbound::event_text`]).
pub fn conversation_jobs(
    instance: &InstanceId,
    locations: &[String],
    message: &InboundMessage,
    media_url: Option<&str>,
    mime_type: Option<&str>,
) -> Vec<NewForward> {
    let Some(chat) = ghl_chat(instance, message) else {
        return Vec::new();
    };
    locations
        .iter()
        .map(|location| {
            MirrorJob {
                location_id: location.clone(),
                wa_message_id: message.id.clone(),
                contact_phone: chat.phone.clone(),
                group: chat.group.clone(),
                from_me: message.from_me,
                push_name: chat.push_name.clone(),
                text: chat.text.clone(),
                media_url: media_url.map(str::to_owned),
                mime_type: mime_type.map(str::to_owned),
                timestamp_ms: message.timestamp_ms,
            }
            .into_forward()
        })
        .collect()
}

/// Whose conversation a message goes in, and its text there.
struct GhlChat {
    phone: String,
    group: Option<GroupChat>,
    /// Names a contact made for the sender.
    push_name: Option<String>,
    text: String,
}

fn ghl_chat(instance: &InstanceId, message: &InboundMessage) -> Option<GhlChat> {
    let body = crate::inbound::event_text::shown(message);
    if message.is_group {
        let group = message.group.as_ref()?;
        let writer = message.from.as_ref().map(|phone| phone.e164());
        let text = match message.from_me {
            true => body,
            false => member_line(message.push_name.as_deref(), writer, &body),
        };
        return Some(GhlChat {
            phone: writer.unwrap_or_default().to_owned(),
            group: Some(GroupChat {
                id: group.id.clone(),
                subject: group.subject.clone(),
                instance: instance.clone(),
            }),
            push_name: None,
            text,
        });
    }
    Some(GhlChat {
        phone: message.contact.as_ref()?.e164().to_owned(),
        group: None,
        push_name: message.push_name.clone().filter(|_| !message.from_me),
        text: body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::LocationRoute;

    fn id(raw: &str) -> InstanceId {
        InstanceId::parse(raw).unwrap()
    }

    fn route(location: &str, default: &str, others: &[&str]) -> LocationRoute {
        let mut instance_ids = vec![id(default)];
        instance_ids.extend(others.iter().map(|raw| id(raw)));
        LocationRoute {
            location_id: location.into(),
            default_instance_id: id(default),
            instance_ids,
            new_contacts: Default::default(),
        }
    }

    fn routing(installed: &[&str]) -> InboundRouting {
        InboundRouting {
            generation: 7,
            installed: installed.iter().map(|owner| owner.to_string()).collect(),
            routes: vec![
                route("loc-a", "wa-01", &[]),
                route("loc-b", "wa-02", &["wa-01"]),
                route("loc-c", "wa-02", &[]),
            ],
            webhooks: Vec::new(),
        }
    }

    #[test]
    fn a_message_goes_to_every_installed_location_its_instance_serves() {
        let all = routing(&["co1", "loc-a", "loc-b", "loc-c"]);
        assert_eq!(installed_locations_of(&all, &id("wa-01")), ["loc-a", "loc-b"]);
        assert_eq!(installed_locations_of(&all, &id("wa-02")), ["loc-b", "loc-c"]);
        assert!(installed_locations_of(&all, &id("wa-03")).is_empty());
    }

    #[test]
    fn a_location_without_a_token_gets_nothing() {
        let some = routing(&["co1", "loc-b"]);
        assert_eq!(installed_locations_of(&some, &id("wa-01")), ["loc-b"]);
        assert!(installed_locations_of(&routing(&[]), &id("wa-01")).is_empty());
    }
}
