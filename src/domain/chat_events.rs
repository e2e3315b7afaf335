//! What an inbound message may be besides something a person wrote or
//! sent: an edit or deletion of an earlier message, a poll or a vote in
//! one, a missed call. The gateway never sends these; it receives them and
//! passes them on typed (webhook) or as a note (GHL Conversations).

use serde::{Deserialize, Serialize};

/// A message its author changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Edit {
    /// The WhatsApp id of the message that was changed.
    pub message_id: String,
    /// Its new text; `None` when WhatsApp sent the edit end-to-end sealed
    /// with the original message's secret, which the gateway does not keep.
    pub text: Option<String>,
}

/// A message its author deleted for everyone (a revoke).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Deletion {
    /// The WhatsApp id of the message that was deleted.
    pub message_id: String,
}

/// A poll someone started.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Poll {
    pub name: String,
    pub options: Vec<String>,
    /// How many options a voter may pick (0: any number).
    pub selectable: u32,
}

/// A vote in a poll.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PollVote {
    /// The WhatsApp id of the poll's message.
    pub poll_id: String,
    /// The options now chosen (empty: the vote was taken back); `None` when
    /// the vote could not be read (it is sealed with the poll's secret).
    pub options: Option<Vec<String>>,
}

/// A call to this number that nobody answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Call {
    /// WhatsApp's id of the call.
    pub call_id: String,
    /// A video call; `None` when WhatsApp did not say.
    pub video: Option<bool>,
}
