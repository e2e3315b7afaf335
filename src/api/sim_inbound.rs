//! `POST /api/sim/{id}/inbound`: what a simulated contact writes, read
//! field by field. Besides text and media, every event type the gateway
//! receives from WhatsApp can be injected, with the send API's field names
//! where there are some: a reply (`quotedId`, `quotedText`), a reaction
//! (`reactTo` one of the instance's messages, `emoji`), a location
//! (`latitude`, `longitude`, `name`, `address`), a contact card
//! (`contactName`, `contactPhone`), an edit (`edits`: the id, `text`: the
//! new text, absent for a sealed edit), a deletion (`deletes`), a poll
//! (`pollName`, `options`), a vote (`pollId`, `options`, absent for a vote
//! that cannot be read), a missed call (`video`, `callId`), and a message
//! that could not be decrypted (`type: "undecryptable"`).

use super::body::JsonBody;
use super::error::ApiError;
use super::send::parse_phone;
use super::send_details;
use super::state::AppState;
use crate::cluster::control::SimInbound;
use crate::domain::{
    new_message_id, Call, Deletion, Edit, GroupId, MessageDetails, MessageKind, MessageRef, Poll, PollVote,
    Reaction,
};

pub fn read(body: &JsonBody, state: &AppState) -> Result<SimInbound, ApiError> {
    let from = parse_phone("from", &body.required("from")?, state)?;
    let kind = match body.text("type")? {
        Some(raw) => raw
            .parse::<MessageKind>()
            .map_err(|e| ApiError::invalid("type", e.to_string()))?,
        None => MessageKind::Text,
    };
    let text = body.text("text")?;
    let media_url = body.text("mediaUrl")?;
    let needs_content = kind == MessageKind::Text || kind.is_media();
    if needs_content && text.is_none() && media_url.is_none() {
        return Err(ApiError::missing("text"));
    }
    let mut details = details(body, kind, state)?;
    details.quote = quote(body)?;
    Ok(SimInbound {
        id: body.text("id")?,
        from,
        kind,
        text,
        media_url,
        mime_type: body.text("mimeType")?,
        push_name: body.text("pushName")?,
        from_me: body.flag("fromMe")?,
        group: body
            .text("group")?
            .map(|raw| GroupId::parse(&raw).map_err(|e| ApiError::invalid("group", e.to_string())))
            .transpose()?,
        details,
    })
}

/// The details of `kind`, from its fields.
fn details(body: &JsonBody, kind: MessageKind, state: &AppState) -> Result<MessageDetails, ApiError> {
    let mut details = MessageDetails::default();
    match kind {
        MessageKind::Location | MessageKind::Contact => {
            return Ok(send_details::read(body, kind, state.settings.default_country)?.details)
        }
        MessageKind::Reaction => {
            let named = send_details::read(body, kind, None)?.named;
            let (target, emoji) = named.reaction.expect("a reaction names its target");
            details.reaction = Some(Reaction {
                target: ours(target),
                emoji,
            });
        }
        MessageKind::Edit => {
            details.edit = Some(Edit {
                message_id: body.required("edits")?,
                text: body.text("text")?,
            })
        }
        MessageKind::Delete => {
            details.deletion = Some(Deletion {
                message_id: body.required("deletes")?,
            })
        }
        MessageKind::Poll => details.poll = Some(poll(body)?),
        MessageKind::PollVote => {
            details.poll_vote = Some(PollVote {
                poll_id: body.required("pollId")?,
                options: body.texts("options")?,
            })
        }
        MessageKind::Call => {
            details.call = Some(Call {
                call_id: body.text("callId")?.unwrap_or_else(new_message_id),
                video: body.flag_or_none("video")?,
            })
        }
        _ => {}
    }
    Ok(details)
}

fn poll(body: &JsonBody) -> Result<Poll, ApiError> {
    let options = body
        .texts("options")?
        .ok_or_else(|| ApiError::missing("options"))?;
    if options.len() < 2 {
        return Err(ApiError::invalid("options", "a poll has at least two options"));
    }
    Ok(Poll {
        name: body.required("pollName")?,
        options,
        selectable: 1,
    })
}

/// The message a reply quotes, as the contact's phone names it.
fn quote(body: &JsonBody) -> Result<Option<MessageRef>, ApiError> {
    let Some(id) = body.text("quotedId")? else {
        return Ok(None);
    };
    Ok(Some(MessageRef {
        text: body.text("quotedText")?.unwrap_or_default(),
        ..ours(id)
    }))
}

/// One of the instance's own messages (what a contact reacts to or quotes).
fn ours(id: String) -> MessageRef {
    MessageRef {
        id,
        from_me: true,
        sender: None,
        text: String::new(),
    }
}
