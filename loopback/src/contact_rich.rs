//! The richer things a simulated contact does, as WhatsApp's apps do them
//! and with whatsapp-rust 0.7's own builders: replies that quote a message
//! (wacore `proto_helpers::build_quote_context`), reactions
//! (`build_reaction_message`), edits (`Client::edit_message`, a
//! `MESSAGE_EDIT` protocol message), deletions for everyone
//! (`Client::revoke_message`, a `REVOKE`), locations, contact cards, polls
//! and votes (`Polls::create`, `Polls::vote`). And what it reads of the
//! same kinds in the messages it decrypts: the quoted message, the
//! reaction, the place and the card.

use crate::Contact;
use anyhow::{Context, Result};
use waproto::whatsapp as wa;
use whatsapp_rust::proto_helpers::{build_quote_context, build_reaction_message, MessageBuilderExt};
use whatsapp_rust::send::RevokeType;
use whatsapp_rust::waproto::buffa::MessageField;
use whatsapp_rust::Jid;

/// The message a reply quotes: its id and its author's address.
#[derive(Debug, Clone, PartialEq)]
pub struct Quote {
    pub id: String,
    pub participant: Option<String>,
}

/// A reaction: the id of the message it is on, that message's writer as
/// the key names it (in groups only), and the emoji (empty: a reaction
/// taken back).
#[derive(Debug, Clone, PartialEq)]
pub struct Reaction {
    pub target: String,
    pub author: Option<String>,
    pub emoji: String,
}

/// A place, in degrees.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    pub latitude: f64,
    pub longitude: f64,
    pub name: Option<String>,
    pub address: Option<String>,
}

/// A contact card: the name shown and its vCard.
#[derive(Debug, Clone, PartialEq)]
pub struct Card {
    pub name: String,
    pub vcard: String,
}

/// The richer parts of a decrypted message.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rich {
    pub quoted: Option<Quote>,
    pub reaction: Option<Reaction>,
    pub location: Option<Place>,
    pub card: Option<Card>,
}

impl Rich {
    pub(crate) fn read(base: &wa::Message) -> Self {
        Self {
            quoted: quote_of(base),
            reaction: base.reaction_message.as_option().map(|r| {
                let key = r.key.as_option();
                Reaction {
                    target: key.and_then(|k| k.id.clone()).unwrap_or_default(),
                    author: key.and_then(|k| k.participant.clone()),
                    emoji: r.text.clone().unwrap_or_default(),
                }
            }),
            location: base.location_message.as_option().map(|l| Place {
                latitude: l.degrees_latitude.unwrap_or_default(),
                longitude: l.degrees_longitude.unwrap_or_default(),
                name: l.name.clone(),
                address: l.address.clone(),
            }),
            card: base.contact_message.as_option().map(|c| Card {
                name: c.display_name.clone().unwrap_or_default(),
                vcard: c.vcard.clone().unwrap_or_default(),
            }),
        }
    }

    /// Whether it has none of the richer parts.
    pub(crate) fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

fn quote_of(base: &wa::Message) -> Option<Quote> {
    let context = [
        base.extended_text_message.as_option().map(|m| &m.context_info),
        base.location_message.as_option().map(|m| &m.context_info),
        base.contact_message.as_option().map(|m| &m.context_info),
    ]
    .into_iter()
    .flatten()
    .find_map(|c| c.as_option())?;
    Some(Quote {
        id: context.stanza_id.clone()?,
        participant: context.participant.clone(),
    })
}

/// A poll the contact created: what voting on it takes.
#[derive(Debug, Clone)]
pub struct OwnPoll {
    pub id: String,
    /// The secret votes are sealed with (`messageContextInfo.messageSecret`).
    secret: Vec<u8>,
}

impl Contact {
    /// Replies to `to` with `text`, quoting the message `quoted_id` it
    /// received from `to` (its text travels with the quote).
    pub async fn reply(&self, to: &str, quoted_id: &str, text: &str) -> Result<String> {
        let quoted = self
            .received()
            .into_iter()
            .find(|m| m.id == quoted_id)
            .with_context(|| format!("the contact has no message {quoted_id}"))?;
        let original = wa::Message::text(quoted.text.unwrap_or_default());
        let author = Jid::pn(crate::phone_digits(to)?).to_string();
        let context = build_quote_context(quoted_id, author, &original);
        self.send(to, wa::Message::text_with_context(text, context)).await
    }

