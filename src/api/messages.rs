//! Message lookups: one message's status by id, and the history listing in
//! the original gateway's shape and words (`original::words`): `timestamp` in ms,
//! delivered and read as `sent`, an image's caption (or its URL) as `text`,
//! as its UI reads them (`frontend/src/types/gateway.ts`, `MessageHistory`).
//! wagate's own fields ride beside: `messageStatus`, `createdAt`, `caption`.

use super::common::{ok, success, with_state, ApiResult, Reply as Answer};
use super::error::{self, ApiError};
use super::original::words;
use super::state::AppState;
use crate::domain::{Direction, InstanceId};
use crate::store::{HistoryQuery, MessageRecord};
use crate::support::clock::rfc3339;
use serde_json::{json, Value};
use std::collections::HashMap;
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::{Filter, Reply};

const HISTORY_DEFAULT: usize = 50;
const HISTORY_MAX: usize = 500;

pub fn routes(state: AppState) -> BoxedFilter<(impl Reply,)> {
    // The history answers every query itself, errors included: a rejection
    // would fall through to the lookup by id, which takes `history` for an
    // id and answered 404 "there is no message history".
    let history = warp::path!("messages" / "history")
        .and(warp::get())
        .and(warp::query::<HashMap<String, String>>())
        .and(with_state(state.clone()))
        .then(|params, state| async move {
            match history(params, state).await {
                Ok(reply) => reply.into_response(),
                Err(e) => error::reply(&e).into_response(),
            }
        });
    let one = warp::path!("messages" / String)
        .and(warp::get())
        .and(with_state(state))
        .and_then(one)
        .map(Reply::into_response);
    history.or(one).unify().boxed()
}

async fn one(id: String, state: AppState) -> ApiResult {
    let message = state.stores.log.message(&id).await.map_err(ApiError::from)?;
    let message = message.ok_or_else(|| ApiError::not_found(format!("there is no message {id:?}")))?;
    ok(json!({ "message": detail(&message) }))
}

/// `?instanceId&type&limit&since`, each checked with an error naming it.
async fn history(params: HashMap<String, String>, state: AppState) -> Result<Answer, ApiError> {
    let param = |name: &str| params.get(name).map(String::as_str);
    let query = HistoryQuery {
        instance: param("instanceId")
            .map(|raw| InstanceId::parse(raw).map_err(|e| ApiError::invalid("instanceId", e.to_string())))
            .transpose()?,
        direction: param("type").map(parse_direction).transpose()?,
        since_ms: param("since").map(parse_since).transpose()?,
        limit: param("limit")
            .map(parse_limit)
            .transpose()?
            .unwrap_or(HISTORY_DEFAULT),
    };
    let found = state.stores.log.history(&query).await?;
    let messages: Vec<Value> = found.iter().map(history_item).collect();
    Ok(success(
        StatusCode::OK,
        json!({ "count": messages.len(), "messages": messages }),
    ))
}

/// A whole number; out of range is brought within 1..=HISTORY_MAX.
fn parse_limit(raw: &str) -> Result<usize, ApiError> {
    let limit: u64 = raw
        .parse()
        .map_err(|_| ApiError::invalid("limit", "limit must be a whole number"))?;
    Ok(usize::try_from(limit)
        .unwrap_or(HISTORY_MAX)
        .clamp(1, HISTORY_MAX))
}

fn parse_direction(raw: &str) -> Result<Direction, ApiError> {
    match raw {
        "inbound" => Ok(Direction::Inbound),
        "outbound" => Ok(Direction::Outbound),
        _ => Err(ApiError::invalid("type", "type must be inbound or outbound")),
    }
}

fn parse_since(raw: &str) -> Result<i64, ApiError> {
    if let Ok(ms) = raw.parse::<i64>() {
        return Ok(ms);
    }
    chrono::DateTime::parse_from_rfc3339(raw)
        .map(|t| t.timestamp_millis())
        .map_err(|_| {
            ApiError::invalid(
                "since",
                "since must be an RFC 3339 time or milliseconds since the epoch",
            )
        })
}

fn history_item(m: &MessageRecord) -> Value {
    json!({
        "id": m.id,
        "instanceId": m.instance_id,
        "type": m.direction,
        "messageType": m.kind,
        "from": m.from,
        "to": m.to,
        "text": shown_text(m),
        "caption": m.caption,
        "mediaUrl": m.media_url,
        "timestamp": m.created_at_ms,
        "createdAt": rfc3339(m.created_at_ms),
        "status": words::message_word(m.status),
        "messageStatus": m.status,
        "details": shown_details(m),
    })
}

/// A quote, reaction, location or contact card; null for none.
fn shown_details(m: &MessageRecord) -> Option<&crate::domain::MessageDetails> {
    (!m.details.is_empty()).then_some(&m.details)
}

/// The text, else the caption, else (media without a caption) the kind
/// and URL, as the original history showed `[Imagen: url]`.
fn shown_text(m: &MessageRecord) -> String {
    if !m.text.is_empty() {
        return m.text.clone();
    }
    match (&m.caption, &m.media_url) {
        (Some(caption), _) if !caption.is_empty() => caption.clone(),
        (_, Some(url)) => format!("[{}: {url}]", m.kind.as_str()),
        _ => String::new(),
    }
}

fn detail(m: &MessageRecord) -> Value {
    json!({
        "id": m.id,
        "instanceId": m.instance_id,
        "direction": m.direction,
        "type": m.kind,
        "from": m.from,
        "to": m.to,
        "status": m.status,
        "error": m.error,
        "attempts": m.attempts,
        "createdAt": rfc3339(m.created_at_ms),
        "updatedAt": rfc3339(m.updated_at_ms),
        "details": shown_details(m),
    })
}
