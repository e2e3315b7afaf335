//! Who is calling: the API key (`x-api-key` or `Authorization: Bearer`,
//! compared in constant time) opens everything; a signed panel token
//! (`Authorization: Bearer wgp1...`) opens what the panel needs, within its
//! scope. Only the event stream also takes either one as `?token=`, since
//! a browser's EventSource cannot send headers. The metrics token is
//! checked the same way on `/metrics`.

use super::error::ApiError;
use crate::panel_token::{Claims, PanelTokens};
use serde::Deserialize;
use std::sync::Arc;
use subtle::ConstantTimeEq;
use warp::http::StatusCode;
use warp::Filter;

/// What a request may do.
#[derive(Debug, Clone)]
pub enum Access {
    /// The API key: everything.
    Key,
    /// A panel token: the panel's routes, for the instances it names.
    Panel(Claims),
}

impl Access {
    pub fn allows(&self, id: &crate::domain::InstanceId) -> bool {
        match self {
            Access::Key => true,
            Access::Panel(claims) => claims.allows(id),
        }
    }

    /// When this access ends, seconds since the epoch; the key never does.
    pub fn expires_at(&self) -> Option<i64> {
        match self {
            Access::Key => None,
            Access::Panel(claims) => Some(claims.expires_at),
        }
    }
}

/// The secrets requests are checked against.
#[derive(Clone)]
pub struct Credentials {
    key: Arc<str>,
    pub tokens: Arc<PanelTokens>,
}

impl Credentials {
    pub fn new(key: Arc<str>) -> Self {
        let tokens = Arc::new(PanelTokens::from_api_key(&key));
        Self { key, tokens }
    }

    /// Checks an offered credential, API key or panel token.
    pub fn check(&self, offered: Option<&str>) -> Result<Access, ApiError> {
        let Some(offered) = offered.map(str::trim) else {
            return Err(unauthorized(
                "an API key is required: send it as x-api-key or Authorization: Bearer",
            ));
        };
        if bool::from(offered.as_bytes().ct_eq(self.key.as_bytes())) {
            return Ok(Access::Key);
        }
        if !PanelTokens::is_token(offered) {
            return Err(unauthorized("the API key is wrong"));
        }
        let now_s = crate::clock::now_ms() / 1000;
        self.tokens
            .verify(offered, now_s)
            .map(Access::Panel)
            .map_err(|e| unauthorized(&e.to_string()))
    }
}

/// The caller's access from the request headers, or 401.
pub fn from_headers(
    credentials: Credentials,
) -> impl Filter<Extract = (Access,), Error = warp::Rejection> + Clone {
    warp::header::optional::<String>("x-api-key")
        .and(warp::header::optional::<String>("authorization"))
        .and_then(move |api_key: Option<String>, authorization: Option<String>| {
            let credentials = credentials.clone();
            async move {
                let bearer = authorization.as_deref().and_then(|h| h.strip_prefix("Bearer "));
                credentials
                    .check(api_key.as_deref().or(bearer))
                    .map_err(warp::reject::custom)
            }
        })
}

#[derive(Deserialize)]
struct TokenQuery {
    token: Option<String>,
}

/// Access from the headers or, for the event stream only, `?token=`.
pub fn from_headers_or_query(
    credentials: Credentials,
) -> impl Filter<Extract = (Access,), Error = warp::Rejection> + Clone {
    warp::query::<TokenQuery>()
        .and(
            from_headers(credentials.clone())
                .map(Some)
                .or(warp::any().map(|| None))
                .unify(),
        )
        .and_then(move |query: TokenQuery, headers: Option<Access>| {
            let credentials = credentials.clone();
            async move {
                match (headers, query.token) {
                    (Some(access), _) => Ok(access),
                    (None, token) => credentials.check(token.as_deref()).map_err(warp::reject::custom),
                }
            }
        })
}

/// Passes API-key requests; steps aside (not found) for panel tokens.
pub fn key_only(
    access: impl Filter<Extract = (Access,), Error = warp::Rejection> + Clone,
) -> impl Filter<Extract = (), Error = warp::Rejection> + Clone {
    access
        .and_then(|access: Access| async move {
            match access {
                Access::Key => Ok(()),
                Access::Panel(_) => Err(warp::reject::not_found()),
            }
        })
        .untuple_one()
}

/// Passes panel-token requests with their claims; steps aside for the key.
pub fn panel_only(
    access: impl Filter<Extract = (Access,), Error = warp::Rejection> + Clone,
) -> impl Filter<Extract = (Claims,), Error = warp::Rejection> + Clone {
    access.and_then(|access: Access| async move {
        match access {
            Access::Panel(claims) => Ok(claims),
            Access::Key => Err(warp::reject::not_found()),
        }
    })
}

fn unauthorized(message: &str) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
}

/// Rejects requests that do not carry `secret` (named `what` in errors),
/// as `x-api-key` or `Authorization: Bearer`; compared in constant time.
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
                match api_key.as_deref().map(str::trim).or(bearer) {
                    Some(offered) if bool::from(offered.as_bytes().ct_eq(secret.as_bytes())) => Ok(()),
                    Some(_) => Err(warp::reject::custom(unauthorized(&format!(
                        "the {what} is wrong"
                    )))),
                    None => Err(warp::reject::custom(unauthorized(&format!(
                        "the {what} is required: send it as x-api-key or Authorization: Bearer"
                    )))),
                }
            }
        })
        .untuple_one()
}
