//! Health routes, open without the API key: liveness (`/healthz`, and the
//! original gateway's `/api/health`) and readiness (`/readyz`: the store
//! answers).

use super::common::with_state;
use super::state::AppState;
use serde_json::json;
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
    let store = state.stores.instances.instances().await;
    let (status, store_check) = match &store {
        Ok(_) => (StatusCode::OK, json!({ "ok": true })),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            json!({ "ok": false, "error": e.to_string() }),
        ),
    };
    let body = json!({
        "success": status == StatusCode::OK,
        "ready": status == StatusCode::OK,
        "checks": { "store": store_check },
    });
    Ok(warp::reply::with_status(warp::reply::json(&body), status))
}
