//! Instances: create (link a new number), list, status, log out, delete.
//! Served at `/api/instances` and at the original gateway's `/api/wa/...`
//! paths with the same meaning; those answer in its words (`original::words`).

use super::body::{json_body, JsonBody};
use super::common::{control, find_instance, ok, parse_instance_id, success, with_state, ApiResult};
use super::error::ApiError;
use super::state::AppState;
use crate::api::original::words::{merged, status_fields};
use crate::cluster::control::Control;
use crate::cluster::FleetView;
use crate::domain::InstanceId;
use crate::store::InstanceRecord;
use crate::support::clock::{now_ms, rfc3339};
use serde_json::{json, Value};
use std::collections::HashMap;
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::{Filter, Reply};

pub fn routes(state: AppState) -> BoxedFilter<(impl Reply,)> {
    let limit = state.settings.http.max_body_bytes;
    let collection = warp::path("instances")
        .or(warp::path("wa").and(warp::path("instances")))
        .unify();
    let create = collection
        .and(warp::path::end())
        .and(warp::post())
        .and(with_state(state.clone()))
        .and(json_body(limit))
        .and_then(create);
    let list = warp::path("instances")
        .and(warp::path::end())
        .and(warp::get())
        .and(with_state(state.clone()))
        .and_then(|state| list_where(state, |_| true, Dialect::Wagate));
    let old_list = warp::path!("wa" / "instances")
        .and(warp::get())
        .and(with_state(state.clone()))
        .and_then(|state| list_where(state, |_| true, Dialect::Original));
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
    create
        .or(list)
        .or(old_list)
        .or(delete)
        .or(status)
        .or(logout)
        .boxed()
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
    if force_new && !created {
        control(&state, &record, Control::Clear).await?;
        record.phone = None;
    }
    let shown = state.fleet.view(&record).await;
    let depth = depth_of(&state, &record).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(success(
        status,
        json!({ "created": created, "instance": item(&record, &shown, depth) }),
    ))
}

/// Which words an answer speaks: wagate's, or the original gateway's at
/// its own paths.
#[derive(Debug, Clone, Copy)]
pub enum Dialect {
    Wagate,
    Original,
}

/// The instances that `keep` lets through (a panel link sees its own only).
pub(super) async fn list_where(
    state: AppState,
    keep: impl Fn(&InstanceId) -> bool,
    dialect: Dialect,
) -> ApiResult {
    let mut records = state.stores.instances.instances().await.map_err(ApiError::from)?;
    records.retain(|r| keep(&r.id));
    let depths: HashMap<_, _> = state
        .stores
        .queue
        .queue_depths()
        .await
        .map_err(ApiError::from)?
        .into_iter()
        .collect();
    let views = futures::future::join_all(records.iter().map(|r| state.fleet.view(r))).await;
    let items: Vec<Value> = records
        .iter()
        .zip(views)
        .map(|(r, shown)| {
            let item = item(r, &shown, depths.get(&r.id).copied().unwrap_or(0));
            match dialect {
                Dialect::Wagate => item,
                Dialect::Original => merged(item, status_fields(shown.view.status)),
            }
        })
        .collect();
    ok(json!({ "count": items.len(), "instances": items }))
}

async fn status(raw_id: String, state: AppState) -> ApiResult {
    let record = find_instance(&state, &raw_id).await?;
    let shown = state.fleet.view(&record).await;
    let body = json!({
        "instanceId": record.id,
        "connectedNumber": shown.view.phone,
        "lastError": shown.view.last_error,
        "owner": shown.owner,
    });
    ok(merged(body, status_fields(shown.view.status)))
}

async fn logout(raw_id: String, state: AppState) -> ApiResult {
    let record = find_instance(&state, &raw_id).await?;
    control(&state, &record, Control::Logout).await?;
    let shown = state.fleet.view(&record).await;
    let body = json!({ "instanceId": record.id, "message": format!("{} logged out", record.id) });
    ok(merged(body, status_fields(shown.view.status)))
}

async fn delete(raw_id: String, state: AppState) -> ApiResult {
    let record = find_instance(&state, &raw_id).await?;
    if state.fleet.view(&record).await.view.phone.is_some() {
        control(&state, &record, Control::Logout).await?;
    }
    state
        .stores
        .instances
        .remove_instance(&record.id)
        .await
        .map_err(ApiError::from)?;
    state.fleet.remove(&record).await;
    state
        .stores
        .queue
        .fail_queued(&record.id, "instance deleted")
        .await
        .map_err(ApiError::from)?;
    let message = format!("instance {} deleted", record.id);
    ok(json!({ "instanceId": record.id, "deleted": true, "message": message }))
}

pub(super) async fn depth_of(state: &AppState, record: &InstanceRecord) -> Result<u64, ApiError> {
    let depths = state.stores.queue.queue_depths().await?;
    Ok(depths
        .into_iter()
        .find(|(id, _)| *id == record.id)
        .map_or(0, |(_, n)| n))
}

/// One instance as lists show it (the original gateway's keys, and more).
pub fn item(record: &InstanceRecord, shown: &FleetView, queue_depth: u64) -> Value {
    let view = &shown.view;
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
        "owner": shown.owner,
    })
}
