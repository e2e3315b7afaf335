//! Browser sessions: a page on the gateway's own address (the panel, or a
//! UI served from UI_DIR such as the original gateway's) works without
//! holding the API key. The panel's login sends the key (or a panel link)
//! once to `POST /api/session`, which answers with a signed cookie
//! (`HttpOnly`, `SameSite=Strict`, `Path=/`, `Secure` behind https); the
//! /api routes then accept the cookie in place of a header, for requests
//! from the gateway's own origin only (`Sec-Fetch-Site`, else `Origin` for
//! anything but GET/HEAD: no other site can make the browser act with
//! it). `GET /api/session` tells a page whether it has one; `DELETE` ends
//! it in this browser. The cookie is sealed like panel links (key derived
//! from API_KEY, so changing the key ends every session) and lasts
//! `LIFETIME_S`, never longer than the panel link it came from.

use super::auth::{unauthorized, Access, Credentials};
use super::error::ApiError;
use crate::api::panel::token::{Claims, PanelTokens};
use crate::domain::InstanceId;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::sync::Arc;
use warp::filters::BoxedFilter;
use warp::http::{header, Method, StatusCode};
use warp::{Filter, Reply};

pub const COOKIE: &str = "wagate_session";
/// Marks (and versions) session cookies, so no other sealed token is ever
/// taken for one.
const PREFIX: &str = "wgs1.";
/// Twelve hours: a working day; then the login is asked for again.
pub const LIFETIME_S: i64 = 12 * 3600;

/// What a session cookie carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct SessionClaims {
    #[serde(rename = "exp")]
    expires_at: i64,
    /// Started with the API key: everything the key may do.
    #[serde(rename = "key")]
    full: bool,
    /// Started with a panel link limited to these instances.
    #[serde(rename = "ins", default, skip_serializing_if = "Option::is_none")]
    instances: Option<Vec<InstanceId>>,
}

impl SessionClaims {
    fn starting(access: &Access, now_s: i64) -> Self {
        let until = now_s + LIFETIME_S;
        match access {
            Access::Key => Self {
                expires_at: until,
                full: true,
                instances: None,
            },
            Access::Panel(claims) => Self {
                expires_at: until.min(claims.expires_at),
                full: false,
                instances: claims.instances.clone(),
            },
        }
    }

    fn access(self) -> Access {
        if self.full {
            return Access::Key;
        }
        Access::Panel(Claims {
            expires_at: self.expires_at,
            instances: self.instances,
        })
    }
}

/// The cookie's access, when the request carries a session cookie: an
/// expired or forged one is refused (401), and one sent from another
/// origin too (403).
pub fn from_cookie(
    tokens: Arc<PanelTokens>,
) -> impl Filter<Extract = (Result<Option<Access>, ApiError>,), Error = warp::Rejection> + Clone {
    warp::cookie::optional::<String>(COOKIE)
        .and(warp::method())
        .and(warp::header::optional::<String>("sec-fetch-site"))
        .and(warp::header::optional::<String>("origin"))
        .and(warp::header::optional::<String>("host"))
        .map(
            move |cookie: Option<String>,
                  method,
                  site: Option<String>,
                  origin: Option<String>,
                  host: Option<String>| {
                let Some(cookie) = cookie.filter(|c| !c.is_empty()) else {
                    return Ok(None);
                };
                if !same_origin(&method, site.as_deref(), origin.as_deref(), host.as_deref()) {
                    let why = "the session cookie is only accepted from the gateway's own pages";
                    return Err(ApiError::new(StatusCode::FORBIDDEN, "cross_origin", why));
                }
                open(&tokens, &cookie, crate::support::clock::now_ms() / 1000).map(Some)
            },
        )
}

fn open(tokens: &PanelTokens, cookie: &str, now_s: i64) -> Result<Access, ApiError> {
    let claims: SessionClaims = tokens
        .open(PREFIX, cookie)
        .map_err(|_| unauthorized("the session is not valid; log in again"))?;
    if claims.expires_at <= now_s {
        return Err(unauthorized("the session has expired; log in again"));
    }
    Ok(claims.access())
}

/// Is this request from the gateway's own pages? Browsers say so in
/// `Sec-Fetch-Site` (Fetch Metadata); one that does not send it is judged
/// by `Origin`, which browsers send with every request but GET and HEAD
/// (those change nothing, and SameSite=Strict keeps other sites' from
/// carrying the cookie).
fn same_origin(method: &Method, site: Option<&str>, origin: Option<&str>, host: Option<&str>) -> bool {
    let reads = matches!(*method, Method::GET | Method::HEAD);
    match site.map(str::trim) {
        Some("same-origin") => true,
        // Typed in the address bar or opened from a bookmark.
        Some("none") => reads,
        Some(_) => false,
        None if reads => true,
        None => match (origin, host) {
            (Some(origin), Some(host)) => {
                origin_authority(origin).is_some_and(|a| a.eq_ignore_ascii_case(host.trim()))
            }
            _ => false,
        },
    }
}

/// `host[:port]` of an origin such as `https://gw.example.com`.
fn origin_authority(origin: &str) -> Option<&str> {
    let (_, rest) = origin.trim().split_once("://")?;
    Some(rest.trim_end_matches('/'))
}

