//! Linking and steering a WhatsApp session: the QR code (JSON data URL or
//! PNG), the current QR without starting one, pairing by phone-number code,
//! forced reconnect, and clear (drop the session, start a fresh QR).

use super::body::{json_body, JsonBody};
use super::common::{control, find_instance, ok, with_state, ApiResult};
use super::error::ApiError;
use super::state::AppState;
use crate::cluster::control::Control;
use crate::domain::Phone;
use crate::wa::actor::InstanceView;
use crate::wa::InstanceStatus;
use serde::Deserialize;
use serde_json::json;
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::{Filter, Reply};

#[derive(Deserialize)]
struct QrQuery {
    format: Option<String>,
}

pub fn routes(state: AppState) -> BoxedFilter<(warp::reply::Response,)> {
    let limit = state.settings.raw.max_body_bytes;
    let qr = warp::path!("wa" / "qr" / String)
        .and(warp::get())
        .and(warp::query::<QrQuery>())
        .and(with_state(state.clone()))
        .and_then(qr);
    let qr_check = warp::path!("wa" / "qr-check" / String)
        .and(warp::get())
        .and(with_state(state.clone()))
        .and_then(|id, state| async move { qr_check(id, state).await.map(Reply::into_response) });
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
        .and(with_state(state))
        .and_then(|id, state| async move { clear(id, state).await.map(Reply::into_response) });
    qr.or(qr_check)
        .unify()
        .or(pair)
        .unify()
        .or(reconnect)
        .unify()
        .or(clear)
        .unify()
        .boxed()
}

/// The QR to scan. An instance that is down and not linked starts a new
/// pairing, so asking for the QR is enough to get one.
async fn qr(
    raw_id: String,
    query: QrQuery,
    state: AppState,
) -> Result<warp::reply::Response, warp::Rejection> {
    let record = find_instance(&state, &raw_id).await?;
    let view = state.fleet.view(&record).await.view;
    if view.status == InstanceStatus::Offline && view.phone.is_none() {
        control(&state, &record, Control::Reconnect).await?;
    }
    let view = state.fleet.view(&record).await.view;
    if query.format.as_deref() == Some("png") {
        let code = view.qr.as_deref().ok_or_else(|| no_qr_error(&view))?;
        let png = crate::support::qr::png(code).map_err(|e| ApiError::unavailable(e.to_string()))?;
        let reply = warp::reply::with_header(png, "content-type", "image/png");
        return Ok(warp::reply::with_header(reply, "cache-control", "no-store").into_response());
    }
    let data_url = view
        .qr
        .as_deref()
        .map(crate::support::qr::data_url)
        .transpose()
        .map_err(|e| ApiError::unavailable(e.to_string()))?;
    Ok(ok(json!({
        "instanceId": record.id,
        "status": view.status,
        "qr": data_url,
        "code": view.qr,
        "expiresAt": view.qr_expires_at_ms.map(crate::support::clock::rfc3339),
        "pairCode": view.pair_code,
    }))?
    .into_response())
}

fn no_qr_error(view: &InstanceView) -> ApiError {
    match view.status {
        InstanceStatus::Online => ApiError::conflict(
            "already_linked",
            "the instance is linked and online; no QR is needed",
        ),
        status => ApiError::new(
            StatusCode::NOT_FOUND,
            "no_qr",
            format!(
                "no QR code is ready (the instance is {}); try again in a moment",
                status.as_str()
            ),
        ),
    }
}

/// The current QR if there is one; never starts a pairing.
async fn qr_check(raw_id: String, state: AppState) -> ApiResult {
    let record = find_instance(&state, &raw_id).await?;
    let view = state.fleet.view(&record).await.view;
    let Some(code) = view.qr.as_deref() else {
        let body = json!({ "success": false, "instanceId": record.id, "status": view.status, "qr": null });
        return Ok(warp::reply::with_status(warp::reply::json(&body), StatusCode::OK));
    };
    let data_url = crate::support::qr::data_url(code).map_err(|e| ApiError::unavailable(e.to_string()))?;
    ok(json!({ "instanceId": record.id, "status": view.status, "qr": data_url, "code": code }))
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

async fn reconnect(raw_id: String, state: AppState) -> ApiResult {
    let record = find_instance(&state, &raw_id).await?;
    control(&state, &record, Control::Reconnect).await?;
    ok(json!({ "instanceId": record.id, "message": "reconnecting with a fresh client" }))
}

async fn clear(raw_id: String, state: AppState) -> ApiResult {
    let record = find_instance(&state, &raw_id).await?;
    control(&state, &record, Control::Clear).await?;
    let status = state.fleet.view(&record).await.view.status;
    ok(json!({ "instanceId": record.id, "status": status, "message": "session cleared; scan the new QR" }))
}
