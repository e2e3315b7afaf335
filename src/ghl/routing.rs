//! Which GHL locations an inbound WhatsApp message goes to in provider
//! mode: every location the instance serves (by its location routes) that
//! has installed the app. Group chats and senders whose number WhatsApp
//! hid stay out: a GHL contact is a phone number.

use super::conversations::MirrorJob;
use crate::domain::InstanceId;
use crate::store::{GhlState, LocationRoutes, NewForward, StoreResult};
use crate::wa::InboundMessage;

/// The locations `instance` serves that hold a token.
pub async fn installed_locations_of(
    routes: &dyn LocationRoutes,
    ghl: &dyn GhlState,
    instance: &InstanceId,
) -> StoreResult<Vec<String>> {
    let mut installed = Vec::new();
    for route in routes.locations().await? {
        let serves = route.default_instance_id == *instance || route.instance_ids.contains(instance);
        if serves && ghl.token(&route.location_id).await?.is_some() {
            installed.push(route.location_id);
        }
    }
    Ok(installed)
}

/// One conversation job per location, or none when the message cannot be
/// tied to a contact's number.
pub fn conversation_jobs(
    locations: &[String],
    message: &InboundMessage,
    media_url: Option<&str>,
    mime_type: Option<&str>,
) -> Vec<NewForward> {
    let Some(contact) = message.contact.as_ref().filter(|_| !message.is_group) else {
        return Vec::new();
    };
    let text = message
        .text
        .clone()
        .or_else(|| message.caption.clone())
        .unwrap_or_default();
    locations
        .iter()
        .map(|location| {
            MirrorJob {
                location_id: location.clone(),
                wa_message_id: message.id.clone(),
                contact_phone: contact.e164().to_owned(),
                from_me: message.from_me,
                push_name: message.push_name.clone().filter(|_| !message.from_me),
                text: text.clone(),
                media_url: media_url.map(str::to_owned),
                mime_type: mime_type.map(str::to_owned),
                timestamp_ms: message.timestamp_ms,
            }
            .into_forward()
        })
        .collect()
}
