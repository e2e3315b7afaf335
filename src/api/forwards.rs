//! The forwarding outbox as operators see it: list forwards by status
//! (dead letters above all) and send a forward again.

use super::common::{ok, with_state, ApiResult};
use super::error::ApiError;
use super::state::AppState;
use crate::store::{ForwardRecord, ForwardStatus, Requeue};
use crate::support::clock::rfc3339;
use serde::Deserialize;
use serde_json::{json, Value};
use warp::filters::BoxedFilter;
use warp::{Filter, Reply};

#[derive(Deserialize)]
struct ListParams {
    status: Option<String>,
    limit: Option<usize>,
}

pub fn routes(state: AppState) -> BoxedFilter<(impl Reply,)> {
    let list = warp::path!("forwards")
        .and(warp::get())
        .and(warp::query::<ListParams>())
        .and(with_state(state.clone()))
        .and_then(list);
    let retry = warp::path!("forwards" / String / "retry")
        .and(warp::post())
        .and(with_state(state))
        .and_then(retry);
    list.or(retry).boxed()
}

async fn list(params: ListParams, state: AppState) -> ApiResult {
    let status =
        match params.status.as_deref() {
            None | Some("all") => None,
            Some(raw) => Some(ForwardStatus::parse(raw).ok_or_else(|| {
                ApiError::invalid("status", "status must be pending, delivered, dead or all")
            })?),
        };
    let limit = params.limit.unwrap_or(100).clamp(1, 1000);
    let found = state
        .stores
        .outbox
        .forwards(status, limit)
        .await
        .map_err(ApiError::from)?;
    let forwards: Vec<Value> = found.iter().map(item).collect();
    ok(json!({ "count": forwards.len(), "forwards": forwards }))
}

/// Sends a forward again now: a dead letter, a delivered one, or one
/// waiting for its next retry. One a forwarder has claimed is refused (409):
/// a try may be under way, and a second would reach GHL twice.
async fn retry(id: String, state: AppState) -> ApiResult {
    let requeued = state
        .stores
        .outbox
        .requeue_forward(&id)
        .await
        .map_err(ApiError::from)?;
    match requeued {
        Requeue::Requeued => {
            state.forwarder_wakeup.notify_one();
            ok(json!({ "id": id, "status": "pending" }))
        }
        Requeue::Claimed { claimed_until_ms } => Err(ApiError::conflict(
            "forward_in_flight",
            format!(
                "forward {id:?} is being tried; a failed try is retried by itself, or ask again after {}",
                rfc3339(claimed_until_ms)
            ),
        )
        .into()),
        Requeue::Unknown => Err(ApiError::not_found(format!("there is no forward {id:?}")).into()),
    }
}

fn item(f: &ForwardRecord) -> Value {
    json!({
        "id": f.id,
        "instanceId": f.instance_id,
        "messageId": f.message_id,
        "target": f.target,
        "status": f.status,
        "attempts": f.attempts,
        "nextAttemptAt": rfc3339(f.next_attempt_at_ms),
        "lastError": f.last_error,
        "createdAt": rfc3339(f.created_at_ms),
        "payload": serde_json::from_str::<Value>(&f.body).unwrap_or(Value::Null),
    })
}
