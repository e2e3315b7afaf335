//! Settings: every one a clap flag with an environment variable of the same
//! meaning (the original Node gateway's names stay valid), checked at start
//! so a bad value stops the gateway with a clear message.

mod duration;
mod sending;

pub use sending::SendingDefaults;

use crate::domain::parse_country;
use crate::support::secrets::SecretText;
use clap::{Args, ValueEnum};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WaBackendKind {
    /// Real WhatsApp through whatsapp-rust.
    Whatsapp,
    /// The in-process simulated network, for tests and demos.
    Sim,
}

/// What a process does when several share one Redis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Role {
    /// HTTP API and WhatsApp sessions, senders and forwarders.
    All,
    /// HTTP API only.
    Api,
    /// Sessions, senders and forwarders only; no HTTP.
    Worker,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "HOST", default_value = "0.0.0.0")]
    pub host: String,
    /// Port to listen on.
    #[arg(long, env = "PORT", default_value_t = 8080)]
    pub port: u16,
    /// The key every /api route needs. Unset: one is made and kept in SESSION_DIR/api-key.
    #[arg(long, env = "API_KEY", hide_env_values = true)]
    pub api_key: Option<SecretText>,
    /// Where auth state and the embedded database live (mount it as a volume).
    #[arg(long, env = "SESSION_DIR", default_value = "./sessions")]
    pub session_dir: PathBuf,
    /// Redis for scale-out. Unset: the embedded SQLite store.
    #[arg(long, env = "REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<String>,
    /// The start of every Redis key this gateway writes.
    #[arg(long, env = "REDIS_PREFIX", default_value = "wagate:")]
    pub redis_prefix: String,
    /// all, api (HTTP only) or worker (sessions and queues only); api and worker need REDIS_URL.
    #[arg(long, env = "ROLE", value_enum, default_value = "all")]
    pub role: Role,
    /// This process's name among those sharing a Redis. Unset: a random one.
    #[arg(long, env = "NODE_ID")]
    pub node_id: Option<String>,
    /// How long an instance's ownership lease lasts without renewal, in ms (Redis only).
    #[arg(long, env = "LEASE_MS", default_value_t = 15_000)]
    pub lease_ms: u64,
    #[command(flatten)]
    pub sending: SendingDefaults,
    /// Origins allowed by CORS (comma-separated, or *). Unset: no CORS headers.
    #[arg(long, env = "CORS_ORIGIN")]
    pub cors_origin: Option<String>,
    /// Where inbound WhatsApp messages are POSTed (a GHL inbound webhook URL).
    #[arg(long, env = "GHL_INBOUND_URL")]
    pub ghl_inbound_url: Option<String>,
    /// The gateway's public URL, used in links to stored inbound media.
    #[arg(long, env = "PUBLIC_BASE_URL")]
    pub public_base_url: Option<String>,
    /// Old name of PUBLIC_BASE_URL.
    #[arg(long, env = "NGROK_BASE_URL", hide = true)]
    pub ngrok_base_url: Option<String>,
    /// Which WhatsApp backend to run.
    #[arg(long, env = "WA_BACKEND", value_enum, default_value = "whatsapp")]
    pub wa_backend: WaBackendKind,
    /// WhatsApp Web version to announce (e.g. 2.3000.1023456789). Unset: fetched from web.whatsapp.com.
    #[arg(long, env = "WA_VERSION", value_parser = crate::wa::real::WaVersion::parse)]
    pub wa_version: Option<crate::wa::real::WaVersion>,
    /// Loopback tests only (feature wa-loopback): the ws:// URL of a loopback WhatsApp server.
    #[cfg(feature = "wa-loopback")]
    #[arg(long, env = "WA_WS_URL", value_parser = crate::wa::real::parse_ws_url)]
    pub wa_ws_url: Option<String>,
    /// Log lines as text or JSON.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: LogFormat,
    /// ISO country assumed for numbers written without a country code (e.g. BR). Unset: refuse them.
    #[arg(long, env = "DEFAULT_COUNTRY")]
    pub default_country: Option<String>,
    /// Let mediaUrl point at loopback or private addresses (off: refused, against SSRF).
    #[arg(
        long,
        env = "ALLOW_PRIVATE_MEDIA_URLS",
        default_value_t = false,
        num_args = 0..=1,
        default_missing_value = "true",
        action = clap::ArgAction::Set
    )]
    pub allow_private_media_urls: bool,
    /// Largest media file fetched for a send, in bytes.
    #[arg(long, env = "MEDIA_MAX_BYTES", default_value_t = 16 * 1024 * 1024)]
    pub media_max_bytes: u64,
    /// Time limit for fetching a media file, in ms.
    #[arg(long, env = "MEDIA_FETCH_TIMEOUT_MS", default_value_t = 20_000)]
    pub media_fetch_timeout_ms: u64,
    /// Longest audio a voice note is made from, in seconds (type voice; longer is refused).
    #[arg(long, env = "VOICE_MAX_SECONDS", default_value_t = 900, value_parser = clap::value_parser!(u32).range(1..=7200))]
    pub voice_max_seconds: u32,
    /// Largest JSON request body, in bytes.
    #[arg(long, env = "MAX_BODY_BYTES", default_value_t = 256 * 1024)]
    pub max_body_bytes: u64,
    /// Tries of a send that fails for a passing cause before it is marked failed.
    #[arg(long, env = "SEND_MAX_ATTEMPTS", default_value_t = 5)]
    pub send_max_attempts: u32,
    /// First pause before retrying a failed send, in ms (doubles each time).
    #[arg(long, env = "SEND_RETRY_BASE_MS", default_value_t = 2000)]
    pub send_retry_base_ms: u64,
    /// Longest pause before retrying a failed send, in ms.
    #[arg(long, env = "SEND_RETRY_MAX_MS", default_value_t = 300_000)]
    pub send_retry_max_ms: u64,
    /// GHL's Ed25519 key for X-GHL-Signature on the provider's Delivery URL (SPKI, base64 DER).
    #[arg(long, env = "GHL_WEBHOOK_PUBLIC_KEY", default_value = crate::ghl::signature::GHL_PUBLIC_KEY)]
    pub ghl_webhook_public_key: String,
    /// The GHL marketplace app's client id (Conversation Provider mode). Also settable in the panel API.
    #[arg(long, env = "GHL_CLIENT_ID")]
    pub ghl_client_id: Option<String>,
    /// The GHL marketplace app's client secret.
    #[arg(long, env = "GHL_CLIENT_SECRET", hide_env_values = true)]
    pub ghl_client_secret: Option<SecretText>,
    /// The app's Shared Secret (Advanced Settings → Auth): opens the user data GHL gives the
    /// panel when it frames it, so GHL users sign in without a key. Unset: no sign-in from GHL.
    #[arg(long, env = "GHL_SHARED_SECRET", hide_env_values = true)]
    pub ghl_shared_secret: Option<SecretText>,
    /// The app's id, for listing an agency install's locations. Unset: the client id's part before "-".
    #[arg(long, env = "GHL_APP_ID")]
    pub ghl_app_id: Option<String>,
    /// The Conversation Provider's id (from the app's Conversation Providers page).
    #[arg(long, env = "GHL_CONVERSATION_PROVIDER_ID")]
    pub ghl_conversation_provider_id: Option<String>,
    /// Send audio attachments and recordings from GHL's inbox as WhatsApp voice notes (false: as audio files).
    #[arg(
        long,
        env = "GHL_AUDIO_AS_VOICE",
        default_value_t = true,
        num_args = 0..=1,
        default_missing_value = "true",
        action = clap::ArgAction::Set
    )]
    pub ghl_audio_as_voice: bool,
    /// GHL's API (tests point it at a local fake).
    #[arg(
        long,
        env = "GHL_API_BASE",
        default_value = "https://services.leadconnectorhq.com"
    )]
    pub ghl_api_base: String,
    /// GHL's marketplace, host of the install (authorize) URL; white-labelled: https://marketplace.leadconnectorhq.com.
    #[arg(
        long,
        env = "GHL_MARKETPLACE_URL",
        default_value = "https://marketplace.gohighlevel.com"
    )]
    pub ghl_marketplace_url: String,
    /// The OAuth redirect URI registered with the app. Unset: PUBLIC_BASE_URL + /ghl/oauth/callback.
    #[arg(long, env = "GHL_REDIRECT_URI")]
    pub ghl_redirect_uri: Option<String>,
    /// Encrypts OAuth tokens and the client secret at rest (any long random string). Unset: kept in plain text.
    #[arg(long, env = "SECRETS_KEY", hide_env_values = true)]
    pub secrets_key: Option<SecretText>,
    /// Signs each forward with HMAC-SHA256 (header X-Wagate-Signature). Unset: unsigned.
    #[arg(long, env = "WEBHOOK_SECRET", hide_env_values = true)]
    pub webhook_secret: Option<SecretText>,
    /// Tries of a forward to GHL before it becomes a dead letter.
    #[arg(long, env = "FORWARD_MAX_ATTEMPTS", default_value_t = 8)]
    pub forward_max_attempts: u32,
    /// First pause before retrying a forward, in ms (doubles each time, with jitter).
    #[arg(long, env = "FORWARD_RETRY_BASE_MS", default_value_t = 1000)]
    pub forward_retry_base_ms: u64,
    /// Longest pause between two tries of a forward, in ms.
    #[arg(long, env = "FORWARD_RETRY_MAX_MS", default_value_t = 300_000)]
    pub forward_retry_max_ms: u64,
    /// Time limit of one forward request, in ms.
    #[arg(long, env = "FORWARD_TIMEOUT_MS", default_value_t = 10_000)]
    pub forward_timeout_ms: u64,
    /// How long a connection may stay down before the gateway builds a fresh client, in ms.
    #[arg(long, env = "RECONNECT_WATCHDOG_MS", default_value_t = 120_000)]
    pub reconnect_watchdog_ms: u64,
    /// Who may frame the panel: the CSP frame-ancestors sources, space-separated
    /// (add the agency's white-label GHL domains).
    #[arg(
        long,
        env = "FRAME_ANCESTORS",
        default_value = "'self' https://app.gohighlevel.com https://*.leadconnectorhq.com"
    )]
    pub frame_ancestors: String,
    /// Bearer token `/metrics` needs. Unset: `/metrics` is open.
    #[arg(long, env = "METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<SecretText>,
    /// Time a client has to send a request's whole head, from opening the connection
    /// (or its first byte after an idle spell), in ms; slower ones are closed.
    #[arg(long, env = "HTTP_HEADER_READ_TIMEOUT_MS", default_value_t = 10_000)]
    pub http_header_read_timeout_ms: u64,
    /// How long a connection may stay idle between requests before it is closed, in ms.
    #[arg(long, env = "HTTP_IDLE_TIMEOUT_MS", default_value_t = 60_000)]
    pub http_idle_timeout_ms: u64,
    /// Most HTTP connections open at once; more wait until one closes. Keep it well
    /// below the process's file descriptor limit (ulimit -n).
    #[arg(long, env = "HTTP_MAX_CONNECTIONS", default_value_t = 512)]
    pub http_max_connections: u32,
    /// Longest graceful shutdown (finishing sends in flight, closing sessions): 8s, 1m, or ms.
    /// The default fits inside `docker stop`'s 10 s; a send cut off is sent again after the
    /// restart under the same id.
    #[arg(long, env = "SHUTDOWN_TIMEOUT", default_value = "8s", value_parser = duration::parse)]
    pub shutdown_timeout: Duration,
    /// Where alert events are POSTed as JSON (logout, ban, long offline, dead letters). Unset: no alerts.
    #[arg(long, env = "ALERT_WEBHOOK_URL")]
    pub alert_webhook_url: Option<String>,
    /// Other name of ALERT_WEBHOOK_URL.
    #[arg(long, env = "MONITORING_WEBHOOK_URL", hide = true)]
    pub monitoring_webhook_url: Option<String>,
    /// Sent as `Authorization: Bearer` with every alert.
    #[arg(long, env = "MONITORING_WEBHOOK_TOKEN", hide_env_values = true)]
    pub monitoring_webhook_token: Option<String>,
    /// How long a linked instance may be down before an alert: 5m, 30s, or ms.
    #[arg(long, env = "ALERT_OFFLINE_AFTER", default_value = "5m", value_parser = duration::parse)]
    pub alert_offline_after: Duration,
    /// How many "is this number on WhatsApp?" lookups each instance may make a minute
    /// (many lookups are a bulk-checking signal that gets numbers banned).
    #[arg(long, env = "LOOKUPS_PER_MINUTE", default_value_t = 20)]
    pub lookups_per_minute: u32,
    /// How long a location's number may be down before its contacts' replies go from the
    /// location's next number: 10m, 30s, or ms.
    #[arg(long, env = "ROUTE_FAILOVER_AFTER", default_value = "10m", value_parser = duration::parse)]
    pub route_failover_after: Duration,
    /// Sim backend only: delay before a simulated delivered receipt (read follows after as long again), in ms.
    #[arg(long, env = "SIM_RECEIPT_DELAY_MS", default_value_t = 300)]
    pub sim_receipt_delay_ms: u64,
    /// Sim backend only: how long a send takes to reach the simulated network, in ms.
    #[arg(long, env = "SIM_SEND_DELAY_MS", default_value_t = 0)]
    pub sim_send_delay_ms: u64,
    /// A folder of static files (e.g. the original gateway's built UI) served at `/`, with
    /// unknown non-API paths answered by its index.html. Unset: `/` redirects to the panel.
    #[arg(long, env = "UI_DIR")]
    pub ui_dir: Option<std::path::PathBuf>,
    /// How many instances `GET /api/wa/qr/:id` may create on first call, and how many
    /// `wa-NN` ids `/api/wa/instances/available` offers (the original gateway's limit was 3).
    #[arg(long, env = "COMPAT_MAX_INSTANCES", default_value_t = 3)]
    pub compat_max_instances: u32,
}

