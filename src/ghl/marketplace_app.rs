//! The GHL marketplace app wagate runs as: client id and secret, app id,
//! Conversation Provider id and the OAuth redirect URI. Each comes from its
//! environment variable when set, else from what was saved through the API
//! (the client secret sealed with SECRETS_KEY).

use super::client::GhlError;
use crate::config::Settings;
use crate::store::GhlState;
use crate::support::secrets::{SecretBox, SecretText};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The scopes the provider needs (docs/oauth/Scopes.md in
/// GoHighLevel/highlevel-api-docs): messages, conversations and contacts
/// for each location, and for an agency install `oauth.readonly` (GET
/// /oauth/installedLocations) and `oauth.write` (POST /oauth/locationToken),
/// and `custom-menu-link.readonly`/`.write` for the panel's menu link
/// (apps/custom-menus.json, the operations' `security`; Scopes.md does not
/// list them).
pub const SCOPES: &str = "conversations/message.write conversations/message.readonly conversations.readonly \
     conversations.write contacts.readonly contacts.write locations.readonly oauth.readonly oauth.write \
     custom-menu-link.readonly custom-menu-link.write";
/// The Authorization Page's path on the marketplace (docs/oauth/Authorization.md).
const AUTHORIZE_PATH: &str = "/v2/oauth/chooselocation";

/// The app's settings, complete enough to talk OAuth.
#[derive(Debug, Clone)]
pub struct AppCredentials {
    pub client_id: String,
    pub client_secret: SecretText,
    pub app_id: String,
    pub conversation_provider_id: Option<String>,
    pub redirect_uri: String,
}

/// What the API saves; every field optional (environment variables win).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SavedApp {
    pub client_id: Option<String>,
    /// Sealed by the secret box.
    pub client_secret: Option<String>,
    pub app_id: Option<String>,
    pub conversation_provider_id: Option<String>,
}

pub struct GhlApp {
    store: Arc<dyn GhlState>,
    secrets: SecretBox,
    env: SavedApp,
    env_secret: Option<SecretText>,
    redirect_uri: Option<String>,
    /// GHL_MARKETPLACE_URL: the install URL's host (white-labelled or not).
    marketplace: String,
}

impl GhlApp {
    pub fn new(settings: &Settings, store: Arc<dyn GhlState>, secrets: SecretBox) -> Self {
        let redirect_uri = settings.ghl.redirect_uri.clone().or_else(|| {
            settings
                .public_base_url
                .as_ref()
                .map(|base| format!("{base}/ghl/oauth/callback"))
        });
        Self {
            store,
            secrets,
            env: SavedApp {
                client_id: settings.ghl.client_id.clone(),
                client_secret: None,
                app_id: settings.ghl.app_id.clone(),
                conversation_provider_id: settings.ghl.conversation_provider_id.clone(),
            },
            env_secret: settings.ghl.client_secret.clone(),
            redirect_uri,
            marketplace: settings.ghl.marketplace_url.trim_end_matches('/').to_owned(),
        }
    }

    pub fn secrets(&self) -> &SecretBox {
        &self.secrets
    }

    pub fn redirect_uri(&self) -> Option<&str> {
        self.redirect_uri.as_deref()
    }

    /// Where an agency admin goes to install the app; `state` comes back on
    /// GHL's redirect (see [`super::install_state`]).
    pub fn install_url(&self, client_id: &str, redirect_uri: &str, state: &str) -> String {
        install_url(&self.marketplace, client_id, redirect_uri, state)
    }

    async fn saved(&self) -> Result<SavedApp, GhlError> {
        let Some(sealed) = self.store.ghl_app().await? else {
            return Ok(SavedApp::default());
        };
        let json = self.secrets.open(&sealed)?;
        serde_json::from_str(&json).map_err(|e| GhlError::BadAnswer(format!("saved app settings: {e}")))
    }

    /// Merges `update` into what is saved (a `None` keeps the saved value)
    /// and stores it sealed.
    pub async fn save(&self, update: SavedApp, client_secret: Option<String>) -> Result<(), GhlError> {
        let saved = self.saved().await?;
        let merged = SavedApp {
            client_id: update.client_id.or(saved.client_id),
            client_secret: client_secret
                .map(|s| self.secrets.seal(&s))
                .or(saved.client_secret),
            app_id: update.app_id.or(saved.app_id),
            conversation_provider_id: update.conversation_provider_id.or(saved.conversation_provider_id),
        };
        let json = serde_json::to_string(&merged).expect("plain data serialises");
        Ok(self.store.set_ghl_app(&self.secrets.seal(&json)).await?)
    }

