//! `POST /ghl/webhooks`: the marketplace app's webhook URL. GHL signs each
//! event like the Delivery URL's requests; INSTALL and UNINSTALL keep the
//! stored tokens in step with where the app is installed. An event for
//! another app is refused, and so is one whose timestamp is more than five
//! minutes off; one whose `webhookId` was acted on before is acknowledged
//! and left alone (see `ghl::replay`). GHL sends an event again only when
//! answered 429: a failure that may pass (the store, or GHL itself, not
//! answering while an INSTALL is handled) is answered 429; one that will
//! not is answered 200 with `outcome: "failed"` and the reason.

use crate::api::error::ApiError;
use crate::api::ghl::delivery_url::{resend_if_transient, signed_by_ghl};
use crate::api::state::AppState;
use crate::ghl::app_events::{handle, AppEvent};
use crate::ghl::replay;
use crate::ghl::signature::GhlVerifier;
use serde_json::json;
use std::sync::Arc;
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::{Filter, Reply};

pub fn routes(state: AppState, verifier: Arc<GhlVerifier>) -> BoxedFilter<(impl Reply,)> {
    let limit = state.settings.http.max_body_bytes;
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
    check_app(&state, &event).await.map_err(resend_if_transient)?;
    replay::check_timestamp(event.timestamp.as_deref(), crate::support::clock::now_ms()).map_err(|e| {
        ApiError {
            field: Some("timestamp"),
            ..ApiError::new(StatusCode::BAD_REQUEST, "stale_event", e.to_string())
        }
    })?;
    let webhook_id = event
        .webhook_id
        .as_deref()
        .filter(|id| !id.is_empty())
        .ok_or_else(|| ApiError::missing("webhookId"))?;
    let store = state.stores.ghl.as_ref();
    let first = replay::first_sighting(store, webhook_id).await;
    if !first.map_err(ApiError::from).map_err(resend_if_transient)? {
        tracing::info!(event = %event.kind, webhook_id, "GHL app event seen before; left alone");
        return Ok(answer("already handled"));
    }
    match handle(&state.ghl.tokens, &event).await {
        Ok(handled) => {
            tracing::info!(event = %event.kind, outcome = %handled.describe(), "GHL app event");
            Ok(answer(&handled.describe()))
        }
        Err(e) if e.is_transient() => {
            if let Err(forget) = replay::forget_sighting(store, webhook_id).await {
                tracing::error!(error = %forget, webhook_id, "could not forget a failed GHL app event");
            }
            Err(resend_if_transient(ApiError::unavailable(e.to_string())).into())
        }
        Err(e) => {
            tracing::warn!(event = %event.kind, webhook_id, error = %e, "a GHL app event could not be acted on");
            Ok(warp::reply::json(
                &json!({ "success": false, "outcome": "failed", "error": e.to_string() }),
            ))
        }
    }
}

/// The event must be for this gateway's app: GHL signs every app's events
/// with the same key.
async fn check_app(state: &AppState, event: &AppEvent) -> Result<(), ApiError> {
    let ours =
        state.ghl.app.app_id().await?.ok_or_else(|| {
            ApiError::conflict("ghl_not_configured", "set GHL_CLIENT_ID (or GHL_APP_ID) first")
        })?;
    match event.app_id.as_deref().filter(|id| !id.is_empty()) {
        None => Err(ApiError::missing("appId")),
        Some(theirs) if theirs == ours => Ok(()),
        Some(theirs) => Err(ApiError {
            field: Some("appId"),
            ..ApiError::new(
                StatusCode::FORBIDDEN,
                "wrong_app",
                format!("the event is for app {theirs:?}, not this gateway's"),
            )
        }),
    }
}

fn answer(outcome: &str) -> warp::reply::Json {
    warp::reply::json(&json!({ "success": true, "outcome": outcome }))
}
