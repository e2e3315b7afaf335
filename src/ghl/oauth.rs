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

/// The locations of an agency install that have the app.
pub async fn installed_locations(
    client: &GhlClient,
    company_token: &SecretText,
    company_id: &str,
    app_id: &str,
) -> Result<Vec<String>, GhlError> {
    let request = client
        .request(
            Method::GET,
            "/oauth/installedLocations",
            CONTACTS_VERSION,
            Some(company_token),
        )
        .query(&[
            ("companyId", company_id),
            ("appId", app_id),
            ("isInstalled", "true"),
        ]);
    let answer = client.send_unlimited(request).await?;
    let locations = answer
        .get("locations")
        .and_then(Value::as_array)
        .ok_or_else(|| GhlError::BadAnswer("no locations in GHL's answer".into()))?;
    Ok(locations
        .iter()
        .filter(|l| l.get("isInstalled").and_then(Value::as_bool).unwrap_or(true))
        .filter_map(|l| l.get("_id").and_then(Value::as_str).map(str::to_owned))
        .collect())
}

/// A location's own token, from the agency's.
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
    grant_of(&client.send_unlimited(request).await?)
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
    fn a_grant_without_an_access_token_is_refused() {
        let answer = serde_json::json!({"refresh_token": "r", "expires_in": 10});
        assert!(grant_of(&answer).is_err());
    }
}