/// `POST/GET/DELETE /api/session` (mounted under `/api`).
pub fn routes(credentials: Credentials, https_base: bool) -> BoxedFilter<(warp::reply::Response,)> {
    let tokens = credentials.tokens.clone();
    let start = warp::path!("session")
        .and(warp::post())
        .and(super::auth::header_access(credentials.clone()))
        .and(warp::header::optional::<String>("x-forwarded-proto"))
        .map(move |access: Access, proto: Option<String>| {
            let secure = https_base
                || proto.is_some_and(|p| {
                    p.split(',')
                        .next()
                        .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"))
                });
            start(&tokens, &access, secure)
        });
    let show = warp::path!("session")
        .and(warp::get())
        .and(super::auth::from_headers(credentials))
        .map(|access: Access| {
            let body = json!({
                "success": true,
                "access": if matches!(access, Access::Key) { "key" } else { "panel" },
                "expiresAt": access.expires_at().map(|s| crate::support::clock::rfc3339(s * 1000)),
            });
            no_store(warp::reply::json(&body).into_response())
        });
    let end = warp::path!("session").and(warp::delete()).map(|| {
        let body = json!({ "success": true, "message": "signed out in this browser" });
        let reply =
            warp::reply::with_header(warp::reply::json(&body), header::SET_COOKIE, cookie("", 0, false));
        no_store(reply.into_response())
    });
    start.or(show).unify().or(end).unify().boxed()
}

fn start(tokens: &PanelTokens, access: &Access, secure: bool) -> warp::reply::Response {
    let now_s = crate::support::clock::now_ms() / 1000;
    let claims = SessionClaims::starting(access, now_s);
    let value = tokens.seal(PREFIX, &claims);
    let body = json!({
        "success": true,
        "access": if claims.full { "key" } else { "panel" },
        "expiresAt": crate::support::clock::rfc3339(claims.expires_at * 1000),
    });
    let max_age = claims.expires_at - now_s;
    let reply = warp::reply::with_header(
        warp::reply::json(&body),
        header::SET_COOKIE,
        cookie(&value, max_age, secure),
    );
    no_store(warp::reply::with_status(reply, StatusCode::CREATED).into_response())
}

fn cookie(value: &str, max_age: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}")
}

fn no_store(mut response: warp::reply::Response) -> warp::reply::Response {
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens() -> PanelTokens {
        PanelTokens::from_api_key("the-api-key-1")
    }

    #[test]
    fn a_key_session_opens_to_the_key_until_it_expires() {
        let claims = SessionClaims::starting(&Access::Key, 1_000);
        let sealed = tokens().seal(PREFIX, &claims);
        assert!(matches!(open(&tokens(), &sealed, 1_000), Ok(Access::Key)));
        let expired = open(&tokens(), &sealed, 1_000 + LIFETIME_S).unwrap_err();
        assert_eq!(expired.status, StatusCode::UNAUTHORIZED);
    }

    #[test]
    fn a_panel_link_session_keeps_its_scope_and_ends_with_the_link() {
        let link = Claims {
            expires_at: 1_100,
            instances: Some(vec![InstanceId::parse("wa-01").unwrap()]),
        };
        let claims = SessionClaims::starting(&Access::Panel(link.clone()), 1_000);
        assert_eq!(claims.expires_at, 1_100);
        let sealed = tokens().seal(PREFIX, &claims);
        match open(&tokens(), &sealed, 1_050) {
            Ok(Access::Panel(opened)) => assert_eq!(opened, link),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_panel_link_or_another_keys_cookie_is_no_session() {
        let link = tokens().sign(&Claims {
            expires_at: i64::MAX,
            instances: None,
        });
        assert!(open(&tokens(), &link, 0).is_err());
        let other = PanelTokens::from_api_key("the-api-key-2")
            .seal(PREFIX, &SessionClaims::starting(&Access::Key, 0));
        assert!(open(&tokens(), &other, 0).is_err());
    }

    #[test]
    fn only_the_gateways_own_pages_may_use_the_cookie() {
        let host = Some("gw.example.com");
        let post = Method::POST;
        assert!(same_origin(&post, Some("same-origin"), None, host));
        assert!(!same_origin(
            &post,
            Some("same-site"),
            Some("https://gw.example.com"),
            host
        ));
        assert!(!same_origin(&post, Some("cross-site"), None, host));
        assert!(!same_origin(&post, Some("none"), None, host));
        assert!(same_origin(&Method::GET, Some("none"), None, host));
        assert!(!same_origin(&Method::GET, Some("cross-site"), None, host));
        assert!(same_origin(&Method::GET, None, None, host));
        assert!(same_origin(&post, None, Some("https://gw.example.com"), host));
        assert!(!same_origin(&post, None, Some("https://evil.example"), host));
        assert!(!same_origin(&Method::DELETE, None, None, host));
    }

    #[test]
    fn the_cookie_is_http_only_strict_and_secure_behind_https() {
        assert_eq!(
            cookie("v", 60, true),
            "wagate_session=v; Path=/; HttpOnly; SameSite=Strict; Max-Age=60; Secure"
        );
        assert!(!cookie("v", 60, false).contains("Secure"));
    }
}
