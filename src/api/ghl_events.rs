//! `POST /ghl/webhooks`: the marketplace app's webhook URL. GHL signs each
//! event like the Delivery URL's requests; INSTALL and UNINSTALL keep the
//! stored tokens in step with where the app is installed.

use super::error::ApiError;
use super::ghl_provider::signed_by_ghl;
use super::state::AppState;
use crate::ghl::app_events::{handle, AppEvent};
use crate::ghl::signature::GhlVerifier;
use serde_json::json;
use std::sync::Arc;
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::{Filter, Reply};

pub fn routes(state: AppState, verifier: Arc<GhlVerifier>) -> BoxedFilter<(impl Reply,)> {
    let limit = state.settings.raw.max_body_bytes;
    warp::path!("ghl" / "webhooks")
        .and(warp::any().map(move || state.clone()))
        .and(signed_by_ghl(limit, verifier))
        .and_then(event)
        .boxed()
}

async fn event(state: AppState, raw: bytes::Bytes) -> Result<warp::reply::Json, warp::Rejection> {
    let event: AppEvent = serde_json::from_slice(&raw).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            format!("not a GHL app event: {e}"),
        )
    })?;
    let handled = handle(&state.ghl.tokens, &event).await.map_err(ApiError::from)?;
    tracing::info!(event = %event.kind, outcome = %handled.describe(), "GHL app event");
    Ok(warp::reply::json(
        &json!({ "success": true, "outcome": handled.describe() }),
    ))
}
