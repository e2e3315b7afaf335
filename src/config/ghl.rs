//! GoHighLevel's settings: the marketplace app (provider mode), GHL's
//! addresses, its webhook key, and how a location's numbers take over.

use super::duration;
use crate::support::secrets::SecretText;
use clap::Args;
use std::time::Duration;

#[derive(Debug, Clone, Args)]
pub struct GhlSection {
    /// GHL's Ed25519 key for X-GHL-Signature on the provider's Delivery URL (SPKI, base64 DER).
    #[arg(id = "ghl_webhook_public_key", long = "ghl-webhook-public-key", env = "GHL_WEBHOOK_PUBLIC_KEY", default_value = crate::ghl::signature::GHL_PUBLIC_KEY)]
    pub webhook_public_key: String,
    /// The GHL marketplace app's client id (Conversation Provider mode). Also settable in the panel API.
    #[arg(id = "ghl_client_id", long = "ghl-client-id", env = "GHL_CLIENT_ID")]
    pub client_id: Option<String>,
    /// The GHL marketplace app's client secret.
    #[arg(
        id = "ghl_client_secret",
        long = "ghl-client-secret",
        env = "GHL_CLIENT_SECRET",
        hide_env_values = true
    )]
    pub client_secret: Option<SecretText>,
    /// The app's Shared Secret (Advanced Settings → Auth): opens the user data GHL gives the
    /// panel when it frames it, so GHL users sign in without a key. Unset: no sign-in from GHL.
    #[arg(
        id = "ghl_shared_secret",
        long = "ghl-shared-secret",
        env = "GHL_SHARED_SECRET",
        hide_env_values = true
    )]
    pub shared_secret: Option<SecretText>,
    /// The app's id, for listing an agency install's locations. Unset: the client id's part before "-".
    #[arg(id = "ghl_app_id", long = "ghl-app-id", env = "GHL_APP_ID")]
    pub app_id: Option<String>,
    /// The Conversation Provider's id (from the app's Conversation Providers page).
    #[arg(
        id = "ghl_conversation_provider_id",
        long = "ghl-conversation-provider-id",
        env = "GHL_CONVERSATION_PROVIDER_ID"
    )]
    pub conversation_provider_id: Option<String>,
    /// Send audio attachments and recordings from GHL's inbox as WhatsApp voice notes (false: as audio files).
    #[arg(
        id = "ghl_audio_as_voice", long = "ghl-audio-as-voice",
        env = "GHL_AUDIO_AS_VOICE",
        default_value_t = true,
        num_args = 0..=1,
        default_missing_value = "true",
        action = clap::ArgAction::Set
    )]
    pub audio_as_voice: bool,
    /// GHL's API (tests point it at a local fake).
    #[arg(
        id = "ghl_api_base",
        long = "ghl-api-base",
        env = "GHL_API_BASE",
        default_value = "https://services.leadconnectorhq.com"
    )]
    pub api_base: String,
    /// GHL's marketplace, host of the install (authorize) URL; white-labelled: https://marketplace.leadconnectorhq.com.
    #[arg(
        id = "ghl_marketplace_url",
        long = "ghl-marketplace-url",
        env = "GHL_MARKETPLACE_URL",
        default_value = "https://marketplace.gohighlevel.com"
    )]
    pub marketplace_url: String,
    /// The OAuth redirect URI registered with the app. Unset: PUBLIC_BASE_URL + /ghl/oauth/callback.
    #[arg(id = "ghl_redirect_uri", long = "ghl-redirect-uri", env = "GHL_REDIRECT_URI")]
    pub redirect_uri: Option<String>,
    /// How long a location's number may be down before its contacts' replies go from the
    /// location's next number: 10m, 30s, or ms.
    #[arg(long, env = "ROUTE_FAILOVER_AFTER", default_value = "10m", value_parser = duration::parse)]
    pub route_failover_after: Duration,
}

impl GhlSection {
    pub(super) fn validate(&self) -> Result<(), String> {
        super::check_url("GHL_API_BASE", Some(&self.api_base))?;
        super::check_url("GHL_REDIRECT_URI", self.redirect_uri.as_deref())?;
        super::check_url("GHL_MARKETPLACE_URL", Some(&self.marketplace_url))?;
        if matches!(&self.shared_secret, Some(secret) if secret.expose().trim().is_empty()) {
            return Err("GHL_SHARED_SECRET is set but empty; unset it to turn sign-in from GHL off".into());
        }
        crate::ghl::signature::GhlVerifier::from_spki_base64(&self.webhook_public_key)
            .map(|_| ())
            .map_err(|e| format!("GHL_WEBHOOK_PUBLIC_KEY: {e}"))
    }
}
