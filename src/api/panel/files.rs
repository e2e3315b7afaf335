//! The panel's static files (`panel/` in the source tree, compiled into the
//! binary), served at `/panel/` without the API key: they hold no secrets,
//! and the page asks for a key or reads a panel link's token itself. Every
//! answer carries a strict Content-Security-Policy whose `frame-ancestors`
//! comes from FRAME_ANCESTORS, so GHL may frame the panel; no
//! X-Frame-Options is sent.

use std::sync::Arc;
use warp::filters::BoxedFilter;
use warp::http::{header, Response, StatusCode};
use warp::Filter;

const INDEX: &str = include_str!("../../../panel/index.html");
const API_SCRIPT: &str = include_str!("../../../panel/api.js");
const APP_SCRIPT: &str = include_str!("../../../panel/app.js");
const SENDING_SCRIPT: &str = include_str!("../../../panel/sending.js");
const CHATS_SCRIPT: &str = include_str!("../../../panel/chats.js");
const WEBHOOKS_SCRIPT: &str = include_str!("../../../panel/webhooks.js");
const GHL_SCRIPT: &str = include_str!("../../../panel/ghl.js");
const STYLE: &str = include_str!("../../../panel/style.css");

pub fn routes(frame_ancestors: &str) -> BoxedFilter<(warp::reply::Response,)> {
    let policy: Arc<str> = content_security_policy(frame_ancestors).into();
    warp::get()
        .and(warp::path("panel"))
        .and(warp::path::full())
        .and_then(move |path: warp::path::FullPath| {
            let policy = policy.clone();
            async move {
                let (body, content_type) = match path.as_str() {
                    "/panel" => return Ok(to_slash()),
                    "/panel/" | "/panel/index.html" => (INDEX, "text/html; charset=utf-8"),
                    "/panel/api.js" => (API_SCRIPT, "text/javascript; charset=utf-8"),
                    "/panel/app.js" => (APP_SCRIPT, "text/javascript; charset=utf-8"),
                    "/panel/sending.js" => (SENDING_SCRIPT, "text/javascript; charset=utf-8"),
                    "/panel/chats.js" => (CHATS_SCRIPT, "text/javascript; charset=utf-8"),
                    "/panel/webhooks.js" => (WEBHOOKS_SCRIPT, "text/javascript; charset=utf-8"),
                    "/panel/ghl.js" => (GHL_SCRIPT, "text/javascript; charset=utf-8"),
                    "/panel/style.css" => (STYLE, "text/css; charset=utf-8"),
                    _ => return Err(warp::reject::not_found()),
                };
                Ok(file(body, content_type, &policy))
            }
        })
        .boxed()
}

/// Scripts, styles, images, connections: this origin only (QR codes come as
/// data URLs); framing: only where FRAME_ANCESTORS allows.
pub fn content_security_policy(frame_ancestors: &str) -> String {
    format!(
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors {frame_ancestors}"
    )
}

fn file(body: &'static str, content_type: &str, policy: &str) -> warp::reply::Response {
    Response::builder()
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CONTENT_SECURITY_POLICY, policy)
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .header(header::REFERRER_POLICY, "no-referrer")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(body.into())
        .unwrap_or_else(|_| server_error())
}

/// `/panel` → `/panel/`, so the page's relative links resolve (the
/// browser keeps the `#token=...` fragment across the redirect).
fn to_slash() -> warp::reply::Response {
    Response::builder()
        .status(StatusCode::MOVED_PERMANENTLY)
        .header(header::LOCATION, "/panel/")
        .body(Default::default())
        .unwrap_or_else(|_| server_error())
}

fn server_error() -> warp::reply::Response {
    let mut response = warp::reply::Response::default();
    *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    response
}
