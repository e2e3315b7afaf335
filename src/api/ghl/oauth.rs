//! `GET /ghl/oauth/callback`: where GHL sends the admin's browser after
//! installing the app. The code is exchanged for tokens (an agency install
//! becomes one token per location) and a short page says what happened.
//! No API key: GHL's redirect cannot carry one. Instead the redirect must
//! bring back the `state` of an install link this gateway made (unexpired,
//! used once); without one the request is refused before any call to GHL.

use crate::api::state::AppState;
use crate::ghl::client::GhlError;
use crate::ghl::install_state;
use std::collections::HashMap;
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::{Filter, Reply};

pub fn routes(state: AppState) -> BoxedFilter<(impl Reply,)> {
    warp::path!("ghl" / "oauth" / "callback")
        .and(warp::get())
        .and(warp::any().map(move || state.clone()))
        .and(warp::query::<HashMap<String, String>>())
        .then(callback)
        .boxed()
}

async fn callback(
    state: AppState,
    query: HashMap<String, String>,
) -> warp::reply::WithStatus<warp::reply::Html<String>> {
    let Some(code) = query.get("code").filter(|c| !c.is_empty()) else {
        return page(
            StatusCode::BAD_REQUEST,
            "No install code",
            "GHL's redirect carried no code. Install the app again from its install link.",
        );
    };
    if let Some(refusal) = unissued_state(&state, query.get("state")).await {
        return refusal;
    }
    match state.ghl.tokens.install(code).await {
        Ok(locations) => {
            tracing::info!(locations = locations.len(), "the GHL app was installed");
            let list = locations
                .iter()
                .map(|l| html_escape(l))
                .collect::<Vec<_>>()
                .join(", ");
            let text = format!(
                "wagate is connected to {} location(s): {list}. You can close this window.",
                locations.len()
            );
            page(StatusCode::OK, "Connected", &text)
        }
        Err(e) => {
            tracing::warn!(error = %e, "a GHL install could not be completed");
            let status = match e {
                GhlError::NotConfigured(_) => StatusCode::CONFLICT,
                _ => StatusCode::BAD_GATEWAY,
            };
            page(status, "Install failed", &html_escape(&e.to_string()))
        }
    }
}

/// Why the redirect's `state` is not one to act on, as the page to answer;
/// `None` when it is (and it is now used up).
async fn unissued_state(
    state: &AppState,
    oauth_state: Option<&String>,
) -> Option<warp::reply::WithStatus<warp::reply::Html<String>>> {
    let text = "This install did not start from a current wagate install link. Open the installUrl \
                that GET /api/ghl/app shows (each is good for one install within ten minutes).";
    let Some(oauth_state) = oauth_state.filter(|s| !s.is_empty()) else {
        return Some(page(StatusCode::BAD_REQUEST, "No install state", text));
    };
    match install_state::redeem(state.stores.ghl.as_ref(), oauth_state).await {
        Ok(true) => None,
        Ok(false) => {
            tracing::warn!("refused a GHL OAuth redirect whose state the gateway did not issue");
            Some(page(StatusCode::FORBIDDEN, "Unknown install state", text))
        }
        Err(e) => {
            tracing::error!(error = %e, "could not check a GHL OAuth state");
            let text = "The gateway's store did not answer. Try the install link again shortly.";
            Some(page(StatusCode::SERVICE_UNAVAILABLE, "Install failed", text))
        }
    }
}

fn page(status: StatusCode, title: &str, text: &str) -> warp::reply::WithStatus<warp::reply::Html<String>> {
    let html = format!(
        "<!doctype html><meta charset=utf-8><title>wagate: {title}</title>\
         <body style=\"font-family:system-ui;max-width:36rem;margin:3rem auto\"><h1>{title}</h1><p>{text}</p></body>"
    );
    warp::reply::with_status(warp::reply::html(html), status)
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
