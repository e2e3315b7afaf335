//! The one HTTP client for GHL's API: every call carries the bearer token
//! and the `Version` header its API family wants, waits its turn under the
//! per-location rate limit, and turns GHL's answers into [`GhlError`]s that
//! say whether trying again later can help. URLs and tokens never reach
//! an error message.

use super::rate_limit::RateLimiter;
use crate::store::StoreError;
use crate::support::retry::parse_retry_after;
use crate::support::secrets::{SecretError, SecretText};
use reqwest::{Method, RequestBuilder, Response};
use serde_json::Value;
use std::time::Duration;

/// The `Version` header of the conversations API.
pub const CONVERSATIONS_VERSION: &str = "2021-04-15";
/// The `Version` header of the contacts, locations and OAuth APIs.
pub const CONTACTS_VERSION: &str = "2021-07-28";

#[derive(Debug, thiserror::Error)]
pub enum GhlError {
    #[error("GHL provider mode is not set up: {0}")]
    NotConfigured(&'static str),
    #[error("location {0} has not installed the GHL app (no token)")]
    NotInstalled(String),
    #[error("GHL refused the token (401)")]
    Unauthorized,
    #[error("GHL answered {status}: {message}")]
    Status {
        status: u16,
        message: String,
        retry_after: Option<Duration>,
    },
    #[error("GHL answered with an empty body (is GHL_CONVERSATION_PROVIDER_ID right?)")]
    EmptyBody,
    #[error("could not reach GHL: {0}")]
    Transport(String),
    #[error("GHL's answer did not have the expected shape: {0}")]
    BadAnswer(String),
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl GhlError {
    /// What GHL asked us to wait, if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Whether the same call may succeed later: GHL unreachable, busy
    /// (429) or failing (5xx), or the store not answering.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Transport(_) | Self::Store(_) => true,
            Self::Status { status, .. } => *status == 429 || *status >= 500,
            _ => false,
        }
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Status { status, .. } => Some(*status),
            Self::Unauthorized => Some(401),
            _ => None,
        }
    }
}

pub struct GhlClient {
    http: reqwest::Client,
    base: String,
    limiter: RateLimiter,
}

impl GhlClient {
    /// A client counting GHL's rate limit in `limiter`.
    pub fn new(base: &str, timeout: Duration, limiter: RateLimiter) -> Self {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .user_agent(concat!("wagate/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("a client with a timeout and user agent always builds");
        Self {
            http,
            base: base.trim_end_matches('/').to_owned(),
            limiter,
        }
    }

    /// A request to `path`, with its Version header and, when given, the
    /// bearer token.
    pub fn request(
        &self,
        method: Method,
        path: &str,
        version: &str,
        token: Option<&SecretText>,
    ) -> RequestBuilder {
        let builder = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("Version", version)
            .header(reqwest::header::ACCEPT, "application/json");
        match token {
            Some(token) => builder.bearer_auth(token.expose()),
            None => builder,
        }
    }

    /// Sends a request made for `location` (or, for an agency-level call,
    /// the company) once the rate limit allows it, notes what GHL's
    /// `X-RateLimit-*` headers say, and reads GHL's JSON answer.
    pub async fn send(&self, location: &str, request: RequestBuilder) -> Result<Value, GhlError> {
        self.limiter
            .acquire(location)
            .await
            .map_err(|until_tomorrow| GhlError::Status {
                status: 429,
                message: format!("GHL's daily request limit for {location} is used up"),
                retry_after: Some(until_tomorrow),
            })?;
        let response = request.send().await.map_err(transport)?;
        self.limiter.observe(location, response.headers()).await;
        read(response).await
    }

    /// Sends a request that is not about one location (OAuth's token calls).
    pub async fn send_unlimited(&self, request: RequestBuilder) -> Result<Value, GhlError> {
        let response = request.send().await.map_err(transport)?;
        read(response).await
    }
}

fn transport(error: reqwest::Error) -> GhlError {
    let error = error.without_url();
    if error.is_timeout() {
        GhlError::Transport("GHL did not answer in time".into())
    } else {
        GhlError::Transport(error.to_string())
    }
}

/// A 2xx with a JSON body is the answer; an empty body is a failure (GHL
/// answers that way when it drops a message); anything else is an error
/// carrying GHL's own message.
async fn read(response: Response) -> Result<Value, GhlError> {
    let status = response.status();
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_retry_after);
    let body = response.bytes().await.map_err(transport)?;
    if status == reqwest::StatusCode::UNAUTHORIZED {
        return Err(GhlError::Unauthorized);
    }
    if !status.is_success() {
        return Err(GhlError::Status {
            status: status.as_u16(),
            message: error_message(&body),
            retry_after,
        });
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(GhlError::EmptyBody);
    }
    serde_json::from_slice(&body).map_err(|e| GhlError::BadAnswer(e.to_string()))
}

/// GHL's `message` (or `error`) field, else the start of the body.
fn error_message(body: &[u8]) -> String {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let field = parsed.as_ref().and_then(|v| {
        ["message", "error_description", "error"]
            .iter()
            .find_map(|k| v.get(*k))
            .map(|m| m.as_str().map_or_else(|| m.to_string(), str::to_owned))
    });
    field.unwrap_or_else(|| String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned())
}

/// A string field of a GHL answer, or a clear error naming it.
pub fn text_field(answer: &Value, pointer: &str) -> Result<String, GhlError> {
    answer
        .pointer(pointer)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| GhlError::BadAnswer(format!("no {pointer} in GHL's answer")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_messages_come_from_ghls_own_fields() {
        assert_eq!(
            error_message(br#"{"statusCode":403,"message":"no access"}"#),
            "no access"
        );
        assert_eq!(error_message(br#"{"error":"invalid_grant"}"#), "invalid_grant");
        assert_eq!(error_message(b"Bad Gateway"), "Bad Gateway");
    }

    fn answer(status: u16, body: &'static str) -> Response {
        Response::from(http::Response::builder().status(status).body(body).unwrap())
    }

    #[tokio::test]
    async fn an_empty_success_is_a_failure_and_401_is_told_apart() {
        assert!(matches!(read(answer(201, "")).await, Err(GhlError::EmptyBody)));
        assert!(matches!(
            read(answer(401, "{}")).await,
            Err(GhlError::Unauthorized)
        ));
        let forbidden = read(answer(403, r#"{"message":"no access"}"#)).await.unwrap_err();
        assert_eq!(forbidden.status(), Some(403));
        assert_eq!(read(answer(200, r#"{"ok":1}"#)).await.unwrap()["ok"], 1);
    }

    #[test]
    fn only_failures_that_may_pass_are_transient() {
        let status = |status| GhlError::Status {
            status,
            message: String::new(),
            retry_after: None,
        };
        assert!(status(429).is_transient() && status(503).is_transient());
        assert!(GhlError::Transport("reset".into()).is_transient());
        assert!(!status(400).is_transient() && !GhlError::Unauthorized.is_transient());
        assert!(!GhlError::NotConfigured("x").is_transient());
    }

    #[test]
    fn fields_are_found_by_pointer() {
        let answer = serde_json::json!({"contact": {"id": "c1"}, "empty": ""});
        assert_eq!(text_field(&answer, "/contact/id").unwrap(), "c1");
        assert!(text_field(&answer, "/empty").is_err());
        assert!(text_field(&answer, "/missing").is_err());
    }
}
