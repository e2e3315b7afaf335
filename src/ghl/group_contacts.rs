//! A WhatsApp group in a GHL location's Conversations (provider mode): one
//! GHL contact named after the group and tagged as one, whose conversation
//! holds the group's messages, each with its writer's name before it. A
//! group has no phone number for GHL to find it by, so the contact is made
//! with Create Contact (`POST /contacts/`, apps/contacts.json: only
//! `locationId` is required) and linked to the group in the store; GHL's
//! replies to that contact go to the group (`api::ghl::delivery_url`).

use super::client::{text_field, GhlError, CONTACTS_VERSION};
use super::conversations::Mirror;
use crate::domain::{GroupId, InstanceId};
use crate::store::GroupContact;
use crate::support::secrets::SecretText;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The tag a group's GHL contact carries, so workflows and filters can
/// tell groups from people.
pub const GROUP_TAG: &str = "whatsapp group";

/// The group a conversation job's message was written in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupChat {
    pub id: GroupId,
    pub subject: Option<String>,
    /// The number that is in the group (it received the message).
    pub instance: InstanceId,
}

/// The text GHL shows for a member's message: `Ana: see you at 5`, by the
/// member's WhatsApp name, else their number.
pub fn member_line(name: Option<&str>, phone: Option<&str>, text: &str) -> String {
    let writer = name
        .filter(|name| !name.trim().is_empty())
        .or(phone)
        .unwrap_or("A member");
    format!("{writer}: {text}").trim_end().to_owned()
}

impl Mirror {
    /// The GHL contact that stands for the group, made and linked the
    /// first time one of its messages comes in.
    pub(super) async fn group_contact(
        &self,
        token: &SecretText,
        location_id: &str,
        group: &GroupChat,
    ) -> Result<String, GhlError> {
        if let Some(link) = self.groups.contact_for_group(location_id, &group.id).await? {
            return Ok(link.contact_id);
        }
        let name = group
            .subject
            .clone()
            .unwrap_or_else(|| format!("WhatsApp group {}", group.id.user()));
        let body = json!({
            "locationId": location_id,
            "name": name,
            "tags": [GROUP_TAG],
            "source": "WhatsApp (wagate)",
        });
        let request = self
            .client
            .request(Method::POST, "/contacts/", CONTACTS_VERSION, Some(token))
            .json(&body);
        let answer = self.client.send(location_id, request).await?;
        let link = GroupContact {
            group: group.id.clone(),
            instance: group.instance.clone(),
            contact_id: text_field(&answer, "/contact/id")?,
        };
        let standing = self.groups.link_group_contact(location_id, &link).await?;
        Ok(standing.contact_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_members_message_carries_their_name_or_number() {
        assert_eq!(member_line(Some("Ana"), Some("+5511999999999"), "hi"), "Ana: hi");
        assert_eq!(
            member_line(Some(" "), Some("+5511999999999"), "hi"),
            "+5511999999999: hi"
        );
        assert_eq!(member_line(None, None, "hi"), "A member: hi");
        assert_eq!(
            member_line(Some("Ana"), None, ""),
            "Ana:",
            "a photo without a caption"
        );
    }
}
