//! Small pieces every resource uses: passing state into handlers, finding
//! an instance by the id in a path, and the success envelope.

use super::error::ApiError;
use super::state::AppState;
use crate::cluster::control::Control;
use crate::domain::InstanceId;
use crate::store::InstanceRecord;
use serde_json::{json, Value};
use std::convert::Infallible;
use warp::http::StatusCode;
use warp::reply::{Json, WithStatus};
use warp::Filter;

pub type Reply = WithStatus<Json>;
pub type ApiResult = Result<Reply, warp::Rejection>;

pub fn with_state(state: AppState) -> impl Filter<Extract = (AppState,), Error = Infallible> + Clone {
    warp::any().map(move || state.clone())
}

/// `{"success": true, ...fields}` with the given status.
pub fn success(status: StatusCode, fields: Value) -> Reply {
    let mut body = json!({ "success": true });
    if let (Some(out), Value::Object(extra)) = (body.as_object_mut(), fields) {
        out.extend(extra);
    }
    warp::reply::with_status(warp::reply::json(&body), status)
}

pub fn ok(fields: Value) -> ApiResult {
    Ok(success(StatusCode::OK, fields))
}

/// An instance that exists, by the id in a path.
pub async fn find_instance(state: &AppState, raw_id: &str) -> Result<InstanceRecord, ApiError> {
    let id = InstanceId::parse(raw_id).map_err(|_| ApiError::unknown_instance(raw_id))?;
    state
        .stores
        .instances
        .instance(&id)
        .await?
        .ok_or_else(|| ApiError::unknown_instance(raw_id))
}

/// Carries a request out on the instance's session, wherever it runs.
pub async fn control(
    state: &AppState,
    record: &InstanceRecord,
    request: Control,
) -> Result<Option<String>, ApiError> {
    state
        .fleet
        .control(record, request)
        .await
        .map_err(ApiError::unavailable)
}

/// Parses an instance id from a request body field.
pub fn parse_instance_id(raw: &str) -> Result<InstanceId, ApiError> {
    InstanceId::parse(raw).map_err(|e| ApiError::invalid("instanceId", e.to_string()))
}
