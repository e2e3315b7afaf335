//! Delivers alert events to the monitoring webhook one at a time, in order,
//! with a few tries each. The URL is never logged: it may carry a secret.

use serde_json::Value;
use std::time::Duration;
use tokio::sync::mpsc;

pub struct Notifier {
    client: reqwest::Client,
    url: String,
    /// Sent as `Authorization: Bearer`.
    token: Option<String>,
}

const TRIES: u32 = 3;
const FIRST_PAUSE: Duration = Duration::from_secs(1);
const TIMEOUT: Duration = Duration::from_secs(10);

impl Notifier {
    pub fn new(url: String, token: Option<String>) -> Self {
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .user_agent(concat!("wagate/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("a client with a timeout and user agent always builds");
        Self { client, url, token }
    }

    /// Delivers events until every sender is gone.
    pub async fn run(self, mut events: mpsc::Receiver<Value>) {
        while let Some(event) = events.recv().await {
            self.deliver(&event).await;
        }
    }

    async fn deliver(&self, event: &Value) {
        let name = event["event"].as_str().unwrap_or("alert");
        let mut pause = FIRST_PAUSE;
        for attempt in 1..=TRIES {
            let mut request = self.client.post(&self.url).json(event);
            if let Some(token) = &self.token {
                request = request.bearer_auth(token);
            }
            match request.send().await {
                Ok(r) if r.status().is_success() => {
                    tracing::info!(event = name, "alert delivered");
                    return;
                }
                Ok(r) => tracing::warn!(event = name, attempt, status = %r.status(), "alert webhook refused"),
                Err(e) => {
                    tracing::warn!(event = name, attempt, error = %e.without_url(), "alert webhook unreachable")
                }
            }
            if attempt < TRIES {
                tokio::time::sleep(pause).await;
                pause *= 2;
            }
        }
        tracing::error!(event = name, "alert could not be delivered; dropped");
    }
}