    /// Reacts with `emoji` to the message `target` in the chat with `to`;
    /// `mine`: the contact wrote that message.
    pub async fn react(&self, to: &str, target: &str, mine: bool, emoji: &str) -> Result<String> {
        let key = wa::MessageKey {
            remote_jid: Some(chat_with(to)?.to_string()),
            from_me: Some(mine),
            id: Some(target.to_owned()),
            participant: None,
        };
        let now_ms = i64::try_from(crate::unix_now())? * 1000;
        self.send(to, build_reaction_message(key, emoji, now_ms)).await
    }

    /// Changes the text of its message `id` to `to` (the edit goes under
    /// an id of its own, which whatsapp-rust does not give back).
    pub async fn edit(&self, to: &str, id: &str, text: &str) -> Result<()> {
        let edit = self
            .client
            .edit_message(chat_with(to)?, id, wa::Message::text(text));
        edit.await?;
        Ok(())
    }

    /// Deletes its message `id` to `to` for everyone.
    pub async fn delete(&self, to: &str, id: &str) -> Result<()> {
        let revoke = self.client.revoke_message(chat_with(to)?, id, RevokeType::Sender);
        Ok(revoke.await?)
    }

    /// Sends `place` to `to`.
    pub async fn send_location(&self, to: &str, place: &Place) -> Result<String> {
        let location = wa::message::LocationMessage {
            degrees_latitude: Some(place.latitude),
            degrees_longitude: Some(place.longitude),
            name: place.name.clone(),
            address: place.address.clone(),
            ..Default::default()
        };
        let message = wa::Message {
            location_message: MessageField::some(location),
            ..Default::default()
        };
        self.send(to, message).await
    }

    /// Sends `card` to `to`.
    pub async fn send_card(&self, to: &str, card: &Card) -> Result<String> {
        let contact = wa::message::ContactMessage {
            display_name: Some(card.name.clone()),
            vcard: Some(card.vcard.clone()),
            ..Default::default()
        };
        let message = wa::Message {
            contact_message: MessageField::some(contact),
            ..Default::default()
        };
        self.send(to, message).await
    }

    /// Asks `to` the poll `question` with `options`, `selectable` of which
    /// may be chosen.
    pub async fn create_poll(
        &self,
        to: &str,
        question: &str,
        options: &[&str],
        selectable: u32,
    ) -> Result<OwnPoll> {
        let options: Vec<String> = options.iter().map(|o| (*o).to_owned()).collect();
        let polls = self.client.polls();
        let (sent, secret) = polls
            .create(chat_with(to)?, question, &options, selectable)
            .await?;
        Ok(OwnPoll {
            id: sent.message_id,
            secret,
        })
    }

    /// Votes `chosen` in its own `poll` in the chat with `to`.
    pub async fn vote(&self, to: &str, poll: &OwnPoll, chosen: &[&str]) -> Result<String> {
        let chosen: Vec<String> = chosen.iter().map(|o| (*o).to_owned()).collect();
        let creator = Jid::pn(self.phone());
        let polls = self.client.polls();
        let vote = polls.vote(chat_with(to)?, &poll.id, &creator, &poll.secret, &chosen);
        Ok(vote.await?.message_id)
    }

    async fn send(&self, to: &str, message: wa::Message) -> Result<String> {
        Ok(self
            .client
            .send_message(chat_with(to)?, message)
            .await?
            .message_id)
    }
}

/// The one-to-one chat with `phone` (`+5511...` or digits).
fn chat_with(phone: &str) -> Result<Jid> {
    Ok(Jid::pn(crate::phone_digits(phone)?))
}
