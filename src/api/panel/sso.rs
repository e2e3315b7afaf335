//! Sign-in from inside GHL, without the API key. GHL frames the panel (a
//! Custom Menu Link or Custom Page); the page asks GHL for the user's
//! encrypted context (`REQUEST_USER_DATA`, see `ghl::user_context`) and
//! trades it here for a panel token, which the page keeps in memory only:
//! third-party cookies are unreliable in GHL's iframe.
//!
//! - `GET /api/panel/sso`: whether sign-in from GHL is on (GHL_SHARED_SECRET
//!   set) and the frame ancestors the page may take GHL's answer from.
//! - `POST /api/panel/sso` `{payload}`: the token, scoped as
//!   `sso_access` decides. A payload is taken once: GHL's user data carries
//!   no time, so one seen before (by any process on the store) is refused
//!   as a replay for `REPLAY_WINDOW`.

use crate::api::body::JsonBody;
use crate::api::common::{success, with_state, Reply};
use crate::api::error::{reply, ApiError};
use crate::api::panel::sso_access;
use crate::api::panel::token::{Claims, PanelTokens};
use crate::api::state::AppState;
use crate::ghl::user_context::{self, ContextError};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::convert::Infallible;
use std::sync::Arc;
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::reply::Response;
use warp::Filter;
use warp::Reply as _;

/// A token from GHL lasts a working day; the page asks GHL again after.
const LIFETIME_S: i64 = 12 * 3600;
/// How long a payload once taken stays refused (30 days).
const REPLAY_WINDOW_MS: i64 = 30 * 24 * 3600 * 1000;

pub fn routes(state: AppState, tokens: Arc<PanelTokens>) -> BoxedFilter<(warp::reply::Response,)> {
    let limit = state.settings.http.max_body_bytes;
    let status = warp::path!("panel" / "sso")
        .and(warp::get())
        .and(with_state(state.clone()))
        .map(|state: AppState| {
            let ancestors: Vec<&str> = state.settings.http.frame_ancestors.split_whitespace().collect();
            let enabled = state.settings.ghl.shared_secret.is_some();
            warp::reply::json(&json!({ "enabled": enabled, "frameAncestors": ancestors })).into_response()
        });
    // Every answer is made here, so no keyed route's 401 hides the reason.
    let sign_in = warp::path!("panel" / "sso")
        .and(warp::post())
        .and(with_state(state))
        .and(warp::any().map(move || tokens.clone()))
        .and(body_or_answer(limit))
        .then(|state, tokens, body: Result<bytes::Bytes, Response>| async move {
            let raw = match body {
                Ok(raw) => raw,
                Err(answer) => return answer,
            };
            match sign_in(state, tokens, &raw).await {
                Ok(signed) => signed.into_response(),
                Err(refused) => reply(&refused).into_response(),
            }
        });
    status.or(sign_in).unify().boxed()
}

/// The body, or the answer to one warp would not read (too large, no
/// length).
fn body_or_answer(
    limit: u64,
) -> impl Filter<Extract = (Result<bytes::Bytes, Response>,), Error = Infallible> + Clone {
    warp::body::content_length_limit(limit)
        .and(warp::body::bytes())
        .map(Ok)
        .recover(|refused: warp::Rejection| async move {
            let answer = crate::api::error::recover(refused).await?;
            Ok::<_, Infallible>(Err(answer.into_response()))
        })
        .unify()
}

async fn sign_in(state: AppState, tokens: Arc<PanelTokens>, raw: &[u8]) -> Result<Reply, ApiError> {
    let body = JsonBody::parse(raw)?;
    let Some(secret) = state.settings.ghl.shared_secret.as_ref() else {
        let why = "sign-in from GHL is off: set GHL_SHARED_SECRET to the app's Shared Secret";
        return Err(ApiError::new(StatusCode::NOT_FOUND, "sso_off", why));
    };
    let payload = body.required("payload")?;
    let user = user_context::decrypt(&payload, secret.expose()).map_err(refused)?;
    let envelope = user_context::envelope(&payload).map_err(refused)?;
    let mark = format!("sso:{}", hex(&Sha256::digest(&envelope)));
    if !state.stores.ghl.note_once(&mark, REPLAY_WINDOW_MS).await? {
        let why = "this sign-in from GHL was used before; open the panel from GHL again";
        return Err(ApiError::new(StatusCode::UNAUTHORIZED, "sso_replayed", why));
    }
    let grant = sso_access::decide(&state.stores, &user).await?;
    let expires_at = crate::support::clock::now_ms() / 1000 + LIFETIME_S;
    let token = tokens.sign(&Claims {
        expires_at,
        instances: grant.instances.clone(),
    });
    tracing::info!(reach = grant.reach, location = ?grant.location_id, "panel signed in from GHL");
    Ok(success(
        StatusCode::CREATED,
        json!({
            "token": token,
            "expiresAt": crate::support::clock::rfc3339(expires_at * 1000),
            "reach": grant.reach,
            "locationId": grant.location_id,
            "instances": grant.instances,
            "openOn": grant.open_on,
            "userName": user.user_name,
        }),
    ))
}

fn refused(e: ContextError) -> ApiError {
    match e {
        ContextError::Malformed => ApiError {
            field: Some("payload"),
            ..ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_payload", e.to_string())
        },
        ContextError::NotOurs => ApiError::new(StatusCode::UNAUTHORIZED, "sso_rejected", e.to_string()),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
