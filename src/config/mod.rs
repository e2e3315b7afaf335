//! Settings: every one a clap flag with an environment variable of the same
//! meaning (the original Node gateway's names stay valid), checked at start
//! so a bad value stops the gateway with a clear message.

mod alerts;
mod duration;
mod forward;
mod ghl;
mod http;
mod redis;
mod sending;
mod wa;

pub use alerts::AlertSection;
pub use forward::ForwardSection;
pub use ghl::GhlSection;
pub use http::HttpSection;
pub use redis::RedisSection;
pub use sending::{SendSection, SendingDefaults};
pub use wa::WaSection;

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

/// Every setting, as clap reads them: the few that concern the whole
/// process here, the rest in one section per part of the data path.
#[derive(Debug, Clone, Args)]
pub struct Config {
    /// The key every /api route needs. Unset: one is made and kept in SESSION_DIR/api-key.
    #[arg(long, env = "API_KEY", hide_env_values = true)]
    pub api_key: Option<SecretText>,
    /// Where auth state and the embedded database live (mount it as a volume).
    #[arg(long, env = "SESSION_DIR", default_value = "./sessions")]
    pub session_dir: PathBuf,
    /// The gateway's public URL, used in links to stored inbound media.
    #[arg(long, env = "PUBLIC_BASE_URL")]
    pub public_base_url: Option<String>,
    /// Old name of PUBLIC_BASE_URL.
    #[arg(long, env = "NGROK_BASE_URL", hide = true)]
    pub ngrok_base_url: Option<String>,
    /// Log lines as text or JSON.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: LogFormat,
    /// ISO country assumed for numbers written without a country code (e.g. BR). Unset: refuse them.
    #[arg(long, env = "DEFAULT_COUNTRY")]
    pub default_country: Option<String>,
    /// Encrypts OAuth tokens and the client secret at rest (any long random string). Unset: kept in plain text.
    #[arg(long, env = "SECRETS_KEY", hide_env_values = true)]
    pub secrets_key: Option<SecretText>,
    /// This process's name among those sharing a Redis. Unset: a random one.
    #[arg(long, env = "NODE_ID")]
    pub node_id: Option<String>,
    /// Longest graceful shutdown (finishing sends in flight, closing sessions): 8s, 1m, or ms.
    /// The default fits inside `docker stop`'s 10 s; a send cut off is sent again after the
    /// restart under the same id.
    #[arg(long, env = "SHUTDOWN_TIMEOUT", default_value = "8s", value_parser = duration::parse)]
    pub shutdown_timeout: Duration,
    #[command(flatten)]
    pub http: HttpSection,
    #[command(flatten)]
    pub redis: RedisSection,
    #[command(flatten)]
    pub send: SendSection,
    #[command(flatten)]
    pub forward: ForwardSection,
    #[command(flatten)]
    pub ghl: GhlSection,
    #[command(flatten)]
    pub wa: WaSection,
    #[command(flatten)]
    pub alerts: AlertSection,
}

/// Settings checked and turned into the types the gateway uses.
#[derive(Debug, Clone)]
pub struct Settings {
    pub api_key: Option<SecretText>,
    pub session_dir: PathBuf,
    pub log_format: LogFormat,
    pub secrets_key: Option<SecretText>,
    pub shutdown_timeout: Duration,
    /// This process's node id (NODE_ID, or made at start).
    pub node_id: String,
    /// PUBLIC_BASE_URL (or its old name NGROK_BASE_URL), without a trailing `/`.
    pub public_base_url: Option<String>,
    pub default_country: Option<rlibphonenumber::Region>,
    pub http: HttpSection,
    pub redis: RedisSection,
    pub send: SendSection,
    pub forward: ForwardSection,
    pub ghl: GhlSection,
    pub wa: WaSection,
    /// With ALERT_WEBHOOK_URL set from MONITORING_WEBHOOK_URL when only that is.
    pub alerts: AlertSection,
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
        self.http.validate()?;
        self.redis.validate()?;
        self.send.validate()?;
        self.forward.validate()?;
        self.ghl.validate()?;
        if matches!(&self.api_key, Some(key) if key.expose().trim().len() < 8) {
            return Err("API_KEY must be at least 8 characters".into());
        }
        if matches!(&self.secrets_key, Some(key) if key.expose().len() < 16) {
            return Err("SECRETS_KEY must be at least 16 characters (try: openssl rand -base64 32)".into());
        }
        let public = self.public_base_url.or(self.ngrok_base_url);
        check_url("PUBLIC_BASE_URL", public.as_deref())?;
        let default_country = self
            .default_country
            .as_deref()
            .map(parse_country)
            .transpose()
            .map_err(|e| format!("DEFAULT_COUNTRY: {e}"))?;
        let mut alerts = self.alerts;
        alerts.webhook_url = alerts.webhook_url.or(alerts.monitoring_webhook_url.take());
        check_url("ALERT_WEBHOOK_URL", alerts.webhook_url.as_deref())?;
        Ok(Settings {
            api_key: self.api_key,
            session_dir: self.session_dir,
            log_format: self.log_format,
            secrets_key: self.secrets_key,
            shutdown_timeout: self.shutdown_timeout,
            node_id: self.node_id.unwrap_or_else(random_node_id),
            public_base_url: public.map(|u| u.trim_end_matches('/').to_owned()),
            default_country,
            http: self.http,
            redis: self.redis,
            send: self.send,
            forward: self.forward,
            ghl: self.ghl,
            wa: self.wa,
            alerts,
        })
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

#[cfg(test)]
mod tests;
