//! Which GHL locations an inbound WhatsApp message goes to in provider
//! mode: every location the instance serves (by its location routes) that
//! has installed the app. Group chats and senders whose number WhatsApp
//! hid stay out: a GHL contact is a phone number.

use super::conversations::MirrorJob;
use crate::domain::InstanceId;
use crate::store::{GhlState, LocationRoutes, NewForward, StoreResult};
use crate::wa::InboundMessage;
use std::collections::HashSet;

/// The locations `instance` serves that hold a token (none, without a
/// look at the routes, when the app is installed nowhere).
pub async fn installed_locations_of(
    routes: &dyn LocationRoutes,
    ghl: &dyn GhlState,
    instance: &InstanceId,
) -> StoreResult<Vec<String>> {
    let installed: HashSet<String> = ghl.token_owners().await?.into_iter().collect();
    if installed.is_empty() {
        return Ok(Vec::new());
    }
    let serving = routes
        .locations()
        .await?
        .into_iter()
        .filter(|route| route.default_instance_id == *instance || route.instance_ids.contains(instance));
    Ok(serving
        .map(|route| route.location_id)
        .filter(|location| installed.contains(location))
        .collect())
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
