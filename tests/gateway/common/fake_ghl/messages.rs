//! Messages: inbound (and outbound) messages a provider adds to a
//! conversation, deduplicated by altId, and delivery status updates.

use super::http::{Reply, SeenRequest};
use super::state::{State, CONVERSATIONS_VERSION};
use serde_json::{json, Value};

const STATUSES: [&str; 4] = ["pending", "delivered", "read", "failed"];

/// POST /conversations/messages/inbound (apps/conversations.json: scope
/// conversations/message.write; ProcessMessageBodyDto requires `type`,
/// `conversationId`, `contactId` and `conversationProviderId`, else 422).
pub(super) fn inbound(state: &mut State, req: &SeenRequest) -> Result<Reply, Reply> {
    state.check_version(req, CONVERSATIONS_VERSION)?;
    state.scoped(req, "conversations/message.write")?;
    let fields = req.json_fields();
    let [kind, conversation_id, contact_id, _provider] = state.require(
        req,
        &fields,
        ["type", "conversationId", "contactId", "conversationProviderId"],
    )?;
    let location_id = contact_location(state, req, &contact_id)?;
    state.location_bearer(req, &location_id)?;
    check_content(state, req, &kind)?;
    check_conversation(state, req, &conversation_id, &contact_id)?;
    let alt_id = fields.get("altId").cloned();
    let (conversation_id, message_id) = accept_once(state, req, &location_id, conversation_id, alt_id);
    Ok(queued(&conversation_id, &message_id, &contact_id))
}

/// Stores the message, unless its altId was seen in the location: then
/// answers with the first message's ids.
fn accept_once(
    state: &mut State,
    req: &SeenRequest,
    location_id: &str,
    conversation_id: String,
    alt_id: Option<String>,
) -> (String, String) {
    let Some(alt_id) = alt_id else {
        let message_id = accept(state, req, location_id, &conversation_id);
        return (conversation_id, message_id);
    };
    let key = (location_id.to_owned(), alt_id);
    if let Some(first) = state.alt_ids.get(&key).cloned() {
        state.repeated_alt_ids.push(key.1);
        return first;
    }
    let message_id = accept(state, req, location_id, &conversation_id);
    state
        .alt_ids
        .insert(key, (conversation_id.clone(), message_id.clone()));
    (conversation_id, message_id)
}

/// ProcessMessageResponseDto (apps/conversations.json).
fn queued(conversation_id: &str, message_id: &str, contact_id: &str) -> Reply {
    Reply::ok(json!({
        "success": true,
        "conversationId": conversation_id,
        "messageId": message_id,
        "message": "Message queued",
        "contactId": contact_id,
    }))
}

fn accept(state: &mut State, req: &SeenRequest, location_id: &str, conversation_id: &str) -> String {
    state.inbound.push(req.json.clone().unwrap_or_default());
    state.add_message(location_id, conversation_id)
}

fn contact_location(state: &mut State, req: &SeenRequest, contact_id: &str) -> Result<String, Reply> {
    match state.contact(contact_id) {
        Some(contact) => Ok(contact.location_id.clone()),
        None => {
            let problem = format!("{}: no contact {contact_id}", req.line());
            Err(state.reject(problem, Reply::error(400, "Contact not found")))
        }
    }
}

/// type SMS, a known direction, and a text or attachments.
fn check_content(state: &mut State, req: &SeenRequest, kind: &str) -> Result<(), Reply> {
    let body = req.json.clone().unwrap_or_default();
    let has_text = body["message"].as_str().is_some_and(|text| !text.is_empty());
    let has_attachments = body["attachments"]
        .as_array()
        .is_some_and(|list| !list.is_empty());
    let direction_ok = matches!(&body["direction"], Value::Null)
        || matches!(body["direction"].as_str(), Some("inbound" | "outbound"));
    let mut wrong = Vec::new();
    if kind != "SMS" {
        wrong.push(format!("type must be SMS, not {kind}"));
    }
    if !has_text && !has_attachments {
        wrong.push("message or attachments should not be empty".to_owned());
    }
    if !direction_ok {
        wrong.push(format!(
            "direction {} is neither inbound nor outbound",
            body["direction"]
        ));
    }
    if wrong.is_empty() {
        return Ok(());
    }
    Err(state.reject(
        format!("{}: {}", req.line(), wrong.join(", ")),
        Reply::error(422, wrong),
    ))
}

/// The conversationId sent must be the contact's conversation (one per
/// contact: docs/marketplace modules/ConversationProviders.md); GHL does
/// not make one for an inbound message.
fn check_conversation(
    state: &mut State,
    req: &SeenRequest,
    conversation_id: &str,
    contact_id: &str,
) -> Result<(), Reply> {
    match state.conversation_of(contact_id) {
        Some(conversation) if conversation.id == conversation_id => Ok(()),
        _ => {
            let problem = format!(
                "{}: conversation {conversation_id} is not contact {contact_id}'s",
                req.line()
            );
            Err(state.reject(problem, Reply::error(400, "Conversation not found")))
        }
    }
}

/// PUT /conversations/messages/{messageId}/status (apps/conversations.json:
/// scope conversations/message.write; UpdateMessageStatusDto requires `status`).
pub(super) fn status(state: &mut State, req: &SeenRequest, message_id: &str) -> Result<Reply, Reply> {
    state.check_version(req, CONVERSATIONS_VERSION)?;
    state.scoped(req, "conversations/message.write")?;
    if let Some(left) = state
        .forbidden_updates
        .get_mut(message_id)
        .filter(|left| **left > 0)
    {
        *left -= 1;
        return Err(Reply::error(
            403,
            "The token does not have access to this location",
        ));
    }
    let Some(message) = state.messages.get(message_id) else {
        let problem = format!("{}: no message {message_id}", req.line());
        return Err(state.reject(problem, Reply::error(404, "Message not found")));
    };
    let (location_id, conversation_id) = (message.location_id.clone(), message.conversation_id.clone());
    state.location_bearer(req, &location_id)?;
    let [status] = state.require(req, &req.json_fields(), ["status"])?;
    if !STATUSES.contains(&status.as_str()) {
        let problem = format!("{}: unknown status {status}", req.line());
        return Err(state.reject(
            problem,
            Reply::error(422, vec![format!("status must be one of {STATUSES:?}")]),
        ));
    }
    record_status(state, req, message_id, status);
    Ok(Reply::ok(
        json!({ "conversationId": conversation_id, "messageId": message_id }),
    ))
}

fn record_status(state: &mut State, req: &SeenRequest, message_id: &str, status: String) {
    let statuses = &mut state.messages.get_mut(message_id).unwrap().statuses;
    let previous = statuses.last().cloned();
    statuses.push(status.clone());
    if !may_follow(previous.as_deref(), &status) {
        let problem = format!("{}: status {status} after {previous:?}", req.line());
        state.problems.push(problem);
    }
}

/// pending < delivered < read; failed only first or after pending; nothing after failed.
fn may_follow(previous: Option<&str>, next: &str) -> bool {
    let rank = |status: &str| STATUSES.iter().position(|known| *known == status);
    match (previous, next) {
        (None, _) => true,
        (Some("failed"), _) => false,
        (Some(previous), "failed") => previous == "pending",
        (Some(previous), next) => rank(next) >= rank(previous),
    }
}
