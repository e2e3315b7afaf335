//! One instance and how it sends: `GET /api/instances/{id}` (its status
//! with today's sends, cap and next send time) and its sending settings
//! at `GET/PUT /api/instances/{id}/settings`. A PUT changes only the
//! fields it names and takes effect with the instance's next send.

use super::body::{json_body, JsonBody};
use super::common::{find_instance, ok, with_state, ApiResult};
use super::error::ApiError;
use super::instances::{depth_of, item};
use super::state::AppState;
use crate::send::SendingPolicy;
use crate::store::InstanceRecord;
use crate::support::clock::now_ms;
use serde_json::json;
use warp::filters::BoxedFilter;
use warp::{Filter, Reply};

pub fn routes(state: AppState) -> BoxedFilter<(impl Reply,)> {
    let limit = state.settings.http.max_body_bytes;
    let one = warp::path!("instances" / String)
        .and(warp::get())
        .and(with_state(state.clone()))
        .and_then(instance);
    let read = warp::path!("instances" / String / "settings")
        .and(warp::get())
        .and(with_state(state.clone()))
        .and_then(settings);
    let change = warp::path!("instances" / String / "settings")
        .and(warp::put())
        .and(with_state(state))
        .and(json_body(limit))
        .and_then(change_settings);
    one.or(read).or(change).boxed()
}

fn policy(state: &AppState) -> SendingPolicy {
    SendingPolicy::from_config(&state.settings.send.defaults)
}

async fn instance(raw_id: String, state: AppState) -> ApiResult {
    let record = find_instance(&state, &raw_id).await?;
    let shown = state.fleet.view(&record).await;
    let depth = depth_of(&state, &record).await?;
    let mut body = item(&record, &shown, depth);
    body["sending"] = outlook(&state, &record).await?;
    ok(json!({ "instance": body }))
}

async fn outlook(state: &AppState, record: &InstanceRecord) -> Result<serde_json::Value, ApiError> {
    let outlook = policy(state)
        .outlook(&state.stores.sending, &state.stores.queue, record, now_ms())
        .await?;
    Ok(serde_json::to_value(outlook).expect("plain data serialises"))
}

async fn settings(raw_id: String, state: AppState) -> ApiResult {
    let record = find_instance(&state, &raw_id).await?;
    let settings = policy(&state)
        .settings(state.stores.sending.as_ref(), &record.id)
        .await
        .map_err(ApiError::from)?;
    ok(json!({ "instanceId": record.id, "settings": settings }))
}

async fn change_settings(raw_id: String, state: AppState, body: JsonBody) -> ApiResult {
    let record = find_instance(&state, &raw_id).await?;
    let current = policy(&state)
        .settings(state.stores.sending.as_ref(), &record.id)
        .await
        .map_err(ApiError::from)?;
    let changed = current
        .changed_by(&body.into_value())
        .map_err(|e| ApiError::invalid(e.field, e.message))?;
    let json = serde_json::to_string(&changed).expect("plain data serialises");
    state
        .stores
        .sending
        .save_sending_settings(&record.id, &json)
        .await
        .map_err(ApiError::from)?;
    state.wakeups.wake(&record.id);
    ok(json!({ "instanceId": record.id, "settings": changed }))
}
