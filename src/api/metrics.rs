//! `GET /metrics`: the Prometheus text format. Open unless METRICS_TOKEN is
//! set; then it needs `Authorization: Bearer <token>`. The gauges (instances
//! by status, queue depth) are read fresh from the sessions and the store
//! on every scrape; the counters are counted where things happen.

use super::auth::require_secret;
use super::common::with_state;
use super::error::ApiError;
use super::state::AppState;
use crate::wa::InstanceStatus;
use std::sync::Arc;
use warp::filters::BoxedFilter;
use warp::{Filter, Reply};

pub fn routes(state: AppState) -> BoxedFilter<(warp::reply::Response,)> {
    let route = warp::path!("metrics").and(warp::get());
    let guarded = match state.settings.http.metrics_token.clone() {
        Some(token) => route
            .and(require_secret(Arc::from(token.expose().trim()), "metrics token"))
            .boxed(),
        None => route.boxed(),
    };
    guarded
        .and(with_state(state))
        .and_then(scrape)
        .map(Reply::into_response)
        .boxed()
}

async fn scrape(state: AppState) -> Result<impl Reply, warp::Rejection> {
    let records = state.stores.instances.instances().await.map_err(ApiError::from)?;
    state.metrics.set_instances(records.iter().map(|r| {
        state
            .sessions
            .get(&r.id)
            .map(|h| h.view().status)
            .unwrap_or(InstanceStatus::Offline)
    }));
    let depths = state.stores.queue.queue_depths().await.map_err(ApiError::from)?;
    state.metrics.set_queue_depths(&depths);
    Ok(warp::reply::with_header(
        state.metrics.render(),
        "content-type",
        prometheus::TEXT_FORMAT,
    ))
}
