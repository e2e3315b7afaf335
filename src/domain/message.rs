//! Message kinds (text, media, and the events only received: edits,
//! deletions, polls, votes, missed calls) and the life cycle of a message's
//! status, which only ever moves forward: queued → sent → delivered → read,
//! or to failed.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageKind {
    Text,
    Image,
    Video,
    Audio,
    /// Audio sent as a voice note (push-to-talk): transcoded to Ogg/Opus.
    Voice,
    Document,
    Sticker,
    /// A place on the map (latitude, longitude, name, address).
    Location,
    /// A contact card (a vCard).
    Contact,
    /// An emoji put on an earlier message.
    Reaction,
    /// An earlier message changed by its author (received only).
    Edit,
    /// An earlier message deleted for everyone (received only).
    Delete,
    /// A poll someone started (received only).
    Poll,
    /// A vote in a poll (received only).
    #[serde(rename = "poll_vote")]
    PollVote,
    /// A call nobody answered (received only).
    Call,
    /// A message WhatsApp delivered but that could not be decrypted.
    Undecryptable,
    Other,
}

#[derive(Debug, thiserror::Error)]
#[error(
    "type must be one of text, image, video, audio, voice, document, location, contact, reaction (got {0:?})"
)]
pub struct UnknownMessageKind(pub String);

impl MessageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Image => "image",
            Self::Video => "video",
            Self::Audio => "audio",
            Self::Voice => "voice",
            Self::Document => "document",
            Self::Sticker => "sticker",
            Self::Location => "location",
            Self::Contact => "contact",
            Self::Reaction => "reaction",
            Self::Edit => "edit",
            Self::Delete => "delete",
            Self::Poll => "poll",
            Self::PollVote => "poll_vote",
            Self::Call => "call",
            Self::Undecryptable => "undecryptable",
            Self::Other => "other",
        }
    }

    pub fn is_media(self) -> bool {
        matches!(
            self,
            Self::Image | Self::Video | Self::Audio | Self::Voice | Self::Document | Self::Sticker
        )
    }

    /// The kinds a client may ask the gateway to send.
    pub fn parse_sendable(raw: &str) -> Result<Self, UnknownMessageKind> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "" | "text" | "chat" => Ok(Self::Text),
            "image" => Ok(Self::Image),
            "video" => Ok(Self::Video),
            "audio" => Ok(Self::Audio),
            "voice" | "ptt" => Ok(Self::Voice),
            "document" | "file" => Ok(Self::Document),
            "location" => Ok(Self::Location),
            "contact" | "vcard" => Ok(Self::Contact),
            "reaction" => Ok(Self::Reaction),
            _ => Err(UnknownMessageKind(raw.chars().take(40).collect())),
        }
    }
}

impl FromStr for MessageKind {
    type Err = UnknownMessageKind;
    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        match raw {
            "sticker" => Ok(Self::Sticker),
            "edit" => Ok(Self::Edit),
            "delete" => Ok(Self::Delete),
            "poll" => Ok(Self::Poll),
            "poll_vote" => Ok(Self::PollVote),
            "call" => Ok(Self::Call),
            "undecryptable" => Ok(Self::Undecryptable),
            "other" => Ok(Self::Other),
            _ => Self::parse_sendable(raw),
        }
    }
}

impl fmt::Display for MessageKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageStatus {
    Queued,
    Sent,
    Delivered,
    Read,
    Failed,
    /// An inbound message, stored as it arrived.
    Received,
}

impl MessageStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Sent => "sent",
            Self::Delivered => "delivered",
            Self::Read => "read",
            Self::Failed => "failed",
            Self::Received => "received",
        }
    }

    /// Receipts arrive out of order and twice; a status may only advance.
    pub fn can_advance_to(self, next: MessageStatus) -> bool {
        use MessageStatus::*;
        matches!(
            (self, next),
            (Queued, Sent | Delivered | Read | Failed) | (Sent, Delivered | Read) | (Delivered, Read)
        )
    }
}

impl FromStr for MessageStatus {
    type Err = String;
    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Ok(match raw {
            "queued" => Self::Queued,
            "sent" => Self::Sent,
            "delivered" => Self::Delivered,
            "read" => Self::Read,
            "failed" => Self::Failed,
            "received" => Self::Received,
            other => return Err(format!("unknown message status {other:?}")),
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Inbound,
    Outbound,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Inbound => "inbound",
            Self::Outbound => "outbound",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_only_moves_forward() {
        use MessageStatus::*;
        assert!(Queued.can_advance_to(Sent));
        assert!(Sent.can_advance_to(Read));
        assert!(Delivered.can_advance_to(Read));
        assert!(!Read.can_advance_to(Delivered));
        assert!(!Delivered.can_advance_to(Sent));
        assert!(!Failed.can_advance_to(Sent));
        assert!(!Sent.can_advance_to(Sent));
    }

    #[test]
    fn sendable_kinds_parse_with_the_original_aliases() {
        assert_eq!(MessageKind::parse_sendable("").unwrap(), MessageKind::Text);
        assert_eq!(MessageKind::parse_sendable("IMAGE").unwrap(), MessageKind::Image);
        assert_eq!(
            MessageKind::parse_sendable("file").unwrap(),
            MessageKind::Document
        );
        assert_eq!(MessageKind::parse_sendable("Voice").unwrap(), MessageKind::Voice);
        assert_eq!(MessageKind::parse_sendable("ptt").unwrap(), MessageKind::Voice);
        assert_eq!("voice".parse::<MessageKind>().unwrap().as_str(), "voice");
        assert_eq!(
            MessageKind::parse_sendable("vcard").unwrap(),
            MessageKind::Contact
        );
        assert_eq!("reaction".parse::<MessageKind>().unwrap(), MessageKind::Reaction);
        assert!(!MessageKind::Location.is_media());
        assert!(MessageKind::parse_sendable("sticker").is_err());
        assert!(MessageKind::parse_sendable("edit").is_err(), "received only");
        for kind in ["edit", "delete", "poll", "poll_vote", "call", "undecryptable"] {
            let parsed = kind.parse::<MessageKind>().unwrap();
            assert_eq!(parsed.as_str(), kind);
            assert!(!parsed.is_media());
            assert_eq!(serde_json::to_value(parsed).unwrap(), kind);
        }
        assert!(MessageKind::parse_sendable("buttons").is_err());
        assert!(MessageKind::parse_sendable("bogus").is_err());
    }
}
