//! The QR routes of the original gateway (`src/api/qr.controller.ts`):
//! `GET /api/wa/qr/:id` creates the instance on first call (within
//! COMPAT_MAX_INSTANCES, as its UI has no other way to create one), starts
//! a pairing, and answers the raw QR text in `qr` (its UI draws the code
//! from it) with wagate's PNG data URL beside it in `qrImage`;
//! `?format=png` answers the image itself. `qr-check` shows the current QR
//! without starting anything, and `instances/available` lists the ids the
//! original UI may still create. `code` (the raw text again) is wagate's
//! earlier name for it, kept for its own clients.

use crate::api::common::{control, find_instance, ok, success, with_state, ApiResult};
use crate::api::error::ApiError;
use crate::api::original::words::{self, merged, status_fields};
use crate::api::state::AppState;
use crate::cluster::control::Control;
use crate::domain::InstanceId;
use crate::store::InstanceRecord;
use crate::support::clock::{now_ms, rfc3339};
use crate::wa::actor::InstanceView;
use crate::wa::InstanceStatus;
use serde::Deserialize;
use serde_json::{json, Value};
use std::time::Duration;
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::{Filter, Reply};

/// How long the QR route waits for a fresh pairing's first code (the
/// original waited up to 15 s; its UI polls `qr-check` when none came).
const QR_WAIT: Duration = Duration::from_secs(5);
const QR_POLL: Duration = Duration::from_millis(100);

#[derive(Deserialize)]
struct QrQuery {
    format: Option<String>,
}

pub fn routes(state: AppState) -> BoxedFilter<(warp::reply::Response,)> {
    let qr = warp::path!("wa" / "qr" / String)
        .and(warp::get())
        .and(warp::query::<QrQuery>())
        .and(with_state(state.clone()))
        .and_then(qr);
    let qr_check = warp::path!("wa" / "qr-check" / String)
        .and(warp::get())
        .and(with_state(state.clone()))
        .and_then(|id, state| async move { qr_check(id, state).await.map(Reply::into_response) });
    let available = warp::path!("wa" / "instances" / "available")
        .and(warp::get())
        .and(with_state(state))
        .and_then(|state| async move { available(state).await.map(Reply::into_response) });
    qr.or(qr_check).unify().or(available).unify().boxed()
}

async fn qr(
    raw_id: String,
    query: QrQuery,
    state: AppState,
) -> Result<warp::reply::Response, warp::Rejection> {
    let record = find_or_create(&state, &raw_id).await?;
    let view = pairing_view(&state, &record).await?;
    if query.format.as_deref() == Some("png") {
        let code = view.qr.as_deref().ok_or_else(|| no_qr_error(&view))?;
        let png = crate::support::qr::png(code).map_err(|e| ApiError::unavailable(e.to_string()))?;
        let reply = warp::reply::with_header(png, "content-type", "image/png");
        return Ok(warp::reply::with_header(reply, "cache-control", "no-store").into_response());
    }
    if view.status == InstanceStatus::Online || view.qr.is_some() {
        return Ok(ok(qr_answer(&record, &view, "Scan the QR with WhatsApp")?)?.into_response());
    }
    // Still pairing: success, and the original UI polls qr-check (it does
    // while it reads RECONNECTING). Down for another reason: success false
    // with 200, as the original answered a QR that did not come.
    let pairing = words::status_word(view.status) == "RECONNECTING";
    let message = "the QR is not ready yet; GET /api/wa/qr-check/:id shows it when it is";
    Ok(warp::reply::json(&no_qr_yet(&record, &view, pairing, message)).into_response())
}

/// The original's answer when no QR came (always with 200).
fn no_qr_yet(record: &InstanceRecord, view: &InstanceView, success: bool, message: &str) -> Value {
    let body = json!({ "success": success, "instanceId": record.id, "message": message });
    merged(body, status_fields(view.status))
}

