//! Health routes, open without the API key: liveness (`/healthz`, and the
//! original gateway's `/api/health`) and readiness (`/readyz`: the store
//! answers, the forwarder runs, every instance's actor and sender run),
//! with a JSON detail of each check and 503 when one fails.

use super::common::with_state;
use super::state::AppState;
use serde_json::{json, Value};
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::{Filter, Reply};

pub fn routes(state: AppState) -> BoxedFilter<(impl Reply,)> {
    let alive = warp::path!("healthz")
        .or(warp::path!("api" / "health"))
        .unify()
        .and(warp::get())
        .map(|| {
            warp::reply::json(&json!({
                "success": true,
                "status": "ok",
                "version": env!("CARGO_PKG_VERSION"),
            }))
        });
    let ready = warp::path!("readyz")
        .and(warp::get())
        .and(with_state(state))
        .and_then(ready);
    alive.or(ready).boxed()
}

async fn ready(state: AppState) -> Result<warp::reply::WithStatus<warp::reply::Json>, warp::Rejection> {
    let (store, sessions) = match state.stores.instances.instances().await {
        Ok(records) => (json!({ "ok": true }), sessions_check(&state, &records)),
        Err(e) => (
            json!({ "ok": false, "error": e.to_string() }),
            json!({ "ok": false, "error": "unknown while the store does not answer" }),
        ),
    };
    let forwarder = forwarder_check(&state);
    let checks = [&store, &forwarder, &sessions];
    let ready = checks.iter().all(|c| c["ok"] == true);
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({
        "success": ready,
        "ready": ready,
        "checks": {
            "store": store,
            "forwarder": forwarder,
            "sessions": sessions,
            "redis": { "ok": true, "configured": false },
        },
    });
    Ok(warp::reply::with_status(warp::reply::json(&body), status))
}

/// The forwarder task runs (or has nothing to do: no GHL_INBOUND_URL).
fn forwarder_check(state: &AppState) -> Value {
    if state.settings.raw.ghl_inbound_url.is_none() {
        return json!({ "ok": true, "state": "not configured" });
    }
    let running = state.forwarder_alive.is_running();
    json!({ "ok": running, "state": if running { "running" } else { "stopped" } })
}

/// Every registered instance has a live session actor and sender.
fn sessions_check(state: &AppState, records: &[crate::store::InstanceRecord]) -> Value {
    let stopped: Vec<&str> = records
        .iter()
        .filter(|r| !state.sessions.is_running(&r.id))
        .map(|r| r.id.as_str())
        .collect();
    json!({
        "ok": stopped.is_empty(),
        "instances": records.len(),
        "running": records.len() - stopped.len(),
        "stopped": stopped,
    })
}
