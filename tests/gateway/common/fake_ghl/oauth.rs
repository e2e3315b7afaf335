//! OAuth as GoHighLevel/highlevel-api-docs describes it: the install
//! (authorize) URL of docs/oauth/Authorization.md, whose scopes are exactly
//! what the tokens get; code and refresh-token exchange (single-use refresh
//! tokens); and for an agency (Company) token, its installed locations
//! (paged) and location tokens (apps/oauth.json).

use super::http::{Reply, SeenRequest};
use super::state::{new_id, Grant, State, UserType, OAUTH_VERSION};
use super::FakeGhl;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::Duration;
use tokio::time::Instant;

/// docs/oauth/Authorization.md: the standard and the white-labelled hosts
/// of the Authorization Page URL, and its path.
const AUTHORIZE_HOSTS: [&str; 2] = ["marketplace.gohighlevel.com", "marketplace.leadconnectorhq.com"];
const AUTHORIZE_PATH: &str = "/v2/oauth/chooselocation";
/// apps/oauth.json, GET /oauth/installedLocations: `limit` defaults to 20.
const DEFAULT_PAGE: usize = 20;

/// The admin opens `install_url` and consents: the URL must be the
/// documented one (docs/oauth/Authorization.md) with this app's client id,
/// and the scopes it asks for become the code's. Returns the query GHL's
/// redirect carries (`code`, and `state` when the URL had one).
pub(super) fn consent(state: &mut State, install_url: &str, code: &str) -> Result<String, String> {
    let url = reqwest::Url::parse(install_url).map_err(|e| format!("{install_url}: {e}"))?;
    let query: HashMap<String, String> = url.query_pairs().into_owned().collect();
    let host_ok = url.scheme() == "https" && AUTHORIZE_HOSTS.contains(&url.host_str().unwrap_or_default());
    if !host_ok || url.path() != AUTHORIZE_PATH {
        return Err(format!("not GHL's authorize URL: {install_url}"));
    }
    let wanted = [("response_type", "code"), ("client_id", FakeGhl::CLIENT_ID)];
    for (name, value) in wanted {
        if query.get(name).map(String::as_str) != Some(value) {
            return Err(format!("{name} should be {value}: {install_url}"));
        }
    }
    if query.get("redirect_uri").is_none_or(String::is_empty) {
        return Err(format!("no redirect_uri: {install_url}"));
    }
    let scopes: Vec<String> = query
        .get("scope")
        .map(|s| s.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default();
    let mut grant = state
        .unconsented_codes
        .remove(code)
        .ok_or_else(|| format!("no code {code} waiting for consent"))?;
    grant.scopes = scopes;
    state.codes.insert(code.to_owned(), grant);
    let mut redirect = format!("code={code}");
    if let Some(oauth_state) = query.get("state") {
        redirect.push_str(&format!("&state={oauth_state}"));
    }
    Ok(redirect)
}

/// POST /oauth/token (apps/oauth.json, GetAccessCodebodyDto)
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
    if state.unconsented_codes.contains_key(&code) {
        let problem = format!("{}: code {code} never went through an install URL", req.line());
        return Err(state.reject(problem, Reply::oauth_error(400, "invalid_grant")));
    }
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

/// An access token for `grant`, good for the fake's token lifetime.
fn new_access_token(state: &mut State, grant: &Grant) -> String {
    let access_token = new_id("fake-access-");
    let expires = Instant::now() + Duration::from_secs(state.token_lifetime);
    state
        .access_tokens
        .insert(access_token.clone(), (grant.clone(), expires));
    access_token
}

/// Mints an access and a refresh token; returns GHL's token response
/// (apps/oauth.json, GetAccessCodeSuccessfulResponseDto).
fn issue(state: &mut State, grant: Grant) -> Value {
    let access_token = new_access_token(state, &grant);
    let refresh_token = new_id("fake-refresh-");
    let mut body = json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": state.token_lifetime,
        "refresh_token": refresh_token,
        "scope": grant.scopes.join(" "),
        "userType": grant.user_type.as_str(),
        "companyId": grant.company_id,
        "userId": "fake-user",
    });
    if let Some(location_id) = &grant.location_id {
        body["locationId"] = json!(location_id);
    }
    state.refresh_tokens.insert(refresh_token, grant);
    body
}

