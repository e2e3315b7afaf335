//! Instances: create (link a new number), list, status, log out, delete.
//! Served at `/api/instances` and at the original gateway's `/api/wa/...`
//! paths with the same meaning.

use super::body::{json_body, JsonBody};
use super::common::{find_instance, ok, parse_instance_id, success, with_state, ApiResult};
use super::error::ApiError;
use super::state::AppState;
use crate::clock::{now_ms, rfc3339};
use crate::domain::InstanceId;
use crate::store::InstanceRecord;
use crate::wa::actor::InstanceView;
use serde_json::{json, Value};
use std::collections::HashMap;
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::{Filter, Reply};

pub fn routes(state: AppState) -> BoxedFilter<(impl Reply,)> {
    let limit = state.settings.raw.max_body_bytes;
    let collection = warp::path("instances")
        .or(warp::path("wa").and(warp::path("instances")))
        .unify();
    let create = collection
        .and(warp::path::end())
        .and(warp::post())
        .and(with_state(state.clone()))
        .and(json_body(limit))
        .and_then(create);
    let list = collection
        .and(warp::path::end())
        .and(warp::get())
        .and(with_state(state.clone()))
        .and_then(list);
    let delete = warp::path!("instances" / String)
        .or(warp::path!("wa" / "delete" / String))
        .unify()
        .and(warp::delete())
        .and(with_state(state.clone()))
        .and_then(delete);
    let status = warp::path!("wa" / "status" / String)
        .and(warp::get())
        .and(with_state(state.clone()))
        .and_then(status);
    let logout = warp::path!("wa" / "logout" / String)
        .and(warp::post())
        .and(with_state(state))
        .and_then(logout);
    create.or(list).or(delete).or(status).or(logout).boxed()
}

pub(super) async fn create(state: AppState, body: JsonBody) -> ApiResult {
    let id = parse_instance_id(&body.required("instanceId")?)?;
    let alias = body.text("phoneAlias")?;
    let force_new = body.flag("forceNew")?;
    let existing = state
        .stores
        .instances
        .instance(&id)
        .await
        .map_err(ApiError::from)?;
    let created = existing.is_none();
    let mut record = existing.unwrap_or_else(|| InstanceRecord::new(id.clone(), None, now_ms()));
    if alias.is_some() {
        record.alias = alias;
    }
    state
        .stores
        .instances
        .save_instance(&record)
        .await
        .map_err(ApiError::from)?;
    let handle = state.sessions.start(&id, record.phone.clone());
    if force_new && !created {
        handle
            .clear()
            .await
            .map_err(|e| ApiError::unavailable(e.to_string()))?;
        record.phone = None;
    }
    let depth = depth_of(&state, &record).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(success(
        status,
        json!({ "created": created, "instance": item(&record, &handle.view(), depth) }),
    ))
}

async fn list(state: AppState) -> ApiResult {
    list_where(state, |_| true).await
}

/// The instances that `keep` lets through (a panel link sees its own only).
pub(super) async fn list_where(state: AppState, keep: impl Fn(&InstanceId) -> bool) -> ApiResult {
    let records = state.stores.instances.instances().await.map_err(ApiError::from)?;
    let depths: HashMap<_, _> = state
        .stores
        .queue
        .queue_depths()
        .await
        .map_err(ApiError::from)?
        .into_iter()
        .collect();
    let items: Vec<Value> = records
        .iter()
        .filter(|r| keep(&r.id))
        .map(|r| {
            let view = state.sessions.start(&r.id, r.phone.clone()).view();
            item(r, &view, depths.get(&r.id).copied().unwrap_or(0))
        })
        .collect();
    ok(json!({ "count": items.len(), "instances": items }))
}

async fn status(raw_id: String, state: AppState) -> ApiResult {
    let (record, handle) = find_instance(&state, &raw_id).await?;
    let view = handle.view();
    ok(json!({
        "instanceId": record.id,
        "status": view.status,
        "connectedNumber": view.phone,
        "lastError": view.last_error,
    }))
}

async fn logout(raw_id: String, state: AppState) -> ApiResult {
    let (record, handle) = find_instance(&state, &raw_id).await?;
    handle
        .logout()
        .await
        .map_err(|e| ApiError::unavailable(e.to_string()))?;
    ok(json!({ "instanceId": record.id, "status": handle.view().status, "message": "logged out" }))
}

async fn delete(raw_id: String, state: AppState) -> ApiResult {
    let (record, handle) = find_instance(&state, &raw_id).await?;
    if handle.view().phone.is_some() {
        handle
            .logout()
            .await
            .map_err(|e| ApiError::unavailable(e.to_string()))?;
    }
    state.sessions.remove(&record.id).await;
    state
        .stores
        .queue
        .fail_queued(&record.id, "instance deleted")
        .await
        .map_err(ApiError::from)?;
    state
        .stores
        .instances
        .remove_instance(&record.id)
        .await
        .map_err(ApiError::from)?;
    ok(json!({ "instanceId": record.id, "deleted": true }))
}

async fn depth_of(state: &AppState, record: &InstanceRecord) -> Result<u64, ApiError> {
    let depths = state.stores.queue.queue_depths().await?;
    Ok(depths
        .into_iter()
        .find(|(id, _)| *id == record.id)
        .map_or(0, |(_, n)| n))
}

/// One instance as lists show it (the original gateway's keys, and more).
pub fn item(record: &InstanceRecord, view: &InstanceView, queue_depth: u64) -> Value {
    json!({
        "instanceId": record.id,
        "phoneAlias": record.alias,
        "status": view.status,
        "phone": view.phone.clone().or_else(|| record.phone.clone()),
        "hasQR": view.qr.is_some(),
        "lastConnectedAt": view.last_connected_at_ms.or(record.last_connected_at_ms).map(rfc3339),
        "lastError": view.last_error.clone().or_else(|| record.last_error.clone()),
        "queueDepth": queue_depth,
        "createdAt": rfc3339(record.created_at_ms),
    })
}
