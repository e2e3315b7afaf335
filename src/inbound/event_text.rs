//! The words an inbound message shows as: the webhook's `text`, the text
//! the message history keeps, and the message put into GHL Conversations.
//! Text and media keep their own text (or caption), as the original
//! gateway sent them; the typed events read as a short note, so that an
//! agent in GHL sees what happened ("edited: ...", "missed voice call") and
//! a workflow triggered by an inbound message has something to act on.

use crate::domain::{ContactCard, Location, MessageDetails, MessageKind, PollVote, Reaction};
use crate::wa::InboundMessage;

/// What `message` shows as.
pub fn shown(message: &InboundMessage) -> String {
    let own = || {
        let text = message.text.as_deref().filter(|t| !t.is_empty());
        text.or(message.caption.as_deref()).unwrap_or_default().to_owned()
    };
    note(message.kind, &message.details).unwrap_or_else(own)
}

/// The note of a typed event; `None` for text, media and kinds without one.
fn note(kind: MessageKind, details: &MessageDetails) -> Option<String> {
    Some(match kind {
        MessageKind::Reaction => reaction(details.reaction.as_ref()?),
        MessageKind::Location => location(details.location.as_ref()?),
        MessageKind::Contact => card(details.contact.as_ref()?),
        MessageKind::Edit => match details.edit.as_ref()?.text.as_deref() {
            Some(text) => format!("edited: {text}"),
            None => "edited a message".to_owned(),
        },
        MessageKind::Delete => "deleted a message".to_owned(),
        MessageKind::Poll => {
            let poll = details.poll.as_ref()?;
            let options: String = poll.options.iter().map(|o| format!("\n- {o}")).collect();
            format!("poll: {}{options}", poll.name)
        }
        MessageKind::PollVote => vote(details.poll_vote.as_ref()?),
        MessageKind::Call => match details.call.as_ref()?.video {
            Some(true) => "missed video call".to_owned(),
            Some(false) => "missed voice call".to_owned(),
            None => "missed call".to_owned(),
        },
        MessageKind::Undecryptable => {
            "a message that could not be decrypted (WhatsApp asks the sender's phone to send it again)"
                .to_owned()
        }
        _ => return None,
    })
}

fn reaction(reaction: &Reaction) -> String {
    let quoted = Some(reaction.target.text.as_str()).filter(|t| !t.is_empty());
    match (reaction.emoji.as_str(), quoted) {
        ("", _) => "removed a reaction".to_owned(),
        (emoji, Some(text)) => format!("reacted {emoji} to \"{text}\""),
        (emoji, None) => format!("reacted {emoji}"),
    }
}

fn location(location: &Location) -> String {
    let label: Vec<&str> = [location.name.as_deref(), location.address.as_deref()]
        .into_iter()
        .flatten()
        .filter(|l| !l.is_empty())
        .collect();
    match label.is_empty() {
        true => format!("location: {}", location.maps_url()),
        false => format!("location: {}\n{}", label.join(", "), location.maps_url()),
    }
}

fn card(card: &ContactCard) -> String {
    match card.phone.is_empty() {
        true => format!("contact card: {}", card.name),
        false => format!("contact card: {} {}", card.name, card.phone),
    }
}

fn vote(vote: &PollVote) -> String {
    match vote.options.as_deref() {
        None => "voted in a poll".to_owned(),
        Some([]) => "took back a poll vote".to_owned(),
        Some(options) => format!("voted in a poll: {}", options.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Call, Edit, MessageRef};

    fn shown_as(kind: MessageKind, details: MessageDetails) -> String {
        note(kind, &details).expect("a note")
    }

    #[test]
    fn each_event_reads_as_a_note() {
        let target = MessageRef {
            id: "A".into(),
            from_me: true,
            sender: None,
            text: "see you at 5".into(),
        };
        let reacted = |emoji: &str, text: &str| MessageDetails {
            reaction: Some(Reaction {
                target: MessageRef {
                    text: text.into(),
                    ..target.clone()
                },
                emoji: emoji.into(),
            }),
            ..Default::default()
        };
        assert_eq!(
            shown_as(MessageKind::Reaction, reacted("👍", "see you at 5")),
            "reacted 👍 to \"see you at 5\""
        );
        assert_eq!(shown_as(MessageKind::Reaction, reacted("👍", "")), "reacted 👍");
        assert_eq!(
            shown_as(MessageKind::Reaction, reacted("", "x")),
            "removed a reaction"
        );
        let edit = |text: Option<&str>| MessageDetails {
            edit: Some(Edit {
                message_id: "A".into(),
                text: text.map(str::to_owned),
            }),
            ..Default::default()
        };
        assert_eq!(shown_as(MessageKind::Edit, edit(Some("at 6"))), "edited: at 6");
        assert_eq!(shown_as(MessageKind::Edit, edit(None)), "edited a message");
        let call = MessageDetails {
            call: Some(Call {
                call_id: "C".into(),
                video: Some(true),
            }),
            ..Default::default()
        };
        assert_eq!(shown_as(MessageKind::Call, call), "missed video call");
        let vote = |options: Option<Vec<String>>| MessageDetails {
            poll_vote: Some(PollVote {
                poll_id: "P".into(),
                options,
            }),
            ..Default::default()
        };
        assert_eq!(
            shown_as(
                MessageKind::PollVote,
                vote(Some(vec!["Mon".into(), "Tue".into()]))
            ),
            "voted in a poll: Mon, Tue"
        );
        assert_eq!(
            shown_as(MessageKind::PollVote, vote(Some(vec![]))),
            "took back a poll vote"
        );
        assert_eq!(shown_as(MessageKind::PollVote, vote(None)), "voted in a poll");
    }

    #[test]
    fn a_location_is_a_maps_link_and_a_card_its_name_and_number() {
        let place = |name: Option<&str>| MessageDetails {
            location: Some(Location {
                latitude: -23.5,
                longitude: -46.25,
                name: name.map(str::to_owned),
                address: Some("Av. Paulista 1000".into()),
            }),
            ..Default::default()
        };
        assert_eq!(
            shown_as(MessageKind::Location, place(Some("Office"))),
            "location: Office, Av. Paulista 1000\nhttps://www.google.com/maps/search/?api=1&query=-23.5,-46.25"
        );
        let card = MessageDetails {
            contact: Some(ContactCard {
                name: "Ana".into(),
                phone: "+5511988887777".into(),
            }),
            ..Default::default()
        };
        assert_eq!(
            shown_as(MessageKind::Contact, card),
            "contact card: Ana +5511988887777"
        );
    }

    #[test]
    fn text_and_media_have_no_note() {
        assert_eq!(note(MessageKind::Text, &MessageDetails::default()), None);
        assert_eq!(note(MessageKind::Image, &MessageDetails::default()), None);
        assert_eq!(
            note(MessageKind::Location, &MessageDetails::default()),
            None,
            "a kind without its details falls back to the message's own text"
        );
    }
}