/// The instance, created now if it does not exist and the original limit
/// leaves room for it.
async fn find_or_create(state: &AppState, raw_id: &str) -> Result<InstanceRecord, ApiError> {
    let id = InstanceId::parse(raw_id).map_err(|_| ApiError::unknown_instance(raw_id))?;
    if let Some(record) = state.stores.instances.instance(&id).await? {
        return Ok(record);
    }
    let limit = state.settings.http.compat_max_instances;
    let used = state.stores.instances.instances().await?.len();
    if used >= limit as usize {
        let why = format!(
            "{raw_id} does not exist and {used} instances already do (COMPAT_MAX_INSTANCES is {limit}); delete one or create it with POST /api/instances"
        );
        return Err(ApiError::conflict("instance_limit", why));
    }
    let record = InstanceRecord::new(id, None, now_ms());
    state.stores.instances.save_instance(&record).await?;
    Ok(record)
}

/// The instance's state once a pairing is under way: one that is down and
/// not linked starts one (logged out: from a fresh session), and the first
/// code is waited for a moment.
async fn pairing_view(state: &AppState, record: &InstanceRecord) -> Result<InstanceView, ApiError> {
    let view = state.fleet.view(record).await.view;
    match view.status {
        InstanceStatus::LoggedOut => drop(control(state, record, Control::Clear).await?),
        InstanceStatus::Offline if view.phone.is_none() => {
            drop(control(state, record, Control::Reconnect).await?)
        }
        _ => {}
    }
    let deadline = tokio::time::Instant::now() + QR_WAIT;
    loop {
        let view = state.fleet.view(record).await.view;
        let settled = view.qr.is_some() || view.status == InstanceStatus::Online;
        if settled || tokio::time::Instant::now() >= deadline {
            return Ok(view);
        }
        tokio::time::sleep(QR_POLL).await;
    }
}

/// The original's answer for a QR shown or a number linked, with wagate's
/// fields beside it.
fn qr_answer(record: &InstanceRecord, view: &InstanceView, message: &str) -> Result<Value, ApiError> {
    if view.status == InstanceStatus::Online {
        return Ok(json!({
            "instanceId": record.id,
            "status": words::LINKED_WORD,
            "detailedStatus": view.status,
            "phoneNumber": view.phone,
            "message": "already linked",
        }));
    }
    let image = view
        .qr
        .as_deref()
        .map(crate::support::qr::data_url)
        .transpose()
        .map_err(|e| ApiError::unavailable(e.to_string()))?;
    let body = json!({
        "instanceId": record.id,
        "qr": view.qr,
        "code": view.qr,
        "qrImage": image,
        "message": message,
        "expiresAt": view.qr_expires_at_ms.map(rfc3339),
        "pairCode": view.pair_code,
    });
    Ok(merged(body, status_fields(view.status)))
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

/// The current QR if there is one; never starts a pairing. No QR yet is
/// `success: false` with 200, which the original UI polls through.
async fn qr_check(raw_id: String, state: AppState) -> ApiResult {
    let record = find_instance(&state, &raw_id).await?;
    let view = state.fleet.view(&record).await.view;
    if view.qr.is_some() || view.status == InstanceStatus::Online {
        return ok(qr_answer(&record, &view, "QR ready to scan")?);
    }
    let body = no_qr_yet(&record, &view, false, "no QR yet");
    Ok(warp::reply::with_status(warp::reply::json(&body), StatusCode::OK))
}

/// `{available, total, used}`: the `wa-NN` ids not taken yet, while the
/// limit leaves room.
async fn available(state: AppState) -> ApiResult {
    let limit = state.settings.http.compat_max_instances;
    let taken: Vec<InstanceId> = state
        .stores
        .instances
        .instances()
        .await
        .map_err(ApiError::from)?
        .into_iter()
        .map(|r| r.id)
        .collect();
    let room = taken.len() < limit as usize;
    let free: Vec<String> = words::slot_ids(limit)
        .into_iter()
        .filter(|slot| room && !taken.iter().any(|id| id.as_str() == slot))
        .collect();
    Ok(success(
        StatusCode::OK,
        json!({ "available": free, "total": limit, "used": taken.len() }),
    ))
}
