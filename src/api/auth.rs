//! Who is calling: the API key (`x-api-key` or `Authorization: Bearer`,
//! compared in constant time) opens everything; a signed panel token
//! (`Authorization: Bearer wgp1...`) opens what the panel needs, within its
//! scope; a request without either may carry a browser session's cookie,
//! which opens what the login that started it could (see `session`).
//! No credential is ever taken from the URL (the event stream takes
//! a one-time ticket there instead, see `events::ticket`). The Bearer
//! scheme is read in any case; an empty header is no credential, and two
//! headers that carry different credentials are refused. The metrics token
//! is checked the same way on `/metrics`.

use super::error::ApiError;
use crate::api::panel::token::{Claims, PanelTokens};
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
        let now_s = crate::support::clock::now_ms() / 1000;
        self.tokens
            .verify(offered, now_s)
            .map(Access::Panel)
            .map_err(|e| unauthorized(&e.to_string()))
    }
}

/// The caller's access from a credential header, or 401; a session
/// cookie does not count (starting a session needs the real credential).
pub fn header_access(
    credentials: Credentials,
) -> impl Filter<Extract = (Access,), Error = warp::Rejection> + Clone {
    offered().and_then(move |offered: Option<String>| {
        let credentials = credentials.clone();
        async move {
            credentials
                .check(offered.as_deref())
                .map_err(warp::reject::custom)
        }
    })
}

/// The caller's access from a credential header, else from a session
/// cookie, or 401.
pub fn from_headers(
    credentials: Credentials,
) -> impl Filter<Extract = (Access,), Error = warp::Rejection> + Clone {
    optional_from_headers(credentials.clone()).and_then(move |access: Option<Access>| {
        let credentials = credentials.clone();
        async move {
            match access {
                Some(access) => Ok(access),
                None => credentials.check(None).map_err(warp::reject::custom),
            }
        }
    })
}

/// The caller's access from a credential header (a wrong one is refused),
/// else from a session cookie; None when the request offers neither.
pub fn optional_from_headers(
    credentials: Credentials,
) -> impl Filter<Extract = (Option<Access>,), Error = warp::Rejection> + Clone {
    offered()
        .and(super::session::from_cookie(credentials.tokens.clone()))
        .and_then(
            move |offered: Option<String>, cookie: Result<Option<Access>, ApiError>| {
                let credentials = credentials.clone();
                async move {
                    let access = match offered {
                        Some(offered) => credentials.check(Some(&offered)).map(Some),
                        None => cookie,
                    };
                    access.map_err(warp::reject::custom)
                }
            },
        )
}

/// The credential a request offers: `x-api-key`, or `Authorization`
/// with the Bearer scheme (any case, RFC 9110 §11.1). An empty header is
/// no credential; two headers that carry different credentials are
/// refused (400), so that neither silently decides.
fn offered() -> impl Filter<Extract = (Option<String>,), Error = warp::Rejection> + Clone {
    warp::header::optional::<String>("x-api-key")
        .and(warp::header::optional::<String>("authorization"))
        .and_then(
            |api_key: Option<String>, authorization: Option<String>| async move {
                one_credential(api_key.as_deref(), authorization.as_deref()).map_err(warp::reject::custom)
            },
        )
}

fn one_credential(api_key: Option<&str>, authorization: Option<&str>) -> Result<Option<String>, ApiError> {
    let api_key = api_key.map(str::trim).filter(|k| !k.is_empty());
    let bearer = authorization.and_then(bearer_token);
    match (api_key, bearer) {
        (Some(key), Some(token)) if key != token => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "ambiguous_credentials",
            "x-api-key and Authorization carry different credentials; send one of them",
        )),
        (key, token) => Ok(key.or(token).map(str::to_owned)),
    }
}

/// The token of an `Authorization: Bearer <token>` header, whatever the
/// scheme's case; None for other schemes and an empty token.
fn bearer_token(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
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

pub(super) fn unauthorized(message: &str) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
}

/// Rejects requests that do not carry `secret` (named `what` in errors),
/// as `x-api-key` or `Authorization: Bearer`; compared in constant time.
pub fn require_secret(
    secret: Arc<str>,
    what: &'static str,
) -> impl Filter<Extract = (), Error = warp::Rejection> + Clone {
    offered()
        .and_then(move |offered: Option<String>| {
            let secret = secret.clone();
            async move {
                match offered {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bearer_scheme_is_read_in_any_case() {
        assert_eq!(bearer_token("Bearer abc"), Some("abc"));
        assert_eq!(bearer_token("bearer abc"), Some("abc"));
        assert_eq!(bearer_token("BEARER  abc "), Some("abc"));
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("Bearer "), None);
        assert_eq!(bearer_token("Bearer"), None);
    }

    #[test]
    fn an_empty_header_is_no_credential_and_two_that_differ_are_refused() {
        assert_eq!(
            one_credential(Some(""), Some("Bearer k")).unwrap().as_deref(),
            Some("k")
        );
        assert_eq!(
            one_credential(Some(" k "), Some("Bearer k")).unwrap().as_deref(),
            Some("k")
        );
        assert_eq!(one_credential(Some("k"), None).unwrap().as_deref(), Some("k"));
        assert_eq!(one_credential(None, None).unwrap(), None);
        let refused = one_credential(Some("wrong"), Some("Bearer k")).unwrap_err();
        assert_eq!(refused.status, StatusCode::BAD_REQUEST);
        assert_eq!(refused.code, "ambiguous_credentials");
    }
}
