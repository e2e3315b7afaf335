//! The fields that make a send more than text or media, read alike from
//! `POST /api/send` and GHL's workflow action: `quotedId` (a reply quoting
//! an earlier message), `type: "reaction"` with `reactTo` and `emoji`,
//! `type: "location"` with `latitude`, `longitude`, `name`, `address`, and
//! `type: "contact"` with `contactName` and `contactPhone`. Buttons and
//! lists are refused: WhatsApp delivers them unreliably to personal
//! accounts. The messages named by id are looked up in [`resolve`].

use super::error::ApiError;
use super::state::AppState;
use crate::domain::{
    is_single_emoji, ContactCard, Direction, InstanceId, Location, MessageDetails, MessageKind, MessageRef,
    MessageStatus, Phone, Reaction, Recipient,
};
use crate::store::MessageRecord;
use rlibphonenumber::Region;
use warp::http::StatusCode;

/// Longest name or address of a location, or name on a contact card.
const MAX_LABEL_CHARS: usize = 1_000;

/// Where a send's fields are read from.
pub trait SendFields {
    /// A text field; blank counts as absent.
    fn text(&self, name: &'static str) -> Result<Option<String>, ApiError>;
    /// A number, or one written as text.
    fn number(&self, name: &'static str) -> Result<Option<f64>, ApiError>;
}

impl SendFields for super::body::JsonBody {
    fn text(&self, name: &'static str) -> Result<Option<String>, ApiError> {
        super::body::JsonBody::text(self, name)
    }
    fn number(&self, name: &'static str) -> Result<Option<f64>, ApiError> {
        super::body::JsonBody::number(self, name)
    }
}

/// Earlier messages a send names by id, looked up when it is accepted.
#[derive(Debug, Clone, Default)]
pub struct Named {
    pub quoted_id: Option<String>,
    /// The message reacted to, and the emoji ("" takes a reaction back).
    pub reaction: Option<(String, String)>,
}

/// What the fields add to a send: for a location, contact or reaction,
/// the text the message log shows for it.
#[derive(Debug, Default)]
pub struct Extra {
    pub text: Option<String>,
    pub details: MessageDetails,
    pub named: Named,
}

/// The `type` field (text when absent).
pub fn kind(fields: &dyn SendFields) -> Result<MessageKind, ApiError> {
    let Some(raw) = fields.text("type")? else {
        return Ok(MessageKind::Text);
    };
    if matches!(
        raw.trim().to_ascii_lowercase().as_str(),
        "buttons" | "button" | "list"
    ) {
        let why = "buttons and lists are not sent: WhatsApp delivers them unreliably to personal accounts";
        return Err(ApiError::invalid("type", why));
    }
    MessageKind::parse_sendable(&raw).map_err(|e| ApiError::invalid("type", e.to_string()))
}

/// The fields `kind` takes besides text and media, checked.
pub fn read(
    fields: &dyn SendFields,
    kind: MessageKind,
    default_country: Option<Region>,
) -> Result<Extra, ApiError> {
    let quoted_id = fields.text("quotedId")?;
    let mut extra = match kind {
        MessageKind::Reaction => {
            if quoted_id.is_some() {
                return Err(ApiError::invalid("quotedId", "a reaction cannot quote a message"));
            }
            return reaction(fields);
        }
        MessageKind::Location => location(fields)?,
        MessageKind::Contact => contact(fields, default_country)?,
        _ => Extra::default(),
    };
    extra.named.quoted_id = quoted_id;
    Ok(extra)
}

fn reaction(fields: &dyn SendFields) -> Result<Extra, ApiError> {
    let target = fields
        .text("reactTo")?
        .ok_or_else(|| ApiError::missing("reactTo"))?;
    let emoji = fields.text("emoji")?.unwrap_or_default();
    if !emoji.is_empty() && !is_single_emoji(&emoji) {
        let why = "emoji must be one emoji (or empty to take a reaction back)";
        return Err(ApiError::invalid("emoji", why));
    }
    Ok(Extra {
        text: Some(emoji.clone()),
        named: Named {
            quoted_id: None,
            reaction: Some((target, emoji)),
        },
        ..Extra::default()
    })
}

fn location(fields: &dyn SendFields) -> Result<Extra, ApiError> {
    let latitude = fields
        .number("latitude")?
        .ok_or_else(|| ApiError::missing("latitude"))?;
    let longitude = fields
        .number("longitude")?
        .ok_or_else(|| ApiError::missing("longitude"))?;
    Location::check(latitude, longitude).map_err(|(field, why)| ApiError::invalid(field, why))?;
    let name = label(fields, "name")?;
    let address = label(fields, "address")?;
    let shown = name.clone().or_else(|| address.clone());
    let location = Location {
        latitude,
        longitude,
        name,
        address,
    };
    Ok(Extra {
        text: Some(shown.unwrap_or_else(|| format!("{latitude},{longitude}"))),
        details: MessageDetails {
            location: Some(location),
            ..MessageDetails::default()
        },
        named: Named::default(),
    })
}

fn contact(fields: &dyn SendFields, default_country: Option<Region>) -> Result<Extra, ApiError> {
    let name = label(fields, "contactName")?.ok_or_else(|| ApiError::missing("contactName"))?;
    let raw = fields
        .text("contactPhone")?
        .ok_or_else(|| ApiError::missing("contactPhone"))?;
    let phone =
        Phone::parse(&raw, default_country).map_err(|e| ApiError::invalid("contactPhone", e.to_string()))?;
    let card = ContactCard {
        name: name.clone(),
        phone: phone.e164().to_owned(),
    };
    Ok(Extra {
        text: Some(name),
        details: MessageDetails {
            contact: Some(card),
            ..MessageDetails::default()
        },
        named: Named::default(),
    })
}

fn label(fields: &dyn SendFields, name: &'static str) -> Result<Option<String>, ApiError> {
    let value = fields.text(name)?.map(|v| v.trim().to_owned());
    if value
        .as_ref()
        .is_some_and(|v| v.chars().count() > MAX_LABEL_CHARS)
    {
        return Err(ApiError::invalid(
            name,
            format!("{name} is longer than {MAX_LABEL_CHARS} characters"),
        ));
    }
    Ok(value)
}

/// The details with the messages `named` looked up: each must be a message
/// of this instance's chat with `to` that reached WhatsApp (or is queued
/// before this one).
pub async fn resolve(
    state: &AppState,
    instance: &InstanceId,
    to: &Recipient,
    mut details: MessageDetails,
    named: Named,
) -> Result<MessageDetails, ApiError> {
    if let Some(id) = named.quoted_id {
        details.quote = Some(message_ref(state, instance, to, "quotedId", &id).await?);
    }
    if let Some((id, emoji)) = named.reaction {
        let target = message_ref(state, instance, to, "reactTo", &id).await?;
        details.reaction = Some(Reaction { target, emoji });
    }
    Ok(details)
}

/// An earlier message as WhatsApp refers to it. One the store does not
/// hold for this instance is 404, like an unknown instance: the body is
/// well formed, but names something the gateway does not have (perhaps not
/// yet: an inbound message is stored as it arrives). One of another chat,
/// or one that failed, is a mistake in the request: 400.
async fn message_ref(
    state: &AppState,
    instance: &InstanceId,
    to: &Recipient,
    field: &'static str,
    id: &str,
) -> Result<MessageRef, ApiError> {
    let found = state.stores.log.message(id).await?;
    let Some(record) = found.filter(|m| &m.instance_id == instance) else {
        return Err(ApiError {
            field: Some(field),
            ..ApiError::new(
                StatusCode::NOT_FOUND,
                "unknown_message",
                format!("instance {instance} has no message {id:?}"),
            )
        });
    };
    check_chat(&record, to, field)?;
    Ok(reference(record))
}

/// The message must be of the chat with `to`: sent to it, or received from
/// it (or, in a group, written in it).
fn check_chat(record: &MessageRecord, to: &Recipient, field: &'static str) -> Result<(), ApiError> {
    let chat = match (record.direction, &record.details.group) {
        (Direction::Outbound, _) => record.to.as_deref(),
        (Direction::Inbound, Some(group)) => Some(group.id.as_str()),
        (Direction::Inbound, None) => record.from.as_deref(),
    };
    if chat != Some(to.as_str()) {
        let why = format!("{field}: message {} is not in the chat with {to}", record.id);
        return Err(ApiError::invalid(field, why));
    }
    if record.status == MessageStatus::Failed {
        let why = format!("{field}: message {} failed; it never reached WhatsApp", record.id);
        return Err(ApiError::invalid(field, why));
    }
    Ok(())
}

fn reference(record: MessageRecord) -> MessageRef {
    let from_me = record.direction == Direction::Outbound;
    let text = [Some(record.text), record.caption]
        .into_iter()
        .flatten()
        .find(|t| !t.is_empty())
        .unwrap_or_else(|| format!("[{}]", record.kind));
    MessageRef {
        id: record.id,
        from_me,
        sender: if from_me { None } else { record.from },
        text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::body::JsonBody;

    fn extra(json: &str) -> Result<Extra, ApiError> {
        let body = JsonBody::parse(json.as_bytes()).unwrap();
        read(&body, kind(&body)?, None)
    }

    fn refused(json: &str) -> (StatusCode, Option<&'static str>) {
        let e = extra(json).expect_err("refused");
        (e.status, e.field)
    }

    #[test]
    fn a_location_is_read_with_its_labels() {
        let got =
            extra(r#"{"type":"location","latitude":"-23.55","longitude":-46.63,"name":" Office "}"#).unwrap();
        assert_eq!(got.text.as_deref(), Some("Office"));
        let location = got.details.location.unwrap();
        assert_eq!((location.latitude, location.longitude), (-23.55, -46.63));
        assert_eq!(location.address, None);
        let bare = extra(r#"{"type":"location","latitude":1.5,"longitude":2}"#).unwrap();
        assert_eq!(bare.text.as_deref(), Some("1.5,2"));
    }

    #[test]
    fn bad_coordinates_name_their_field() {
        let bad = StatusCode::BAD_REQUEST;
        assert_eq!(
            refused(r#"{"type":"location","latitude":91,"longitude":0}"#),
            (bad, Some("latitude"))
        );
        assert_eq!(
            refused(r#"{"type":"location","latitude":0,"longitude":-181}"#),
            (bad, Some("longitude"))
        );
        assert_eq!(
            refused(r#"{"type":"location","latitude":"x","longitude":0}"#),
            (bad, Some("latitude"))
        );
        assert_eq!(
            refused(r#"{"type":"location","latitude":0}"#),
            (bad, Some("longitude"))
        );
    }

    #[test]
    fn a_contact_card_needs_a_name_and_a_number() {
        let got =
            extra(r#"{"type":"contact","contactName":"Ana","contactPhone":"+55 11 98888-7777"}"#).unwrap();
        assert_eq!(got.details.contact.unwrap().phone, "+5511988887777");
        assert_eq!(
            refused(r#"{"type":"contact","contactPhone":"+5511988887777"}"#).1,
            Some("contactName")
        );
        assert_eq!(
            refused(r#"{"type":"contact","contactName":"Ana","contactPhone":"abc"}"#).1,
            Some("contactPhone")
        );
    }

    #[test]
    fn a_reaction_is_one_emoji_on_a_named_message() {
        let got = extra(r#"{"type":"reaction","reactTo":"3EB0AA","emoji":"👍🏽"}"#).unwrap();
        assert_eq!(got.named.reaction, Some(("3EB0AA".into(), "👍🏽".into())));
        let undo = extra(r#"{"type":"reaction","reactTo":"3EB0AA"}"#).unwrap();
        assert_eq!(undo.named.reaction.unwrap().1, "");
        assert_eq!(
            refused(r#"{"type":"reaction","reactTo":"3EB0AA","emoji":"ok"}"#).1,
            Some("emoji")
        );
        assert_eq!(
            refused(r#"{"type":"reaction","reactTo":"3EB0AA","emoji":"👍👍"}"#).1,
            Some("emoji")
        );
        assert_eq!(refused(r#"{"type":"reaction","emoji":"👍"}"#).1, Some("reactTo"));
        assert_eq!(
            refused(r#"{"type":"reaction","reactTo":"a","emoji":"👍","quotedId":"b"}"#).1,
            Some("quotedId")
        );
    }

    #[test]
    fn any_other_kind_may_quote_and_buttons_are_refused() {
        let got = extra(r#"{"message":"yes","quotedId":"3EB0AA"}"#).unwrap();
        assert_eq!(got.named.quoted_id.as_deref(), Some("3EB0AA"));
        assert!(got.text.is_none() && got.details.is_empty());
        let e = extra(r#"{"type":"buttons"}"#).unwrap_err();
        assert!(e.message.contains("buttons and lists"), "{}", e.message);
    }
}
