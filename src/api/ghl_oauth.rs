//! `GET /ghl/oauth/callback`: where GHL sends the admin's browser after
//! installing the app. The code is exchanged for tokens (an agency install
//! becomes one token per location) and a short page says what happened.
//! No API key: GHL's redirect cannot carry one, and a code is only good
//! once, for this app's client secret.

use super::state::AppState;
use crate::ghl::client::GhlError;
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
