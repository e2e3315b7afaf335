//! The API key: checked on every /api route (`x-api-key` or
//! `Authorization: Bearer`), compared in constant time.

use super::error::ApiError;
use std::sync::Arc;
use subtle::ConstantTimeEq;
use warp::http::StatusCode;
use warp::Filter;

/// Rejects requests that do not carry the key.
pub fn require_key(key: Arc<str>) -> impl Filter<Extract = (), Error = warp::Rejection> + Clone {
    warp::header::optional::<String>("x-api-key")
        .and(warp::header::optional::<String>("authorization"))
        .and_then(move |api_key: Option<String>, authorization: Option<String>| {
            let key = key.clone();
            async move {
                let bearer = authorization
                    .as_deref()
                    .and_then(|h| h.strip_prefix("Bearer "))
                    .map(str::trim);
                let offered = api_key.as_deref().map(str::trim).or(bearer);
                match offered {
                    Some(offered) if matches(offered, &key) => Ok(()),
                    Some(_) => Err(warp::reject::custom(unauthorized("the API key is wrong"))),
                    None => Err(warp::reject::custom(unauthorized(
                        "an API key is required: send it as x-api-key or Authorization: Bearer",
                    ))),
                }
            }
        })
        .untuple_one()
}

fn matches(offered: &str, key: &str) -> bool {
    offered.as_bytes().ct_eq(key.as_bytes()).into()
}

fn unauthorized(message: &str) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
}