/// Settings checked and turned into the types the gateway uses.
#[derive(Debug, Clone)]
pub struct Settings {
    pub raw: Config,
    /// This process's node id (NODE_ID, or made at start).
    pub node_id: String,
    pub public_base_url: Option<String>,
    pub default_country: Option<rlibphonenumber::Region>,
    /// ALERT_WEBHOOK_URL, or its other name MONITORING_WEBHOOK_URL.
    pub alert_webhook_url: Option<String>,
}

/// The settings alone, as a command line (for tests and tools).
#[derive(Debug, clap::Parser)]
#[command(name = "wagate", args_override_self = true)]
struct SettingsOnly {
    #[command(flatten)]
    config: Config,
}

impl Config {
    /// Reads settings from command-line style arguments (the first is the
    /// program name) and the environment.
    pub fn from_args<I, T>(args: I) -> Result<Config, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        <SettingsOnly as clap::Parser>::try_parse_from(args).map(|s| s.config)
    }

    /// Checks every value; the error is a sentence naming the variable.
    pub fn validate(self) -> Result<Settings, String> {
        self.sending.validate()?;
        if let Some(url) = &self.redis_url {
            if !url.starts_with("redis://") && !url.starts_with("rediss://") {
                return Err("REDIS_URL must start with redis:// or rediss://".into());
            }
        }
        if self.role != Role::All && self.redis_url.is_none() {
            return Err(
                "ROLE api or worker needs REDIS_URL: processes share their work through Redis".into(),
            );
        }
        if self.lease_ms < 1000 {
            return Err("LEASE_MS must be at least 1000".into());
        }
        if matches!(&self.api_key, Some(key) if key.expose().trim().len() < 8) {
            return Err("API_KEY must be at least 8 characters".into());
        }
        check_url("GHL_INBOUND_URL", self.ghl_inbound_url.as_deref())?;
        check_url("GHL_API_BASE", Some(&self.ghl_api_base))?;
        check_url("GHL_REDIRECT_URI", self.ghl_redirect_uri.as_deref())?;
        check_url("GHL_MARKETPLACE_URL", Some(&self.ghl_marketplace_url))?;
        if matches!(&self.ghl_shared_secret, Some(secret) if secret.expose().trim().is_empty()) {
            return Err("GHL_SHARED_SECRET is set but empty; unset it to turn sign-in from GHL off".into());
        }
        if matches!(&self.secrets_key, Some(key) if key.expose().len() < 16) {
            return Err("SECRETS_KEY must be at least 16 characters (try: openssl rand -base64 32)".into());
        }
        crate::ghl::signature::GhlVerifier::from_spki_base64(&self.ghl_webhook_public_key)
            .map_err(|e| format!("GHL_WEBHOOK_PUBLIC_KEY: {e}"))?;
        let public = self
            .public_base_url
            .clone()
            .or_else(|| self.ngrok_base_url.clone());
        check_url("PUBLIC_BASE_URL", public.as_deref())?;
        let default_country = self
            .default_country
            .as_deref()
            .map(parse_country)
            .transpose()
            .map_err(|e| format!("DEFAULT_COUNTRY: {e}"))?;
        check_frame_ancestors(&self.frame_ancestors)?;
        positive("SEND_MAX_ATTEMPTS", self.send_max_attempts.into())?;
        positive("FORWARD_MAX_ATTEMPTS", self.forward_max_attempts.into())?;
        positive("MAX_BODY_BYTES", self.max_body_bytes)?;
        positive("FORWARD_TIMEOUT_MS", self.forward_timeout_ms)?;
        positive("SEND_RETRY_MAX_MS", self.send_retry_max_ms)?;
        positive("HTTP_HEADER_READ_TIMEOUT_MS", self.http_header_read_timeout_ms)?;
        positive("HTTP_IDLE_TIMEOUT_MS", self.http_idle_timeout_ms)?;
        positive("HTTP_MAX_CONNECTIONS", self.http_max_connections.into())?;
        if matches!(&self.metrics_token, Some(token) if token.expose().trim().is_empty()) {
            return Err("METRICS_TOKEN is set but empty; unset it to leave /metrics open".into());
        }
        let public_base_url = public.map(|u| u.trim_end_matches('/').to_owned());
        let node_id = self.node_id.clone().unwrap_or_else(random_node_id);
        let alert_webhook_url = self
            .alert_webhook_url
            .clone()
            .or_else(|| self.monitoring_webhook_url.clone());
        check_url("ALERT_WEBHOOK_URL", alert_webhook_url.as_deref())?;
        check_ui_dir(self.ui_dir.as_deref())?;
        Ok(Settings {
            raw: self,
            node_id,
            public_base_url,
            default_country,
            alert_webhook_url,
        })
    }
}

