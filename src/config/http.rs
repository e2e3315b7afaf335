//! The HTTP server's settings: where it listens, what a request may be,
//! how long connections may take, who may frame the panel, and what it
//! serves at `/`.

use crate::support::secrets::SecretText;
use clap::Args;
use std::time::Duration;

#[derive(Debug, Clone, Args)]
pub struct HttpSection {
    /// Address to listen on.
    #[arg(long, env = "HOST", default_value = "0.0.0.0")]
    pub host: String,
    /// Port to listen on.
    #[arg(long, env = "PORT", default_value_t = 8080)]
    pub port: u16,
    /// Origins allowed by CORS (comma-separated, or *). Unset: no CORS headers.
    #[arg(long, env = "CORS_ORIGIN")]
    pub cors_origin: Option<String>,
    /// Largest JSON request body, in bytes.
    #[arg(long, env = "MAX_BODY_BYTES", default_value_t = 256 * 1024)]
    pub max_body_bytes: u64,
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
    #[arg(
        id = "http_header_read_timeout_ms",
        long = "http-header-read-timeout-ms",
        env = "HTTP_HEADER_READ_TIMEOUT_MS",
        default_value_t = 10_000
    )]
    pub header_read_timeout_ms: u64,
    /// How long a connection may stay idle between requests before it is closed, in ms.
    #[arg(
        id = "http_idle_timeout_ms",
        long = "http-idle-timeout-ms",
        env = "HTTP_IDLE_TIMEOUT_MS",
        default_value_t = 60_000
    )]
    pub idle_timeout_ms: u64,
    /// Most HTTP connections open at once; more wait until one closes. Keep it well
    /// below the process's file descriptor limit (ulimit -n).
    #[arg(
        id = "http_max_connections",
        long = "http-max-connections",
        env = "HTTP_MAX_CONNECTIONS",
        default_value_t = 512
    )]
    pub max_connections: u32,
    /// A folder of static files (e.g. the original gateway's built UI) served at `/`, with
    /// unknown non-API paths answered by its index.html. Unset: `/` redirects to the panel.
    #[arg(long, env = "UI_DIR")]
    pub ui_dir: Option<std::path::PathBuf>,
    /// How many instances `GET /api/wa/qr/:id` may create on first call, and how many
    /// `wa-NN` ids `/api/wa/instances/available` offers (the original gateway's limit was 3).
    #[arg(long, env = "COMPAT_MAX_INSTANCES", default_value_t = 3)]
    pub compat_max_instances: u32,
}

impl HttpSection {
    pub(super) fn validate(&self) -> Result<(), String> {
        super::check_frame_ancestors(&self.frame_ancestors)?;
        super::positive("MAX_BODY_BYTES", self.max_body_bytes)?;
        super::positive("HTTP_HEADER_READ_TIMEOUT_MS", self.header_read_timeout_ms)?;
        super::positive("HTTP_IDLE_TIMEOUT_MS", self.idle_timeout_ms)?;
        super::positive("HTTP_MAX_CONNECTIONS", self.max_connections.into())?;
        if matches!(&self.metrics_token, Some(token) if token.expose().trim().is_empty()) {
            return Err("METRICS_TOKEN is set but empty; unset it to leave /metrics open".into());
        }
        check_ui_dir(self.ui_dir.as_deref())
    }

    /// The bounds of the HTTP server's connections.
    pub fn limits(&self) -> crate::api::Limits {
        crate::api::Limits {
            max_connections: self.max_connections as usize,
            timeouts: crate::api::Timeouts {
                header_read: Duration::from_millis(self.header_read_timeout_ms),
                idle: Duration::from_millis(self.idle_timeout_ms),
            },
        }
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
