//! A small client of a running gateway's API for the operator commands:
//! the base URL, the API key (API_KEY, or the one kept in
//! SESSION_DIR/api-key), and the JSON envelope turned into results.

use serde_json::Value;
use std::path::Path;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("no API key: set API_KEY, or start the gateway once so it writes {0}")]
    NoKey(String),
    #[error("cannot read the API key from {path}: {source}")]
    KeyFile { path: String, source: std::io::Error },
    #[error("cannot reach the gateway at {base}: {reason}")]
    Unreachable { base: String, reason: String },
    #[error("the gateway answered {status}: {message}")]
    Api { status: u16, message: String },
    #[error("{0}")]
    Other(String),
}

/// The key to call the API with: API_KEY, else SESSION_DIR/api-key.
pub fn existing_key(configured: Option<&str>, session_dir: &Path) -> Result<String, ClientError> {
    if let Some(key) = configured {
        return Ok(key.trim().to_owned());
    }
    let path = crate::session_dir::api_key::key_file(session_dir);
    let shown = path.display().to_string();
    match crate::session_dir::api_key::read(&path) {
        Ok(Some(key)) => Ok(key),
        Ok(None) => Err(ClientError::NoKey(shown)),
        Err(source) => Err(ClientError::KeyFile { path: shown, source }),
    }
}

pub struct ApiClient {
    http: reqwest::Client,
    base: String,
    key: String,
}

const TIMEOUT: Duration = Duration::from_secs(15);

impl ApiClient {
    pub fn new(base: &str, key: String) -> Result<Self, ClientError> {
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .build()
            .map_err(|e| ClientError::Other(e.to_string()))?;
        Ok(Self {
            http,
            base: base.trim_end_matches('/').to_owned(),
            key,
        })
    }

    pub async fn get(&self, path: &str) -> Result<Value, ClientError> {
        self.call(self.http.get(self.url(path))).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Result<Value, ClientError> {
        self.call(self.http.post(self.url(path)).json(body)).await
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends the request with the key; a non-2xx answer becomes its error sentence.
    async fn call(&self, request: reqwest::RequestBuilder) -> Result<Value, ClientError> {
        let unreachable = |e: reqwest::Error| ClientError::Unreachable {
            base: self.base.clone(),
            reason: cause(&e),
        };
        let response = request
            .header("x-api-key", &self.key)
            .send()
            .await
            .map_err(unreachable)?;
        let status = response.status();
        let body: Value = response.json().await.map_err(unreachable)?;
        if status.is_success() {
            return Ok(body);
        }
        let message = body["error"].as_str().unwrap_or("no reason given").to_owned();
        Err(ClientError::Api {
            status: status.as_u16(),
            message,
        })
    }
}

/// The innermost cause of a failed request (e.g. connection refused).
fn cause(error: &reqwest::Error) -> String {
    let mut inner: &dyn std::error::Error = error;
    while let Some(source) = inner.source() {
        inner = source;
    }
    inner.to_string()
}
