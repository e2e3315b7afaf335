//! `POST /api/panel-links` `{expiresInSeconds?, instances?: [ids]}` (API key
//! only): a signed link that opens the panel without the key, for GHL's
//! Custom Menu Link. The token rides in the URL's fragment
//! (`/panel/#token=...`), which browsers never send to a server, so it stays
//! out of access logs.

use crate::api::body::{json_body, JsonBody};
use crate::api::common::{success, with_state, ApiResult};
use crate::api::error::ApiError;
use crate::api::panel::token::{Claims, PanelTokens};
use crate::api::state::AppState;
use crate::domain::InstanceId;
use serde_json::{json, Value};
use std::sync::Arc;
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::{Filter, Reply};

/// A link lasts 90 days unless asked otherwise.
const DEFAULT_LIFETIME_S: i64 = 90 * 24 * 3600;
const MIN_LIFETIME_S: i64 = 60;
/// Two years: a link is revoked only by changing API_KEY, so none is forever.
const MAX_LIFETIME_S: i64 = 2 * 365 * 24 * 3600;

pub fn routes(state: AppState, tokens: Arc<PanelTokens>) -> BoxedFilter<(impl Reply,)> {
    let limit = state.settings.http.max_body_bytes;
    warp::path!("panel-links")
        .and(warp::post())
        .and(with_state(state))
        .and(warp::any().map(move || tokens.clone()))
        .and(warp::header::optional::<String>("host"))
        .and(warp::header::optional::<String>("x-forwarded-proto"))
        .and(json_body(limit))
        .and_then(create)
        .boxed()
}

async fn create(
    state: AppState,
    tokens: Arc<PanelTokens>,
    host: Option<String>,
    proto: Option<String>,
    body: JsonBody,
) -> ApiResult {
    let body = body.into_value();
    let lifetime = lifetime(&body["expiresInSeconds"])?;
    let instances = instances(&body["instances"])?;
    let expires_at = crate::support::clock::now_ms() / 1000 + lifetime;
    let token = tokens.sign(&Claims {
        expires_at,
        instances: instances.clone(),
    });
    let base = match (&state.settings.public_base_url, host) {
        (Some(public), _) => public.clone(),
        (None, Some(host)) => format!("{}://{host}", proto.as_deref().unwrap_or("http")),
        (None, None) => {
            let why = "the request has no Host header; set PUBLIC_BASE_URL";
            return Err(ApiError::new(StatusCode::BAD_REQUEST, "missing_host", why).into());
        }
    };
    Ok(success(
        StatusCode::CREATED,
        json!({
            "url": format!("{base}/panel/#token={token}"),
            "token": token,
            "expiresAt": crate::support::clock::rfc3339(expires_at * 1000),
            "instances": instances,
        }),
    ))
}

fn lifetime(raw: &Value) -> Result<i64, ApiError> {
    let seconds = match raw {
        Value::Null => return Ok(DEFAULT_LIFETIME_S),
        Value::Number(n) => n.as_i64(),
        _ => None,
    };
    match seconds {
        Some(s) if (MIN_LIFETIME_S..=MAX_LIFETIME_S).contains(&s) => Ok(s),
        _ => Err(ApiError::invalid(
            "expiresInSeconds",
            format!("expiresInSeconds must be a whole number from {MIN_LIFETIME_S} to {MAX_LIFETIME_S}"),
        )),
    }
}

fn instances(raw: &Value) -> Result<Option<Vec<InstanceId>>, ApiError> {
    let list = match raw {
        Value::Null => return Ok(None),
        Value::Array(list) if !list.is_empty() => list,
        _ => {
            return Err(ApiError::invalid(
                "instances",
                "instances must be a non-empty list of instance ids",
            ))
        }
    };
    list.iter()
        .map(|item| {
            let raw = item
                .as_str()
                .ok_or_else(|| ApiError::invalid("instances", "instances must hold instance ids as text"))?;
            InstanceId::parse(raw).map_err(|e| ApiError::invalid("instances", e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}
