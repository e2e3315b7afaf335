//! Health routes, open without the API key: liveness (`/healthz`, and the
//! original gateway's `/api/health`) and readiness (`/readyz`: the store
//! answers — Redis when configured — and its file has shown no damage, the
//! embedded store's disk has room
//! for writes, the forwarder runs, every instance's actor and sender run),
//! with a JSON detail of each check and 503 when one fails.

use super::common::with_state;
use super::state::AppState;
use crate::config::Role;
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
        Ok(records) => (damage_check(&state), sessions_check(&state, &records)),
        Err(e) => (
            json!({ "ok": false, "error": e.to_string() }),
            json!({ "ok": false, "error": "unknown while the store does not answer" }),
        ),
    };
    let disk = disk_check(&state).await;
    let forwarder = forwarder_check(&state);
    let checks = [&store, &disk, &forwarder, &sessions];
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
            "disk": disk,
            "forwarder": forwarder,
            "sessions": sessions,
            "redis": redis_check(&state, &store),
        },
    });
    Ok(warp::reply::with_status(warp::reply::json(&body), status))
}

/// The store answers; the embedded one's file has shown no damage.
fn damage_check(state: &AppState) -> Value {
    match state.stores.disk.as_ref().and_then(|disk| disk.damage()) {
        None => json!({ "ok": true }),
        Some(error) => json!({ "ok": false, "state": "damaged", "error": error }),
    }
}

/// When processes share Redis, the store is Redis: its check is Redis's.
fn redis_check(state: &AppState, store: &Value) -> Value {
    if state.fleet.is_shared() {
        json!({ "ok": store["ok"], "configured": true })
    } else {
        json!({ "ok": true, "configured": false })
    }
}

/// The embedded store's writes find room on the disk (Redis has no disk
/// of ours to watch).
async fn disk_check(state: &AppState) -> Value {
    let Some(disk) = &state.stores.disk else {
        return json!({ "ok": true, "state": "not used: the store is Redis" });
    };
    match disk.write_problem().await {
        None => json!({ "ok": true, "state": "writable" }),
        Some(error) => json!({ "ok": false, "state": "full", "error": error }),
    }
}

/// The forwarder task runs (or has nothing to do: no GHL_INBOUND_URL, or
/// this process only serves the API).
fn forwarder_check(state: &AppState) -> Value {
    if state.settings.redis.role == Role::Api {
        return json!({ "ok": true, "state": "not run by an api process" });
    }
    if state.settings.forward.inbound_url.is_none() {
        return json!({ "ok": true, "state": "not configured" });
    }
    let running = state.forwarder_alive.is_running();
    json!({ "ok": running, "state": if running { "running" } else { "stopped" } })
}

/// Every instance this process should run has a live session actor and
/// sender: all of them when embedded; with Redis, those it holds (the
/// others run in other processes).
fn sessions_check(state: &AppState, records: &[crate::store::InstanceRecord]) -> Value {
    let shared = state.fleet.is_shared();
    let mine: Vec<&crate::store::InstanceRecord> = records
        .iter()
        .filter(|r| !shared || state.sessions.get(&r.id).is_some())
        .collect();
    let stopped: Vec<&str> = mine
        .iter()
        .filter(|r| !state.sessions.is_running(&r.id))
        .map(|r| r.id.as_str())
        .collect();
    json!({
        "ok": stopped.is_empty(),
        "instances": mine.len(),
        "running": mine.len() - stopped.len(),
        "stopped": stopped,
    })
}
