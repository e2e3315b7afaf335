//! GHL workflow wiring: `POST /api/ghl/outbound` turns a workflow webhook
//! into a queued send (the gateway's own shape and the original's older
//! `{locationId, contactId, phone, message}`), and `/api/ghl/inbound-test`
//! records what it receives, for checking the wiring.

use super::body::{json_body, JsonBody};
use super::common::{ok, parse_instance_id, with_state, ApiResult};
use super::error::ApiError;
use super::send::{accept, idempotency_key, parse_phone, SendRequest};
use super::state::AppState;
use crate::domain::{InstanceId, MessageKind};
use serde_json::json;
use warp::filters::BoxedFilter;
use warp::{Filter, Reply};

pub fn routes(state: AppState) -> BoxedFilter<(impl Reply,)> {
    let limit = state.settings.raw.max_body_bytes;
    let outbound = warp::path!("ghl" / "outbound")
        .and(warp::post())
        .and(with_state(state.clone()))
        .and(idempotency_key())
        .and(json_body(limit))
        .and_then(outbound);
    let record = warp::path!("ghl" / "inbound-test")
        .and(warp::post())
        .and(with_state(state.clone()))
        .and(warp::header::headers_cloned())
        .and(json_body(limit))
        .and_then(record_test);
    let list = warp::path!("ghl" / "inbound-test")
        .and(warp::get())
        .and(with_state(state))
        .and_then(list_tests);
    outbound.or(record).or(list).boxed()
}

async fn outbound(state: AppState, key: Option<String>, body: JsonBody) -> ApiResult {
    let instance = pick_instance(&state, &body).await?;
    let raw_to = match body.text("to")? {
        Some(to) => to,
        None => body.text("phone")?.ok_or_else(|| ApiError::missing("to"))?,
    };
    let to = parse_phone("to", &raw_to, &state)?;
    let kind = match body.text("type")? {
        Some(raw) => {
            MessageKind::parse_sendable(&raw).map_err(|e| ApiError::invalid("type", e.to_string()))?
        }
        None => MessageKind::Text,
    };
    let request = SendRequest::build(
        instance,
        to,
        kind,
        body.text("message")?,
        body.text("mediaUrl")?,
        body.text("caption")?,
    )?;
    accept(&state, request, key).await
}

/// The instance named in the body; the older shape named none, which means
/// the gateway's only instance when there is exactly one.
async fn pick_instance(state: &AppState, body: &JsonBody) -> Result<InstanceId, ApiError> {
    if let Some(raw) = body.text("instanceId")? {
        return parse_instance_id(&raw);
    }
    let mut all = state.stores.instances.instances().await?;
    match all.len() {
        1 => Ok(all.remove(0).id),
        _ => Err(ApiError::missing("instanceId")),
    }
}

async fn record_test(state: AppState, headers: warp::http::HeaderMap, body: JsonBody) -> ApiResult {
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let entry = json!({
        "receivedAt": crate::clock::rfc3339(crate::clock::now_ms()),
        "contentType": content_type,
        "body": body.into_value(),
    });
    state.inbound_test.record(entry);
    ok(json!({ "received": true }))
}

async fn list_tests(state: AppState) -> ApiResult {
    let received = state.inbound_test.list();
    ok(json!({ "count": received.len(), "received": received }))
}
