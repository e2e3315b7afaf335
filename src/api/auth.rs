//! Secrets on routes: the API key on every /api route (`x-api-key` or
//! `Authorization: Bearer`), and the same check for the metrics token;
//! compared in constant time.

use super::error::ApiError;
use std::sync::Arc;
use subtle::ConstantTimeEq;
use warp::http::StatusCode;
use warp::Filter;

/// Rejects requests that do not carry the API key.
pub fn require_key(key: Arc<str>) -> impl Filter<Extract = (), Error = warp::Rejection> + Clone {
    require_secret(key, "API key")
}

/// Rejects requests that do not carry `secret` (named `what` in errors).
pub fn require_secret(
    secret: Arc<str>,
    what: &'static str,
) -> impl Filter<Extract = (), Error = warp::Rejection> + Clone {
    warp::header::optional::<String>("x-api-key")
        .and(warp::header::optional::<String>("authorization"))
        .and_then(move |api_key: Option<String>, authorization: Option<String>| {
            let secret = secret.clone();
            async move {
                let bearer = authorization
                    .as_deref()
                    .and_then(|h| h.strip_prefix("Bearer "))
                    .map(str::trim);
                let offered = api_key.as_deref().map(str::trim).or(bearer);
                match offered {
                    Some(offered) if matches(offered, &secret) => Ok(()),
                    Some(_) => Err(warp::reject::custom(unauthorized(format!("the {what} is wrong")))),
                    None => Err(warp::reject::custom(unauthorized(format!(
                        "the {what} is required: send it as x-api-key or Authorization: Bearer"
                    )))),
                }
            }
        })
        .untuple_one()
}

fn matches(offered: &str, key: &str) -> bool {
    offered.as_bytes().ct_eq(key.as_bytes()).into()
}

fn unauthorized(message: String) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
}
