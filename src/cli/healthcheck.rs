//! `wagate healthcheck`: asks the gateway on this machine for `/healthz`.
//! The container's HEALTHCHECK runs it, so the image needs no curl. It
//! never goes through a proxy: HTTP_PROXY set for the gateway's own calls
//! out must not send its self-check elsewhere.

use clap::Args;
use std::time::Duration;

#[derive(Debug, Clone, Args)]
pub struct HealthcheckArgs {
    /// Port of the gateway to check (the same PORT it serves on).
    #[arg(long, env = "PORT", default_value_t = 8080)]
    pub port: u16,
    /// How long to wait for the answer, in ms.
    #[arg(long, default_value_t = 3000)]
    pub timeout_ms: u64,
}

/// True when `GET http://127.0.0.1:<port>/healthz` answers 200 in time.
pub async fn healthy(args: &HealthcheckArgs) -> bool {
    let client = match reqwest::Client::builder()
        .timeout(Duration::from_millis(args.timeout_ms))
        .no_proxy()
        .build()
    {
        Ok(client) => client,
        Err(_) => return false,
    };
    let url = format!("http://127.0.0.1:{}/healthz", args.port);
    matches!(client.get(url).send().await, Ok(r) if r.status() == reqwest::StatusCode::OK)
}
