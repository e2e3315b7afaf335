//! GHL's OAuth calls: exchanging an install's code, refreshing a grant,
//! and, for an agency (company) install, listing the locations that have
//! the app and getting a token for each.

use super::client::{text_field, GhlClient, GhlError, CONTACTS_VERSION};
use super::marketplace_app::AppCredentials;
use crate::support::secrets::SecretText;
use reqwest::Method;
use serde_json::Value;

/// One grant from GHL's token endpoints. Not `Debug`: it holds tokens.
pub struct TokenGrant {
    pub access_token: SecretText,
    /// A location token made from an agency's may come without one: it is
    /// renewed through the agency's token instead.
    pub refresh_token: Option<SecretText>,
    pub expires_in_secs: i64,
    pub scope: String,
    /// "Location" or "Company".
    pub user_type: String,
    pub location_id: Option<String>,
    pub company_id: Option<String>,
}

impl TokenGrant {
    pub fn is_company(&self) -> bool {
        self.user_type.eq_ignore_ascii_case("company")
    }
}

fn grant_of(answer: &Value) -> Result<TokenGrant, GhlError> {
    let optional = |key: &str| answer.get(key).and_then(Value::as_str).map(str::to_owned);
    Ok(TokenGrant {
        access_token: SecretText::new(text_field(answer, "/access_token")?),
        refresh_token: optional("refresh_token").map(SecretText::new),
        expires_in_secs: answer.get("expires_in").and_then(Value::as_i64).unwrap_or(86_399),
        scope: optional("scope").unwrap_or_default(),
        user_type: optional("userType").unwrap_or_else(|| "Location".into()),
        location_id: optional("locationId"),
        company_id: optional("companyId"),
    })
}

/// Exchanges the code GHL put on the redirect after an install. No
/// `user_type`: GHL answers with the kind of token the install made (a
/// location's, or an agency's for a bulk install).
pub async fn exchange_code(
    client: &GhlClient,
    app: &AppCredentials,
    code: &str,
) -> Result<TokenGrant, GhlError> {
    let form = [
        ("client_id", app.client_id.as_str()),
        ("client_secret", app.client_secret.expose()),
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", app.redirect_uri.as_str()),
    ];
    token_call(client, &form).await
}

/// Trades a refresh token (single use) for a new grant.
pub async fn refresh(
    client: &GhlClient,
    app: &AppCredentials,
    refresh_token: &SecretText,
    user_type: &str,
) -> Result<TokenGrant, GhlError> {
    let form = [
        ("client_id", app.client_id.as_str()),
        ("client_secret", app.client_secret.expose()),
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token.expose()),
        ("user_type", user_type),
        ("redirect_uri", app.redirect_uri.as_str()),
    ];
    token_call(client, &form).await
}

async fn token_call(client: &GhlClient, form: &[(&str, &str)]) -> Result<TokenGrant, GhlError> {
    let request = client
        .request(Method::POST, "/oauth/token", CONTACTS_VERSION, None)
        .form(form);
    grant_of(&client.send_unlimited(request).await?)
}

/// How many locations GHL lists at once: `limit`'s default in
/// apps/oauth.json (GET /oauth/installedLocations), asked for explicitly.
const PAGE: usize = 20;

/// One page of an agency's installed locations.
struct Page {
    installed: Vec<String>,
    /// How many entries the page had, installed or not.
    listed: usize,
}

/// Every location of an agency install that has the app, page by page
/// (`skip`/`limit`) until GHL lists no more. Agency-level calls count
/// against the agency's own rate limit (docs/oauth/Authorization.md: per
/// location or company).
pub async fn installed_locations(
    client: &GhlClient,
    company_token: &SecretText,
    company_id: &str,
    app_id: &str,
) -> Result<Vec<String>, GhlError> {
    let (mut found, mut skip) = (Vec::new(), 0);
    loop {
        let from = skip.to_string();
        let filter = [("appId", app_id), ("skip", from.as_str())];
        let page = installed_page(client, company_token, company_id, &filter).await?;
        found.extend(page.installed);
        skip += page.listed;
        if page.listed < PAGE {
            return Ok(found);
        }
    }
}

