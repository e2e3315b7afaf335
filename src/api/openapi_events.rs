//! The inbound webhook in the OpenAPI document: what the gateway POSTs to
//! GHL_INBOUND_URL, as the `webhooks` entry `inbound` and the
//! `InboundEvent` schema, with the field of each typed event. People read
//! the same shapes in docs/events.md; a test holds the schema to the
//! payload the gateway really sends.

use serde_json::{json, Value};
use utoipa::openapi::path::{HttpMethod, OperationBuilder, PathItem, Paths, PathsBuilder};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::{ContentBuilder, Ref, Required, ResponseBuilder, Schema};

/// Every `type` an inbound webhook can carry.
pub const TYPES: [&str; 16] = [
    "text",
    "image",
    "video",
    "audio",
    "voice",
    "document",
    "sticker",
    "location",
    "contact",
    "reaction",
    "edit",
    "delete",
    "poll",
    "poll_vote",
    "call",
    "undecryptable",
];

/// The `webhooks` section: the inbound POST.
pub fn webhooks() -> Paths {
    let body = RequestBodyBuilder::new()
        .required(Some(Required::True))
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("InboundEvent")))
                .build(),
        )
        .build();
    let operation = OperationBuilder::new()
        .summary(Some(
            "An inbound WhatsApp message or event, POSTed to GHL_INBOUND_URL",
        ))
        .description(Some(
            "Signed with X-Wagate-Signature when WEBHOOK_SECRET is set; Idempotency-Key and \
             X-Wagate-Forward-Id carry the forward's id (the same on every retry). See docs/events.md.",
        ))
        .request_body(Some(body))
        .response(
            "2XX",
            ResponseBuilder::new().description("taken; anything else is retried"),
        );
    PathsBuilder::new()
        .path("inbound", PathItem::new(HttpMethod::Post, operation))
        .build()
}

/// The `InboundEvent` schema.
pub fn schema() -> Schema {
    serde_json::from_value(schema_json()).expect("the schema is valid OpenAPI")
}

