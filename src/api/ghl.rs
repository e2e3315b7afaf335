//! GHL workflow wiring: `POST /api/ghl/outbound` turns a workflow webhook
//! into a queued send (the gateway's own shape, the original's older
//! `{locationId, contactId, phone, message}`, and GHL's standard Webhook
//! action body with `customData`), and `/api/ghl/inbound-test` records what
//! it receives, for checking the wiring.

use super::body::{json_body, JsonBody};
use super::common::{ok, parse_instance_id, with_state, ApiResult};
use super::error::ApiError;
use super::ghl_locations::parse_ghl_id;
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
    let custom = body.object("customData")?;
    let field = |name: &'static str| first_text(&body, custom.as_ref(), name);
    let instance = pick_instance(&state, &body, custom.as_ref()).await?;
    let raw_to = match field("to")? {
        Some(to) => to,
        None => field("phone")?.ok_or_else(|| ApiError::missing("to"))?,
    };
    let to = parse_phone("to", &raw_to, &state)?;
    let kind = match field("type")? {
        Some(raw) => {
            MessageKind::parse_sendable(&raw).map_err(|e| ApiError::invalid("type", e.to_string()))?
        }
        None => MessageKind::Text,
    };
    let request = SendRequest::build(
        instance,
        to,
        kind,
        field("message")?,
        field("mediaUrl")?,
        field("caption")?,
    )?;
    accept(&state, request, key).await
}

/// A field of the body, else of its `customData` (GHL's standard Webhook
/// action puts the user's own fields there).
fn first_text(
    body: &JsonBody,
    custom: Option<&JsonBody>,
    name: &'static str,
) -> Result<Option<String>, ApiError> {
    match body.text(name)? {
        Some(found) => Ok(Some(found)),
        None => custom.map(|c| c.text(name)).transpose().map(Option::flatten),
    }
}

/// The instance to send through: named in the body or its `customData`;
/// else the GHL location's route (the contact's own instance, or the
/// location's default); else the gateway's only instance, if it has one.
async fn pick_instance(
    state: &AppState,
    body: &JsonBody,
    custom: Option<&JsonBody>,
) -> Result<InstanceId, ApiError> {
    if let Some(raw) = first_text(body, custom, "instanceId")? {
        return parse_instance_id(&raw);
    }
    let location = location_of(body, custom)?;
    if let Some(location_id) = &location {
        if let Some(routed) = routed_instance(state, body, custom, location_id).await? {
            return Ok(routed);
        }
    }
    let mut all = state.stores.instances.instances().await?;
    match (all.len(), location) {
        (1, _) => Ok(all.remove(0).id),
        (_, Some(location_id)) => Err(ApiError {
            field: Some("locationId"),
            ..ApiError::not_found(format!(
                "location {location_id} has no instance: name instanceId, or route the location with \
                 PUT /api/ghl/locations/{location_id}"
            ))
        }),
        (_, None) => Err(ApiError::missing("instanceId")),
    }
}

/// `locationId`, or GHL's `location: {id}`.
fn location_of(body: &JsonBody, custom: Option<&JsonBody>) -> Result<Option<String>, ApiError> {
    let nested = body
        .object("location")?
        .map(|l| l.text("id"))
        .transpose()?
        .flatten();
    match first_text(body, custom, "locationId")?.or(nested) {
        Some(raw) => parse_ghl_id("locationId", &raw).map(Some),
        None => Ok(None),
    }
}

/// The contact's own instance, else the location's default; None when the
/// location has no route.
async fn routed_instance(
    state: &AppState,
    body: &JsonBody,
    custom: Option<&JsonBody>,
    location_id: &str,
) -> Result<Option<InstanceId>, ApiError> {
    let contact = match first_text(body, custom, "contact_id")? {
        Some(found) => Some(found),
        None => first_text(body, custom, "contactId")?,
    };
    if let Some(contact) = contact {
        if let Some(id) = state
            .stores
            .routes
            .contact_instance(location_id, &contact)
            .await?
        {
            return Ok(Some(id));
        }
    }
    Ok(state
        .stores
        .routes
        .location(location_id)
        .await?
        .map(|route| route.default_instance_id))
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