/// Whether the agency's install reaches `location` (GHL's `locationId`
/// filter on the same list).
pub async fn installed_in(
    client: &GhlClient,
    company_token: &SecretText,
    company_id: &str,
    app_id: &str,
    location: &str,
) -> Result<bool, GhlError> {
    let filter = [("appId", app_id), ("skip", "0"), ("locationId", location)];
    let page = installed_page(client, company_token, company_id, &filter).await?;
    Ok(page.installed.iter().any(|id| id == location))
}

async fn installed_page(
    client: &GhlClient,
    company_token: &SecretText,
    company_id: &str,
    filter: &[(&str, &str)],
) -> Result<Page, GhlError> {
    let limit = PAGE.to_string();
    let request = client
        .request(
            Method::GET,
            "/oauth/installedLocations",
            CONTACTS_VERSION,
            Some(company_token),
        )
        .query(&[
            ("companyId", company_id),
            ("isInstalled", "true"),
            ("limit", &limit),
        ])
        .query(filter);
    let answer = client.send(company_id, request).await?;
    let locations = answer
        .get("locations")
        .and_then(Value::as_array)
        .ok_or_else(|| GhlError::BadAnswer("no locations in GHL's answer".into()))?;
    let installed = locations
        .iter()
        .filter(|l| l.get("isInstalled").and_then(Value::as_bool).unwrap_or(true))
        .filter_map(|l| l.get("_id").and_then(Value::as_str).map(str::to_owned))
        .collect();
    Ok(Page {
        installed,
        listed: locations.len(),
    })
}

/// A location's own token, from the agency's. GHL's answer (2021-07-28,
/// apps/oauth.json) has no refresh token and no `companyId`: the grant
/// names the agency it came from, whose token renews it.
pub async fn location_token(
    client: &GhlClient,
    company_token: &SecretText,
    company_id: &str,
    location_id: &str,
) -> Result<TokenGrant, GhlError> {
    let request = client
        .request(
            Method::POST,
            "/oauth/locationToken",
            CONTACTS_VERSION,
            Some(company_token),
        )
        .form(&[("companyId", company_id), ("locationId", location_id)]);
    let grant = grant_of(&client.send(company_id, request).await?)?;
    Ok(TokenGrant {
        company_id: Some(company_id.to_owned()),
        location_id: grant.location_id.clone().or_else(|| Some(location_id.to_owned())),
        ..grant
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grants_read_ghls_token_answer() {
        let answer = serde_json::json!({
            "access_token": "a", "refresh_token": "r", "expires_in": 86399, "scope": "contacts.write",
            "userType": "Company", "companyId": "co1"
        });
        let grant = grant_of(&answer).unwrap();
        assert!(grant.is_company());
        assert_eq!(grant.access_token.expose(), "a");
        assert_eq!(
            grant.refresh_token.map(|r| r.expose().to_owned()).as_deref(),
            Some("r")
        );
        assert_eq!(grant.company_id.as_deref(), Some("co1"));
    }

    #[test]
    fn a_location_token_made_from_an_agencys_reads_without_refresh_token_or_company() {
        let answer = serde_json::json!({
            "access_token": "a", "token_type": "Bearer", "expires_in": 86399,
            "scope": "conversations.write", "locationId": "loc1", "userId": "u1"
        });
        let grant = grant_of(&answer).unwrap();
        assert!(!grant.is_company());
        assert!(grant.refresh_token.is_none() && grant.company_id.is_none());
        assert_eq!(grant.location_id.as_deref(), Some("loc1"));
    }

    #[test]
    fn a_grant_without_an_access_token_is_refused() {
        let answer = serde_json::json!({"refresh_token": "r", "expires_in": 10});
        assert!(grant_of(&answer).is_err());
    }
}
