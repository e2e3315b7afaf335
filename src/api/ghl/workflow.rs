//! GHL workflow wiring: `POST /api/ghl/outbound` turns a workflow webhook
//! into a queued send (the gateway's own shape, the original's older
//! `{locationId, contactId, phone, message}`, and GHL's standard Webhook
//! action body with `customData`), and `/api/ghl/inbound-test` records what
//! it receives, for checking the wiring.

use crate::api::body::{json_body, JsonBody};
use crate::api::common::{ok, parse_instance_id, with_state, ApiResult};
use crate::api::error::ApiError;
use crate::api::ghl::locations::{instance_for_location, only_instance, parse_ghl_id};
use crate::api::send::{accept, idempotency_key, parse_recipient, request_id, Caller, SendRequest};
use crate::api::send_details::SendFields;
use crate::api::state::AppState;
use crate::domain::InstanceId;
use serde_json::json;
use warp::filters::BoxedFilter;
use warp::{Filter, Reply};

pub fn routes(state: AppState) -> BoxedFilter<(impl Reply,)> {
    let limit = state.settings.http.max_body_bytes;
    let outbound = warp::path!("ghl" / "outbound")
        .and(warp::post())
        .and(with_state(state.clone()))
        .and(idempotency_key())
        .and(request_id())
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

async fn outbound(
    state: AppState,
    key: Option<String>,
    request_id: Option<String>,
    body: JsonBody,
) -> ApiResult {
    let custom = body.object("customData")?;
    let fields = GhlFields {
        body: &body,
        custom: custom.as_ref(),
    };
    let raw_to = match fields.text("to")? {
        Some(to) => to,
        None => fields.text("phone")?.ok_or_else(|| ApiError::missing("to"))?,
    };
    let to = parse_recipient("to", &raw_to, &state)?;
    let instance = pick_instance(&state, &body, custom.as_ref(), to.as_str()).await?;
    let request = SendRequest::read(&fields, instance, to, &state)?;
    accept(
        &state,
        SendRequest {
            request_id,
            ..request
        },
        Caller::ApiKey,
        key,
    )
    .await
}

/// A workflow's fields: the body's, else its `customData`'s (GHL's
/// standard Webhook action puts the user's own fields there).
struct GhlFields<'a> {
    body: &'a JsonBody,
    custom: Option<&'a JsonBody>,
}

impl SendFields for GhlFields<'_> {
    fn text(&self, name: &'static str) -> Result<Option<String>, ApiError> {
        first_text(self.body, self.custom, name)
    }

    fn number(&self, name: &'static str) -> Result<Option<f64>, ApiError> {
        match self.body.number(name)? {
            Some(found) => Ok(Some(found)),
            None => self
                .custom
                .map(|c| c.number(name))
                .transpose()
                .map(Option::flatten),
        }
    }
}

/// A field of the body, else of its `customData`.
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
/// else the GHL location's route (see [`instance_for_location`]); else the
/// gateway's only instance, if it has one.
async fn pick_instance(
    state: &AppState,
    body: &JsonBody,
    custom: Option<&JsonBody>,
    phone: &str,
) -> Result<InstanceId, ApiError> {
    if let Some(raw) = first_text(body, custom, "instanceId")? {
        return parse_instance_id(&raw);
    }
    if let Some(location_id) = location_of(body, custom)? {
        let contact = match first_text(body, custom, "contact_id")? {
            Some(found) => Some(found),
            None => first_text(body, custom, "contactId")?,
        };
        return instance_for_location(state, &location_id, contact.as_deref(), Some(phone)).await;
    }
    only_instance(state)
        .await?
        .ok_or_else(|| ApiError::missing("instanceId"))
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

async fn record_test(state: AppState, headers: warp::http::HeaderMap, body: JsonBody) -> ApiResult {
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let entry = json!({
        "receivedAt": crate::support::clock::rfc3339(crate::support::clock::now_ms()),
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
