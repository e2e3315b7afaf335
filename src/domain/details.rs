//! What a message carries besides its text and media: the message it
//! quotes, or the reaction, location or contact card it is, and for an
//! inbound message also the edit, deletion, poll, vote or missed call it
//! is (see `chat_events`) and its group. Kept with the message as one JSON
//! value (`details`), so every kind of send goes through the same durable
//! queue; the WhatsApp backends read it when they send.

use super::chat_events::{Call, Deletion, Edit, Poll, PollVote};
use super::GroupId;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageDetails {
    /// The message this one replies to (shown quoted above it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quote: Option<MessageRef>,
    /// A reaction: the emoji put on an earlier message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reaction: Option<Reaction>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<ContactCard>,
    /// The group an inbound message was written in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<GroupRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edit: Option<Edit>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletion: Option<Deletion>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poll: Option<Poll>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poll_vote: Option<PollVote>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call: Option<Call>,
}

/// A group as a message names it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupRef {
    pub id: GroupId,
    /// Its name, when WhatsApp told it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
}

/// An earlier message of the same chat, as WhatsApp refers to it (the
/// `MessageKey` of a quote or reaction): its id, whether this number sent
/// it, and who wrote it otherwise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageRef {
    pub id: String,
    pub from_me: bool,
    /// The author (E.164) of a message this number received.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender: Option<String>,
    /// Its text (or caption, or kind), shown in the quote.
    #[serde(default)]
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reaction {
    pub target: MessageRef,
    /// One emoji; empty takes an earlier reaction back.
    pub emoji: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    pub latitude: f64,
    pub longitude: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactCard {
    pub name: String,
    /// E.164; on a received card that gave no WhatsApp id, the number as
    /// written (empty when it had none).
    pub phone: String,
}

impl MessageDetails {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// As stored: nothing when empty.
    pub fn to_json(&self) -> Option<String> {
        (!self.is_empty()).then(|| serde_json::to_string(self).expect("details are plain data"))
    }

    /// As stored; a value that does not read (written by a newer wagate)
    /// is an error for the store to report.
    pub fn from_json(stored: Option<&str>) -> Result<Self, serde_json::Error> {
        match stored {
            None | Some("") => Ok(Self::default()),
            Some(json) => serde_json::from_str(json),
        }
    }
}

impl Location {
    /// A Google Maps link to the place (maps URLs, `api=1` search form).
    pub fn maps_url(&self) -> String {
        format!(
            "https://www.google.com/maps/search/?api=1&query={},{}",
            self.latitude, self.longitude
        )
    }

    /// Coordinates WhatsApp can show: finite, latitude within ±90 and
    /// longitude within ±180 degrees. The error names the field and why.
    pub fn check(latitude: f64, longitude: f64) -> Result<(), (&'static str, &'static str)> {
        if !latitude.is_finite() || !(-90.0..=90.0).contains(&latitude) {
            return Err(("latitude", "latitude must be a number from -90 to 90"));
        }
        if !longitude.is_finite() || !(-180.0..=180.0).contains(&longitude) {
            return Err(("longitude", "longitude must be a number from -180 to 180"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_details_are_not_stored_and_others_come_back_whole() {
        assert_eq!(MessageDetails::default().to_json(), None);
        assert_eq!(
            MessageDetails::from_json(None).unwrap(),
            MessageDetails::default()
        );
        let details = MessageDetails {
            quote: Some(MessageRef {
                id: "3EB0AA".into(),
                from_me: false,
                sender: Some("+5511999999999".into()),
                text: "hello".into(),
            }),
            location: Some(Location {
                latitude: -23.5,
                longitude: -46.6,
                name: Some("Office".into()),
                address: None,
            }),
            ..Default::default()
        };
        let json = details.to_json().unwrap();
        assert!(json.contains(r#""fromMe":false"#), "{json}");
        assert!(!json.contains("address"), "{json}");
        assert_eq!(MessageDetails::from_json(Some(&json)).unwrap(), details);
        assert!(MessageDetails::from_json(Some("[1]")).is_err());
    }

    #[test]
    fn coordinates_must_be_on_the_globe() {
        assert!(Location::check(0.0, 0.0).is_ok());
        assert!(Location::check(90.0, -180.0).is_ok());
        let (field, why) = Location::check(90.1, 0.0).unwrap_err();
        assert!(field == "latitude" && why.starts_with("latitude"));
        let (field, why) = Location::check(0.0, 180.5).unwrap_err();
        assert!(field == "longitude" && why.starts_with("longitude"));
        assert!(Location::check(f64::NAN, 0.0).is_err());
        assert!(Location::check(0.0, f64::INFINITY).is_err());
    }
}