fn schema_json() -> Value {
    let text = |about: &str| json!({"type": "string", "description": about});
    let maybe = |about: &str| json!({"type": ["string", "null"], "description": about});
    let reference = json!({"type": "object", "required": ["id", "fromMe", "text"], "properties": {
        "id": text("the WhatsApp id of the earlier message"),
        "fromMe": {"type": "boolean", "description": "sent by this instance's number"},
        "sender": text("its writer (E.164) when not this number and known"),
        "text": text("its text, when known (else empty)"),
    }});
    json!({
        "type": "object",
        "required": ["forwardId", "instanceId", "text", "timestamp", "messageId", "type", "isGroup", "chatId", "fromMe"],
        "properties": {
            "forwardId": text("this forward's id, the same on every retry"),
            "instanceId": text("the instance that received it"),
            "from": maybe("the sender (E.164), when WhatsApp told the number"),
            "to": maybe("the instance's own number"),
            "text": text("the text or caption; for a typed event, a short note such as \"edited: ...\" or \"missed voice call\""),
            "timestamp": text("when WhatsApp stamped it, RFC 3339 UTC"),
            "messageId": text("WhatsApp's message id (a missed call: the call's id)"),
            "type": {"type": "string", "enum": TYPES, "description": "what it is; each typed event has a field of its own below"},
            "pushName": maybe("the sender's WhatsApp name"),
            "mediaUrl": maybe("where its media can be fetched"),
            "mimeType": maybe("its media's type"),
            "caption": maybe("a media message's caption"),
            "isGroup": {"type": "boolean"},
            "chatId": text("the chat's WhatsApp id"),
            "fromMe": {"type": "boolean", "description": "typed on the linked phone itself"},
            "group": {"type": "object", "description": "written in a group", "properties": {
                "id": text("the group's id (what `to` takes)"), "subject": maybe("its name"),
                "participant": maybe("the member who wrote (E.164)")}},
            "quoted": {"description": "the message a reply quotes (any type)", "allOf": [reference.clone()]},
            "reaction": {"type": "object", "description": "type reaction", "required": ["target", "emoji"], "properties": {
                "target": reference, "emoji": text("the emoji; empty when a reaction was taken back")}},
            "location": {"type": "object", "description": "type location", "required": ["latitude", "longitude", "url"], "properties": {
                "latitude": {"type": "number"}, "longitude": {"type": "number"},
                "name": text("the place's name"), "address": text("its address"),
                "url": text("a Google Maps link to it")}},
            "contact": {"type": "object", "description": "type contact (the first card of several)", "required": ["name", "phone"], "properties": {
                "name": text("the card's name"),
                "phone": text("its WhatsApp number (E.164), else the number as written, else empty")}},
            "edit": {"type": "object", "description": "type edit", "required": ["messageId"], "properties": {
                "messageId": text("the message changed"),
                "text": maybe("its new text; null when the edit was sealed with the original's secret")}},
            "delete": {"type": "object", "description": "type delete: deleted for everyone", "required": ["messageId"], "properties": {
                "messageId": text("the message deleted")}},
            "poll": {"type": "object", "description": "type poll", "required": ["name", "options", "selectable"], "properties": {
                "name": text("the question"), "options": {"type": "array", "items": {"type": "string"}},
                "selectable": {"type": "integer", "description": "options a voter may pick (0: any number)"}}},
            "pollVote": {"type": "object", "description": "type poll_vote", "required": ["pollId"], "properties": {
                "pollId": text("the poll's message id"),
                "options": {"type": ["array", "null"], "items": {"type": "string"},
                    "description": "the options now chosen (empty: vote taken back); null when it could not be read"}}},
            "call": {"type": "object", "description": "type call: a call nobody answered", "required": ["callId"], "properties": {
                "callId": text("WhatsApp's id of the call"),
                "video": {"type": ["boolean", "null"], "description": "a video call; null when WhatsApp did not say"}}},
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::MessageKind;

    #[test]
    fn the_types_are_every_kind_a_webhook_carries() {
        for kind in TYPES {
            assert_eq!(kind.parse::<MessageKind>().unwrap().as_str(), kind);
        }
        assert!(!TYPES.contains(&"other"), "other is no longer produced");
    }

    /// A payload with every field the gateway can send.
    fn full_payload() -> Value {
        use crate::domain::*;
        use crate::inbound::{EventFields, InboundPayload};
        let target = MessageRef {
            id: "A".into(),
            from_me: false,
            sender: Some("+5511999999999".into()),
            text: "hi".into(),
        };
        let details = MessageDetails {
            quote: Some(target.clone()),
            reaction: Some(Reaction {
                target,
                emoji: "👍".into(),
            }),
            location: Some(Location {
                latitude: 1.0,
                longitude: 2.0,
                name: Some("N".into()),
                address: Some("A".into()),
            }),
            contact: Some(ContactCard {
                name: "Ana".into(),
                phone: "+1".into(),
            }),
            edit: Some(Edit {
                message_id: "A".into(),
                text: Some("t".into()),
            }),
            deletion: Some(Deletion {
                message_id: "A".into(),
            }),
            poll: Some(Poll {
                name: "Q".into(),
                options: vec!["a".into()],
                selectable: 1,
            }),
            poll_vote: Some(PollVote {
                poll_id: "P".into(),
                options: Some(vec!["a".into()]),
            }),
            call: Some(Call {
                call_id: "C".into(),
                video: Some(true),
            }),
            group: None,
        };
        let text = || Some("x".to_owned());
        let payload = InboundPayload {
            forward_id: "f".into(),
            instance_id: "wa-01".into(),
            from: text(),
            to: text(),
            text: "x".into(),
            timestamp: "t".into(),
            message_id: "m".into(),
            kind: "text".into(),
            push_name: text(),
            media_url: text(),
            mime_type: text(),
            caption: text(),
            is_group: true,
            chat_id: "c".into(),
            from_me: false,
            group: Some(crate::inbound::GroupPayload {
                id: "g".into(),
                subject: text(),
                participant: text(),
            }),
            event: EventFields::of(&details),
        };
        serde_json::to_value(payload).unwrap()
    }

    #[test]
    fn the_schema_names_every_field_the_gateway_sends() {
        let schema = schema_json();
        assert!(serde_json::from_value::<Schema>(schema.clone()).is_ok());
        let payload = full_payload();
        for (field, value) in payload.as_object().unwrap() {
            let described = &schema["properties"][field];
            assert!(described.is_object(), "{field} is not in the schema");
            let Some(inner) = value.as_object() else { continue };
            let properties = match &described["allOf"][0] {
                Value::Null => &described["properties"],
                first => &first["properties"],
            };
            for key in inner.keys() {
                assert!(properties[key].is_object(), "{field}.{key} is not in the schema");
            }
        }
    }
}
