//! The JSON body POSTed to GHL_INBOUND_URL. It keeps the original gateway's
//! keys (`instanceId`, `from`, `text`, `timestamp`) and adds the rest: for
//! the typed events (reactions, edits, deletions, locations, contact cards,
//! polls, votes, missed calls) `type` names the event and one field of the
//! same name carries it; `quoted` comes with any message that replies.

use crate::domain::{
    Call, ContactCard, Deletion, Edit, Location, MessageDetails, MessageRef, Poll, PollVote, Reaction,
};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InboundPayload {
    /// This forward's id: the same on every retry, for de-duplication.
    pub forward_id: String,
    pub instance_id: String,
    /// The sender's number in E.164, when WhatsApp told it.
    pub from: Option<String>,
    /// The instance's own number: who the message was sent to.
    pub to: Option<String>,
    /// The text, or a media message's caption.
    pub text: String,
    /// When WhatsApp stamped the message, RFC 3339 (UTC).
    pub timestamp: String,
    /// WhatsApp's message id.
    pub message_id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub push_name: Option<String>,
    pub media_url: Option<String>,
    pub mime_type: Option<String>,
    pub caption: Option<String>,
    pub is_group: bool,
    pub chat_id: String,
    /// Typed on the linked phone itself, not received from the contact.
    pub from_me: bool,
    /// Written in a group: which, and by whom.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<GroupPayload>,
    #[serde(flatten)]
    pub event: EventFields,
}

/// The typed parts of an inbound message, each present only when it has one.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventFields {
    /// The message this one replies to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quoted: Option<MessageRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reaction: Option<Reaction>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<LocationPayload>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact: Option<ContactCard>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub edit: Option<Edit>,
    #[serde(rename = "delete", skip_serializing_if = "Option::is_none")]
    pub deletion: Option<Deletion>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub poll: Option<Poll>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub poll_vote: Option<PollVote>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call: Option<Call>,
}

/// A location with a link that opens it on a map.
#[derive(Debug, Clone, Serialize)]
pub struct LocationPayload {
    #[serde(flatten)]
    pub place: Location,
    pub url: String,
}

impl EventFields {
    pub fn of(details: &MessageDetails) -> Self {
        let details = details.clone();
        Self {
            quoted: details.quote,
            reaction: details.reaction,
            location: details.location.map(|place| LocationPayload {
                url: place.maps_url(),
                place,
            }),
            contact: details.contact,
            edit: details.edit,
            deletion: details.deletion,
            poll: details.poll,
            poll_vote: details.poll_vote,
            call: details.call,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupPayload {
    /// The group's id (`...@g.us`): what `to` takes to answer in it.
    pub id: String,
    pub subject: Option<String>,
    /// The member who wrote (E.164), when WhatsApp told the number.
    pub participant: Option<String>,
}
