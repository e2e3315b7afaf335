//! The JSON body POSTed to GHL_INBOUND_URL. It keeps the original gateway's
//! keys (`instanceId`, `from`, `text`, `timestamp`) and adds the rest.

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
