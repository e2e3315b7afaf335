//! Gateway vocabulary: identifiers and values that parse once at the edge
//! (`InstanceId`, `Phone`, message kinds and statuses) so the rest of the
//! program never handles raw, unchecked strings.

mod chat_events;
mod details;
mod emoji;
mod hook;
mod ids;
mod message;
mod message_id;
mod phone;
mod recipient;
mod variants;
mod vcard;

pub use chat_events::{Call, Deletion, Edit, Poll, PollVote};
pub use details::{ContactCard, GroupRef, Location, MessageDetails, MessageRef, Reaction};
pub use emoji::is_single_emoji;
pub use hook::{HookEvent, WebhookId};
pub use ids::{InstanceId, InvalidInstanceId};
pub use message::{Direction, MessageKind, MessageStatus, UnknownMessageKind};
pub use message_id::new_message_id;
pub use phone::{parse_country, Phone, PhoneError};
pub use recipient::{GroupId, InvalidGroupId, Recipient};