/// UI_DIR must be a folder with an index.html (what unknown paths get).
fn check_ui_dir(dir: Option<&std::path::Path>) -> Result<(), String> {
    match dir {
        Some(dir) if !dir.join("index.html").is_file() => Err(format!(
            "UI_DIR {} is not a folder with an index.html",
            dir.display()
        )),
        _ => Ok(()),
    }
}

fn random_node_id() -> String {
    format!("node-{}", &uuid::Uuid::new_v4().simple().to_string()[..8])
}

fn check_url(name: &str, value: Option<&str>) -> Result<(), String> {
    let Some(value) = value else { return Ok(()) };
    match reqwest::Url::parse(value) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => Ok(()),
        _ => Err(format!("{name} must be an http(s) URL (got {value:?})")),
    }
}

/// Space-separated CSP sources: nothing that could end the directive or the header.
fn check_frame_ancestors(value: &str) -> Result<(), String> {
    let allowed = |c: char| c == ' ' || (c.is_ascii_graphic() && !matches!(c, ';' | ','));
    if value.trim().is_empty() || !value.chars().all(allowed) {
        return Err(format!(
            "FRAME_ANCESTORS must be space-separated CSP sources such as 'self' https://app.gohighlevel.com (got {value:?})"
        ));
    }
    Ok(())
}

fn positive(name: &str, value: u64) -> Result<(), String> {
    if value == 0 {
        return Err(format!("{name} must be greater than 0"));
    }
    Ok(())
}

impl Settings {
    /// The bounds of the HTTP server's connections.
    pub fn http_limits(&self) -> crate::api::Limits {
        crate::api::Limits {
            max_connections: self.raw.http_max_connections as usize,
            timeouts: crate::api::Timeouts {
                header_read: Duration::from_millis(self.raw.http_header_read_timeout_ms),
                idle: Duration::from_millis(self.raw.http_idle_timeout_ms),
            },
        }
    }
}

#[cfg(test)]
mod tests;