/// GET /oauth/installedLocations (apps/oauth.json: Agency-Access-Only,
/// scope oauth.readonly; `companyId` and `appId` required; paged by `skip`
/// and `limit`, 20 by default; optional `locationId` and `isInstalled`).
pub(super) fn installed_locations(state: &mut State, req: &SeenRequest) -> Result<Reply, Reply> {
    state.check_version(req, OAUTH_VERSION)?;
    state.scoped(req, "oauth.readonly")?;
    let [company_id, app_id] = state.require(req, &req.query, ["companyId", "appId"])?;
    state.company_bearer(req, &company_id)?;
    if app_id != FakeGhl::APP_ID {
        let problem = format!("{}: appId {app_id}, wanted {}", req.line(), FakeGhl::APP_ID);
        return Err(state.reject(problem, Reply::error(400, "Invalid appId")));
    }
    let [skip, limit] = page_of(state, req)?;
    let only = req.query.get("locationId");
    let installed: Vec<String> = state
        .company_locations
        .get(&company_id)
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|id| only.is_none_or(|only| only == id))
        .collect();
    let page: Vec<Value> = installed
        .iter()
        .skip(skip)
        .take(limit)
        .map(|id| location_json(id))
        .collect();
    Ok(Reply::ok(
        json!({ "locations": page, "count": installed.len(), "installToFutureLocations": true }),
    ))
}

/// `skip` and `limit`, numbers as strings (apps/oauth.json), or a 422.
fn page_of(state: &mut State, req: &SeenRequest) -> Result<[usize; 2], Reply> {
    let number = |name: &str, default: usize| match req.query.get(name) {
        None => Ok(default),
        Some(text) => text
            .parse::<usize>()
            .map_err(|_| format!("{name} must be a number")),
    };
    match (number("skip", 0), number("limit", DEFAULT_PAGE)) {
        (Ok(skip), Ok(limit)) => Ok([skip, limit]),
        (Err(e), _) | (_, Err(e)) => {
            let problem = format!("{}: {e}", req.line());
            Err(state.reject(problem, Reply::error(422, vec![e])))
        }
    }
}

fn location_json(id: &str) -> Value {
    json!({
        "_id": id,
        "name": format!("Location {id}"),
        "address": "1 Test Street, Springfield",
        "isInstalled": true,
    })
}

/// POST /oauth/locationToken (apps/oauth.json: Agency-Access-Only, scope
/// oauth.write; form `companyId`, `locationId`). The answer is
/// GetLocationAccessTokenSuccessfulResponseDto: no `companyId`, no
/// `refresh_token`, no `userType`; the token has the agency's scopes.
pub(super) fn location_token(state: &mut State, req: &SeenRequest) -> Result<Reply, Reply> {
    state.check_version(req, OAUTH_VERSION)?;
    state.scoped(req, "oauth.write")?;
    let form = req.form.clone().unwrap_or_default();
    let [company_id, location_id] = state.require(req, &form, ["companyId", "locationId"])?;
    let agency = state.company_bearer(req, &company_id)?;
    let installed = state.company_locations.get(&company_id);
    if !installed.is_some_and(|locations| locations.contains(&location_id)) {
        let problem = format!("{}: {location_id} is not installed in {company_id}", req.line());
        return Err(state.reject(problem, Reply::error(400, "Location not found")));
    }
    let grant = Grant {
        user_type: UserType::Location,
        company_id,
        location_id: Some(location_id.clone()),
        scopes: agency.scopes,
    };
    let access_token = new_access_token(state, &grant);
    *state.location_tokens_made.entry(location_id.clone()).or_default() += 1;
    Ok(Reply::ok(json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": state.token_lifetime,
        "scope": grant.scopes.join(" "),
        "locationId": location_id,
        "userId": "fake-user",
        "appId": FakeGhl::APP_ID,
    })))
}
