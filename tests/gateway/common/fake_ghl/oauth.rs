//! OAuth: code and refresh-token exchange (single-use refresh tokens),
//! a Company's installed locations, and location tokens minted from a
//! Company token.

use super::http::{Reply, SeenRequest};
use super::state::{new_id, Grant, State, UserType, OAUTH_VERSION};
use super::FakeGhl;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::Duration;
use tokio::time::Instant;

const SCOPE: &str = "contacts.readonly contacts.write conversations.readonly conversations.write \
                     conversations/message.readonly conversations/message.write locations.readonly \
                     oauth.readonly oauth.write";

/// POST /oauth/token
pub(super) fn token(state: &mut State, req: &SeenRequest) -> Result<Reply, Reply> {
    let form = req.form.clone().unwrap_or_default();
    let [client_id, client_secret, grant_type] =
        state.require(req, &form, ["client_id", "client_secret", "grant_type"])?;
    if client_id != FakeGhl::CLIENT_ID || client_secret != FakeGhl::CLIENT_SECRET {
        let problem = format!("{}: wrong client id or secret", req.line());
        return Err(state.reject(problem, Reply::oauth_error(401, "invalid_client")));
    }
    let grant = match grant_type.as_str() {
        "authorization_code" => redeem_code(state, req, &form)?,
        "refresh_token" => redeem_refresh_token(state, req, &form)?,
        other => {
            let problem = format!("{}: grant_type {other}", req.line());
            return Err(state.reject(problem, Reply::oauth_error(400, "unsupported_grant_type")));
        }
    };
    check_user_type(state, req, &form, &grant)?;
    Ok(Reply::ok(issue(state, grant)))
}

fn redeem_code(state: &mut State, req: &SeenRequest, form: &HashMap<String, String>) -> Result<Grant, Reply> {
    let [code] = state.require(req, form, ["code"])?;
    state.codes.remove(&code).ok_or_else(|| {
        let problem = format!("{}: unknown or already used code {code}", req.line());
        state.reject(problem, Reply::oauth_error(400, "invalid_grant"))
    })
}

fn redeem_refresh_token(
    state: &mut State,
    req: &SeenRequest,
    form: &HashMap<String, String>,
) -> Result<Grant, Reply> {
    let [token] = state.require(req, form, ["refresh_token"])?;
    let Some(grant) = state.refresh_tokens.remove(&token) else {
        let problem = match state.spent_refresh_tokens.contains(&token) {
            true => format!("{}: refresh token reused", req.line()),
            false => format!("{}: unknown refresh token", req.line()),
        };
        return Err(state.reject(problem, Reply::oauth_error(400, "invalid_grant")));
    };
    state.spent_refresh_tokens.insert(token);
    *state.refreshes.entry(grant.subject().to_owned()).or_default() += 1;
    Ok(grant)
}

/// `user_type`, when sent, must name the kind of install the grant is.
fn check_user_type(
    state: &mut State,
    req: &SeenRequest,
    form: &HashMap<String, String>,
    grant: &Grant,
) -> Result<(), Reply> {
    match form.get("user_type") {
        Some(asked) if asked != grant.user_type.as_str() => {
            let problem = format!(
                "{}: user_type {asked} for a {:?} grant",
                req.line(),
                grant.user_type
            );
            Err(state.reject(problem, Reply::oauth_error(400, "invalid_grant")))
        }
        _ => Ok(()),
    }
}

/// Mints an access and a refresh token; returns GHL's token response.
fn issue(state: &mut State, grant: Grant) -> Value {
    let access_token = new_id("fake-access-");
    let refresh_token = new_id("fake-refresh-");
    let expires = Instant::now() + Duration::from_secs(state.token_lifetime);
    let mut body = json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": state.token_lifetime,
        "refresh_token": refresh_token,
        "scope": SCOPE,
        "userType": grant.user_type.as_str(),
        "companyId": grant.company_id,
        "userId": "fake-user",
    });
    if let Some(location_id) = &grant.location_id {
        body["locationId"] = json!(location_id);
    }
    state.access_tokens.insert(access_token, (grant.clone(), expires));
    state.refresh_tokens.insert(refresh_token, grant);
    body
}

/// GET /oauth/installedLocations
pub(super) fn installed_locations(state: &mut State, req: &SeenRequest) -> Result<Reply, Reply> {
    state.check_version(req, OAUTH_VERSION)?;
    state.bearer(req)?;
    let [company_id, app_id] = state.require(req, &req.query, ["companyId", "appId"])?;
    state.company_bearer(req, &company_id)?;
    if app_id != FakeGhl::APP_ID {
        let problem = format!("{}: appId {app_id}, wanted {}", req.line(), FakeGhl::APP_ID);
        return Err(state.reject(problem, Reply::error(400, "Invalid appId")));
    }
    let installed = state
        .company_locations
        .get(&company_id)
        .cloned()
        .unwrap_or_default();
    let locations: Vec<Value> = installed.iter().map(|id| location_json(id)).collect();
    Ok(Reply::ok(
        json!({ "locations": locations, "count": installed.len() }),
    ))
}

fn location_json(id: &str) -> Value {
    json!({
        "_id": id,
        "name": format!("Location {id}"),
        "address": "1 Test Street, Springfield",
        "isInstalled": true,
    })
}

/// POST /oauth/locationToken
pub(super) fn location_token(state: &mut State, req: &SeenRequest) -> Result<Reply, Reply> {
    state.check_version(req, OAUTH_VERSION)?;
    state.bearer(req)?;
    let form = req.form.clone().unwrap_or_default();
    let [company_id, location_id] = state.require(req, &form, ["companyId", "locationId"])?;
    state.company_bearer(req, &company_id)?;
    let installed = state.company_locations.get(&company_id);
    if !installed.is_some_and(|locations| locations.contains(&location_id)) {
        let problem = format!("{}: {location_id} is not installed in {company_id}", req.line());
        return Err(state.reject(problem, Reply::error(400, "Location not found")));
    }
    let grant = Grant {
        user_type: UserType::Location,
        company_id,
        location_id: Some(location_id),
    };
    Ok(Reply::ok(issue(state, grant)))
}
