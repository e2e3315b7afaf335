//! Message lookups: one message's status by id, and the history listing in
//! the original gateway's shape.

use super::common::{ok, with_state, ApiResult};
use super::error::ApiError;
use super::state::AppState;
use crate::clock::rfc3339;
use crate::domain::{Direction, InstanceId};
use crate::store::{HistoryQuery, MessageRecord};
use serde::Deserialize;
use serde_json::{json, Value};
use warp::filters::BoxedFilter;
use warp::{Filter, Reply};

const HISTORY_DEFAULT: usize = 50;
const HISTORY_MAX: usize = 500;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct HistoryParams {
    instance_id: Option<String>,
    #[serde(rename = "type")]
    direction: Option<String>,
    limit: Option<usize>,
    /// RFC 3339 time or ms since the epoch.
    since: Option<String>,
}

pub fn routes(state: AppState) -> BoxedFilter<(impl Reply,)> {
    let history = warp::path!("messages" / "history")
        .and(warp::get())
        .and(warp::query::<HistoryParams>())
        .and(with_state(state.clone()))
        .and_then(history);
    let one = warp::path!("messages" / String)
        .and(warp::get())
        .and(with_state(state))
        .and_then(one);
    history.or(one).boxed()
}

async fn one(id: String, state: AppState) -> ApiResult {
    let message = state.stores.log.message(&id).await.map_err(ApiError::from)?;
    let message = message.ok_or_else(|| ApiError::not_found(format!("there is no message {id:?}")))?;
    ok(json!({ "message": detail(&message) }))
}

async fn history(params: HistoryParams, state: AppState) -> ApiResult {
    let query = HistoryQuery {
        instance: params
            .instance_id
            .map(|raw| InstanceId::parse(&raw).map_err(|e| ApiError::invalid("instanceId", e.to_string())))
            .transpose()?,
        direction: params.direction.map(|raw| parse_direction(&raw)).transpose()?,
        since_ms: params.since.map(|raw| parse_since(&raw)).transpose()?,
        limit: params.limit.unwrap_or(HISTORY_DEFAULT).clamp(1, HISTORY_MAX),
    };
    let found = state.stores.log.history(&query).await.map_err(ApiError::from)?;
    let messages: Vec<Value> = found.iter().map(history_item).collect();
    ok(json!({ "count": messages.len(), "messages": messages }))
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
        "text": if m.text.is_empty() { m.caption.clone().unwrap_or_default() } else { m.text.clone() },
        "mediaUrl": m.media_url,
        "timestamp": rfc3339(m.created_at_ms),
        "status": m.status,
    })
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
    })
}
