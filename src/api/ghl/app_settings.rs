//! Provider mode's settings and connections: `GET/PUT /api/ghl/app` shows
//! and saves the marketplace app's settings (the client secret is sealed
//! and never shown again) with the install URL to send agency admins to
//! (each answer mints a new one, good for one install within ten minutes);
//! `GET /api/ghl/connections` lists the locations (and agencies) that
//! installed the app, without their tokens; `DELETE` forgets one.

use crate::api::body::{json_body, JsonBody};
use crate::api::common::{ok, with_state, ApiResult};
use crate::api::error::ApiError;
use crate::api::ghl::locations::parse_ghl_id;
use crate::api::state::AppState;
use crate::ghl::install_state::{self, STATE_LIFETIME};
use crate::ghl::marketplace_app::SavedApp;
use serde_json::json;
use warp::filters::BoxedFilter;
use warp::{Filter, Reply};

pub fn routes(state: AppState) -> BoxedFilter<(impl Reply,)> {
    let limit = state.settings.http.max_body_bytes;
    let show = warp::path!("ghl" / "app")
        .and(warp::get())
        .and(with_state(state.clone()))
        .and_then(show_app);
    let save = warp::path!("ghl" / "app")
        .and(warp::put())
        .and(with_state(state.clone()))
        .and(json_body(limit))
        .and_then(save_app);
    let list = warp::path!("ghl" / "connections")
        .and(warp::get())
        .and(with_state(state.clone()))
        .and_then(connections);
    let forget = warp::path!("ghl" / "connections" / String)
        .and(warp::delete())
        .and(with_state(state))
        .and_then(forget_connection);
    show.or(save).or(list).or(forget).boxed()
}

async fn show_app(state: AppState) -> ApiResult {
    let app = &state.ghl.app;
    let view = app.view().await.map_err(ApiError::from)?;
    let redirect_uri = app.redirect_uri();
    let install = match view.client_id.as_deref().zip(redirect_uri) {
        Some((client_id, redirect)) => {
            let oauth_state = install_state::issue(state.stores.ghl.as_ref())
                .await
                .map_err(ApiError::from)?;
            Some(app.install_url(client_id, redirect, &oauth_state))
        }
        None => None,
    };
    let expires = install.as_ref().map(|_| {
        crate::support::clock::rfc3339(crate::support::clock::now_ms() + STATE_LIFETIME.as_millis() as i64)
    });
    ok(json!({
        "clientId": view.client_id,
        "appId": view.app_id,
        "conversationProviderId": view.conversation_provider_id,
        "hasClientSecret": app.has_secret().await.map_err(ApiError::from)?,
        "secretsEncrypted": app.secrets().encrypts(),
        "redirectUri": redirect_uri,
        "installUrl": install,
        "installUrlExpiresAt": expires,
    }))
}

async fn save_app(state: AppState, body: JsonBody) -> ApiResult {
    let update = SavedApp {
        client_id: body.text("clientId")?,
        client_secret: None,
        app_id: body.text("appId")?,
        conversation_provider_id: body.text("conversationProviderId")?,
    };
    let secret = body.text("clientSecret")?;
    if update == SavedApp::default() && secret.is_none() {
        return Err(ApiError::invalid(
            "clientId",
            "name at least one of clientId, clientSecret, appId, conversationProviderId",
        )
        .into());
    }
    state.ghl.app.save(update, secret).await.map_err(ApiError::from)?;
    show_app(state).await
}

async fn connections(state: AppState) -> ApiResult {
    let tokens = state.stores.ghl.tokens().await.map_err(ApiError::from)?;
    let listed: Vec<_> = tokens
        .iter()
        .map(|t| {
            json!({
                "id": t.owner_id,
                "kind": t.kind,
                "companyId": t.company_id,
                "scope": t.scope,
                "expiresAt": crate::support::clock::rfc3339(t.expires_at_ms),
                "updatedAt": crate::support::clock::rfc3339(t.updated_at_ms),
            })
        })
        .collect();
    ok(json!({ "connections": listed }))
}

async fn forget_connection(raw_id: String, state: AppState) -> ApiResult {
    let id = parse_ghl_id("id", &raw_id)?;
    if !state.stores.ghl.remove_token(&id).await.map_err(ApiError::from)? {
        return Err(ApiError::not_found(format!("no GHL connection {id:?}")).into());
    }
    ok(json!({ "id": id, "removed": true }))
}
