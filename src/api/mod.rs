//! The HTTP API (warp). Each resource has its own file exposing
//! `routes(state)`, grouped in folders where several belong together
//! (`ghl/`, `original/` for the original gateway's routes, `panel/`); this
//! module mounts them under `/api` behind the API key (or, narrowed by
//! `panel::scoped`, a panel link's token, or a browser session; sign-in
//! from inside GHL, `panel::sso`, takes GHL's user data instead), adds the
//! open routes (health, metrics, inbound media, the panel's files, UI_DIR's
//! at `/`), CORS, a 404 for paths no route has, and the one `recover` that
//! turns every error into the JSON error shape. `server/` runs them with
//! request ids and HTTP metrics, on connections bounded in number and time.

mod auth;
mod body;
mod common;
mod error;
mod events;
mod forwards;
mod ghl;
mod groups;
mod health;
mod instances;
mod lookup;
mod messages;
mod metrics;
mod openapi;
mod openapi_events;
mod original;
pub mod panel;
pub mod route_table;
mod send;
mod send_details;
mod sending;
mod server;
mod session;
mod sim;
mod sim_inbound;
pub mod state;
mod static_files;
mod webhooks;

pub use error::ApiError;
pub use server::connection::Timeouts;
pub use server::listener::Limits;
pub use server::observe::serve;
pub use state::{AppState, InboundTestLog, StateParts};

use crate::api::panel::token::PanelTokens;
use std::path::PathBuf;
use std::sync::Arc;
use warp::filters::BoxedFilter;
use warp::{Filter, Reply};

/// A set of routes, each answering with a response.
type Routes = BoxedFilter<(warp::reply::Response,)>;

/// Every route of the gateway.
pub fn routes(state: AppState, api_key: Arc<str>, media_dir: PathBuf) -> Routes {
    let cors_origin = state.settings.http.cors_origin.clone();
    let credentials = auth::Credentials::new(api_key);
    let access = auth::from_headers(credentials.clone());
    let keyed = api_routes(state.clone(), credentials.tokens.clone());
    let api = warp::path("api").and(
        events::routes(state.clone(), credentials.clone())
            .or(session::routes(credentials.clone(), https_base(&state)))
            .unify()
            .or(panel::sso::routes(state.clone(), credentials.tokens.clone()))
            .unify()
            .or(auth::key_only(access.clone()).and(keyed.clone()))
            .unify()
            .or(panel::scoped::routes(
                state.clone(),
                auth::panel_only(access),
                keyed,
            ))
            .unify(),
    );
    let media = warp::path("media").and(warp::get()).and(warp::fs::dir(media_dir));
    let panel = panel::files::routes(&state.settings.http.frame_ancestors);
    let verifier = ghl_verifier(&state);
    let provider = ghl::delivery_url::routes(state.clone(), verifier.clone())
        .or(ghl::webhooks::routes(state.clone(), verifier));
    let traced = metrics::routes(state.clone())
        .or(api)
        .or(media)
        .or(panel)
        .or(provider)
        .or(ghl::oauth::routes(state.clone()))
        .or(static_files::routes(
            state.settings.http.ui_dir.clone(),
            &state.settings.http.frame_ancestors,
        ))
        .or(error::unknown_route())
        .recover(error::recover)
        .map(Reply::into_response)
        .with(warp::trace::request())
        .map(Reply::into_response);
    // Health checks come every few seconds from Docker or a balancer: they
    // are answered outside the request log.
    let all = health::routes(state.clone())
        .map(Reply::into_response)
        .or(traced)
        .unify();
    match cors(cors_origin.as_deref()) {
        Some(cors) => all.with(cors).map(Reply::into_response).boxed(),
        None => all.boxed(),
    }
}

fn api_routes(state: AppState, tokens: Arc<PanelTokens>) -> Routes {
    // The send route first: it takes most of the traffic.
    let core = send::routes(state.clone())
        .or(instances::routes(state.clone()))
        .or(sending::routes(state.clone()))
        .or(lookup::routes(state.clone()))
        .or(groups::routes(state.clone()))
        .or(webhooks::routes(state.clone()))
        .or(panel::links::routes(state.clone(), tokens))
        .or(original::wa::routes(state.clone()))
        .or(messages::routes(state.clone()))
        .or(ghl::workflow::routes(state.clone()))
        .or(ghl::locations::routes(state.clone()))
        .or(ghl::app_settings::routes(state.clone()))
        .or(forwards::routes(state.clone()))
        .or(openapi::routes())
        .map(Reply::into_response)
        .boxed();
    match state.sim.clone() {
        Some(sim) => core
            .or(sim::routes(state, sim).map(Reply::into_response))
            .unify()
            .boxed(),
        None => core,
    }
}

/// Is the gateway's public address https (session cookies are then Secure)?
fn https_base(state: &AppState) -> bool {
    (state.settings.public_base_url.as_deref()).is_some_and(|url| url.starts_with("https://"))
}

/// The key GHL's Delivery URL requests are checked with (checked at start).
fn ghl_verifier(state: &AppState) -> Arc<crate::ghl::signature::GhlVerifier> {
    let key = &state.settings.ghl.webhook_public_key;
    Arc::new(
        crate::ghl::signature::GhlVerifier::from_spki_base64(key)
            .expect("GHL_WEBHOOK_PUBLIC_KEY was validated"),
    )
}

/// CORS from CORS_ORIGIN: `*` or a comma-separated list of origins.
fn cors(origins: Option<&str>) -> Option<warp::filters::cors::Builder> {
    let origins = origins?.trim();
    if origins.is_empty() {
        return None;
    }
    let builder = warp::cors()
        .allow_methods(["GET", "POST", "PUT", "DELETE", "OPTIONS"])
        // The original gateway's UI sends ngrok-skip-browser-warning on every call.
        .allow_headers([
            "content-type",
            "x-api-key",
            "authorization",
            "idempotency-key",
            "ngrok-skip-browser-warning",
        ]);
    Some(if origins == "*" {
        builder.allow_any_origin()
    } else {
        builder.allow_origins(origins.split(',').map(str::trim).filter(|o| !o.is_empty()))
    })
}