    /// The effective settings, without the secret: for display.
    pub async fn view(&self) -> Result<SavedApp, GhlError> {
        let saved = self.saved().await?;
        Ok(SavedApp {
            client_id: self.env.client_id.clone().or(saved.client_id),
            client_secret: None,
            app_id: self.env.app_id.clone().or(saved.app_id),
            conversation_provider_id: self
                .env
                .conversation_provider_id
                .clone()
                .or(saved.conversation_provider_id),
        })
    }

    /// The app id GHL's app events must name: the configured one, else the
    /// client id's first part; `None` when neither is set.
    pub async fn app_id(&self) -> Result<Option<String>, GhlError> {
        let view = self.view().await?;
        Ok(view.app_id.or_else(|| view.client_id.as_deref().map(app_id_of)))
    }

    pub async fn has_secret(&self) -> Result<bool, GhlError> {
        Ok(self.env_secret.is_some() || self.saved().await?.client_secret.is_some())
    }

    /// Everything OAuth needs, or which part is missing.
    pub async fn credentials(&self) -> Result<AppCredentials, GhlError> {
        let saved = self.saved().await?;
        let client_id = self.env.client_id.clone().or(saved.client_id);
        let client_id = client_id.ok_or(GhlError::NotConfigured("GHL_CLIENT_ID is not set"))?;
        let client_secret = match &self.env_secret {
            Some(secret) => secret.clone(),
            None => {
                let sealed = saved
                    .client_secret
                    .ok_or(GhlError::NotConfigured("GHL_CLIENT_SECRET is not set"))?;
                SecretText::new(self.secrets.open(&sealed)?)
            }
        };
        let app_id = self
            .env
            .app_id
            .clone()
            .or(saved.app_id)
            .unwrap_or_else(|| app_id_of(&client_id));
        let redirect_uri = self.redirect_uri.clone().ok_or(GhlError::NotConfigured(
            "set PUBLIC_BASE_URL or GHL_REDIRECT_URI for the OAuth redirect",
        ))?;
        let conversation_provider_id = self
            .env
            .conversation_provider_id
            .clone()
            .or(saved.conversation_provider_id);
        Ok(AppCredentials {
            client_id,
            client_secret,
            app_id,
            conversation_provider_id,
            redirect_uri,
        })
    }
}

/// GHL client ids are the app id, a dash, and a suffix.
pub fn app_id_of(client_id: &str) -> String {
    client_id.split('-').next().unwrap_or(client_id).to_owned()
}

/// The Authorization Page URL of docs/oauth/Authorization.md on `marketplace`.
fn install_url(marketplace: &str, client_id: &str, redirect_uri: &str, state: &str) -> String {
    let page = format!("{marketplace}{AUTHORIZE_PATH}");
    let mut url = reqwest::Url::parse(&page).expect("GHL_MARKETPLACE_URL is checked at start");
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("client_id", client_id)
        .append_pair("scope", SCOPES)
        .append_pair("state", state);
    url.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_app_id_is_the_client_ids_first_part() {
        assert_eq!(
            app_id_of("6578278e879ad2646715ba9c-lq1abc"),
            "6578278e879ad2646715ba9c"
        );
        assert_eq!(app_id_of("plain"), "plain");
    }

    #[test]
    fn the_install_url_carries_the_redirect_scopes_and_state() {
        let url = install_url(
            "https://marketplace.gohighlevel.com",
            "app-1",
            "https://gw.example/ghl/oauth/callback",
            "s1",
        );
        assert!(
            url.starts_with("https://marketplace.gohighlevel.com/v2/oauth/chooselocation?response_type=code")
        );
        assert!(url.contains("redirect_uri=https%3A%2F%2Fgw.example%2Fghl%2Foauth%2Fcallback"));
        assert!(url.contains("client_id=app-1") && url.contains("contacts.write"));
        assert!(
            url.contains("oauth.readonly+oauth.write"),
            "agency installs: {url}"
        );
        assert!(url.ends_with("&state=s1"));
    }
}
