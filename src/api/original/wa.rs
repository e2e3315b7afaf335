//! Linking and steering a WhatsApp session at the original gateway's
//! `/api/wa/*` paths, in its words (see `words`): the QR (`qr`), the
//! ids its UI offers, pairing by phone-number code, forced reconnect, and
//! clear (drop the session, start a fresh QR).

use super::qr;
use crate::api::body::{json_body, JsonBody};
use crate::api::common::{control, find_instance, ok, with_state, ApiResult};
use crate::api::error::ApiError;
use crate::api::original::words::{self, merged, status_fields};
use crate::api::state::AppState;
use crate::cluster::control::Control;
use crate::domain::Phone;
use crate::wa::InstanceStatus;
use serde_json::json;
use warp::filters::BoxedFilter;
use warp::{Filter, Reply};

pub fn routes(state: AppState) -> BoxedFilter<(warp::reply::Response,)> {
    let limit = state.settings.http.max_body_bytes;
    let pair = warp::path!("wa" / "pair-code" / String)
        .and(warp::post())
        .and(with_state(state.clone()))
        .and(json_body(limit))
        .and_then(
            |id, state, body| async move { pair_code(id, state, body).await.map(Reply::into_response) },
        );
    let reconnect = warp::path!("wa" / "reconnect" / String)
        .and(warp::post())
        .and(with_state(state.clone()))
        .and_then(|id, state| async move { reconnect(id, state).await.map(Reply::into_response) });
    let clear = warp::path!("wa" / "clear" / String)
        .and(warp::post())
        .and(with_state(state.clone()))
        .and_then(|id, state| async move { clear(id, state).await.map(Reply::into_response) });
    qr::routes(state)
        .or(pair)
        .unify()
        .or(reconnect)
        .unify()
        .or(clear)
        .unify()
        .boxed()
}

async fn pair_code(raw_id: String, state: AppState, body: JsonBody) -> ApiResult {
    let record = find_instance(&state, &raw_id).await?;
    let raw_phone = body.required("phone")?;
    let phone = Phone::parse(&raw_phone, state.settings.default_country)
        .map_err(|e| ApiError::invalid("phone", e.to_string()))?;
    if state.fleet.view(&record).await.view.status == InstanceStatus::Online {
        return Err(ApiError::conflict("already_linked", "the instance is already linked").into());
    }
    let code = control(&state, &record, Control::PairCode { phone }).await?;
    ok(json!({ "instanceId": record.id, "pairCode": code }))
}

/// The original answer: `previousStatus`, `currentStatus` and `timestamp`
/// (`src/api/qr.controller.ts`), in its words.
async fn reconnect(raw_id: String, state: AppState) -> ApiResult {
    let record = find_instance(&state, &raw_id).await?;
    let before = state.fleet.view(&record).await.view.status;
    control(&state, &record, Control::Reconnect).await?;
    let after = state.fleet.view(&record).await.view.status;
    ok(json!({
        "instanceId": record.id,
        "message": "reconnecting with a fresh client",
        "previousStatus": words::status_word(before),
        "currentStatus": words::status_word(after),
        "detailedStatus": after,
        "timestamp": crate::support::clock::rfc3339(crate::support::clock::now_ms()),
    }))
}

async fn clear(raw_id: String, state: AppState) -> ApiResult {
    let record = find_instance(&state, &raw_id).await?;
    control(&state, &record, Control::Clear).await?;
    let status = state.fleet.view(&record).await.view.status;
    let body = json!({ "instanceId": record.id, "message": "session cleared; scan the new QR" });
    ok(merged(body, status_fields(status)))
}
