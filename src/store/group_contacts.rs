//! Which GHL contact stands for a WhatsApp group in a location (provider
//! mode): a group has no phone number for GHL to find it by, so the link
//! is kept here, both ways: from the group, to put its messages in that
//! contact's conversation, and from the contact, to send GHL's replies to
//! the group through the number that is in it.

use super::StoreResult;
use crate::domain::{GroupId, InstanceId};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// A group as one GHL contact of a location.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupContact {
    pub group: GroupId,
    /// The number the group's messages came in through; replies go from it.
    pub instance: InstanceId,
    pub contact_id: String,
}

#[async_trait]
pub trait GroupContacts: Send + Sync {
    /// The contact that stands for `group` in the location.
    async fn contact_for_group(
        &self,
        location_id: &str,
        group: &GroupId,
    ) -> StoreResult<Option<GroupContact>>;
    /// The group a contact of the location stands for.
    async fn group_of_contact(
        &self,
        location_id: &str,
        contact_id: &str,
    ) -> StoreResult<Option<GroupContact>>;
    /// Keeps `link` unless the group has a contact already; returns the
    /// link that stands, so two processes that made a contact for the same
    /// group at once agree on one.
    async fn link_group_contact(&self, location_id: &str, link: &GroupContact) -> StoreResult<GroupContact>;
}
