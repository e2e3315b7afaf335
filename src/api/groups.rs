//! `GET /api/instances/{id}/groups`: the WhatsApp groups an instance's
//! number is in, `[{id, subject, size}]`, asked through the instance's own
//! session wherever it runs (the answer travels as JSON text, as every
//! session request's does). A group's `id` is what `to` takes to send to it.

use super::common::{control, find_instance, ok, with_state, ApiResult};
use super::error::ApiError;
use super::state::AppState;
use crate::cluster::control::Control;
use crate::wa::GroupSummary;
use serde_json::json;
use warp::filters::BoxedFilter;
use warp::{Filter, Reply};

pub fn routes(state: AppState) -> BoxedFilter<(impl Reply,)> {
    warp::path!("instances" / String / "groups")
        .and(warp::get())
        .and(with_state(state))
        .and_then(list)
        .boxed()
}

async fn list(raw_id: String, state: AppState) -> ApiResult {
    let record = find_instance(&state, &raw_id).await?;
    let answer = control(&state, &record, Control::Groups)
        .await?
        .unwrap_or_default();
    let groups: Vec<GroupSummary> = serde_json::from_str(&answer)
        .map_err(|e| ApiError::unavailable(format!("the instance's session answered no group list: {e}")))?;
    ok(json!({ "instanceId": record.id, "count": groups.len(), "groups": groups }))
}
