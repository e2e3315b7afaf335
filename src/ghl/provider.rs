//! The Conversation Provider's Delivery URL payload: what GHL sends when an
//! agent or a workflow sends a message through the provider, and how it
//! becomes WhatsApp sends (the text, then each attachment).

use crate::domain::MessageKind;
use serde::Deserialize;

/// GHL's Delivery URL body (`type` is "SMS" for a custom SMS provider).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryRequest {
    pub message_id: String,
    pub location_id: String,
    pub contact_id: Option<String>,
    /// Empty for a contact without a number (a WhatsApp group's contact).
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub attachments: Vec<String>,
}

/// One WhatsApp send made from a delivery request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedSend {
    pub kind: MessageKind,
    pub text: Option<String>,
    pub media_url: Option<String>,
    /// Keeps GHL's retries of the same request from sending twice.
    pub idempotency_key: String,
}

impl DeliveryRequest {
    /// The text first (when there is one), then each attachment; audio as
    /// voice notes when `audio_as_voice` (GHL_AUDIO_AS_VOICE).
    pub fn planned_sends(&self, audio_as_voice: bool) -> Vec<PlannedSend> {
        let mut sends = Vec::new();
        if !self.message.trim().is_empty() {
            sends.push(PlannedSend {
                kind: MessageKind::Text,
                text: Some(self.message.clone()),
                media_url: None,
                idempotency_key: format!("ghl:{}", self.message_id),
            });
        }
        for (n, url) in self.attachments.iter().enumerate() {
            sends.push(PlannedSend {
                kind: kind_of_attachment(url, audio_as_voice),
                text: None,
                media_url: Some(url.clone()),
                idempotency_key: format!("ghl:{}:{n}", self.message_id),
            });
        }
        sends
    }
}

/// What to send an attachment URL as, by its file extension. Audio, and
/// with `audio_as_voice` the `.webm` of a recording made in GHL's inbox (a
/// browser's recorder writes webm/opus), becomes a voice note.
pub fn kind_of_attachment(url: &str, audio_as_voice: bool) -> MessageKind {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let extension = path.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    match extension.as_str() {
        "jpg" | "jpeg" | "png" | "webp" | "gif" => MessageKind::Image,
        "mp4" | "3gp" | "mov" | "mpeg" => MessageKind::Video,
        "mp3" | "ogg" | "opus" | "wav" | "m4a" | "aac" | "webm" if audio_as_voice => MessageKind::Voice,
        "mp3" | "ogg" | "opus" | "wav" | "m4a" | "aac" => MessageKind::Audio,
        _ => MessageKind::Document,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_then_attachments_each_with_its_own_key() {
        let request: DeliveryRequest = serde_json::from_str(
            r#"{"contactId":"c1","locationId":"l1","messageId":"m1","type":"SMS","phone":"+15864603685",
                "message":"hi","attachments":["https://x.test/a.JPG?sig=1","https://x.test/b.pdf"]}"#,
        )
        .unwrap();
        let sends = request.planned_sends(true);
        let summary: Vec<_> = sends
            .iter()
            .map(|s| (s.kind, s.idempotency_key.as_str()))
            .collect();
        assert_eq!(
            summary,
            vec![
                (MessageKind::Text, "ghl:m1"),
                (MessageKind::Image, "ghl:m1:0"),
                (MessageKind::Document, "ghl:m1:1")
            ]
        );
    }

    #[test]
    fn attachments_are_sent_as_what_their_extension_says() {
        assert_eq!(kind_of_attachment("https://x/v.mp4", true), MessageKind::Video);
        assert_eq!(
            kind_of_attachment("https://x/voice.ogg", false),
            MessageKind::Audio
        );
        assert_eq!(kind_of_attachment("https://x/file", true), MessageKind::Document);
        assert_eq!(
            kind_of_attachment("https://x/rec.webm", false),
            MessageKind::Document
        );
    }

    #[test]
    fn audio_becomes_a_voice_note_when_so_set() {
        assert_eq!(
            kind_of_attachment("https://x/voice.ogg", true),
            MessageKind::Voice
        );
        assert_eq!(
            kind_of_attachment("https://x/a.MP3?sig=1", true),
            MessageKind::Voice
        );
        assert_eq!(kind_of_attachment("https://x/rec.webm", true), MessageKind::Voice);
    }
}
