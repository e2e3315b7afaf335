//! A client of one gateway's API over HTTP, for tests that run the binary
//! as a process: a refused connection reads as a 503 with its text rather
//! than a panic, since those tests kill and restart what they talk to.

use crate::support::eventually_within;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::time::Duration;

/// How long a test waits for the gateway to get somewhere.
const LIMIT: Duration = Duration::from_secs(60);

#[derive(Clone)]
pub struct Api {
    http: reqwest::Client,
    base: String,
    key: String,
}

impl Api {
    pub fn new(base: &str, key: &str) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap();
        Self {
            http,
            base: base.to_owned(),
            key: key.to_owned(),
        }
    }

    /// The client, once the gateway at `base` answers `/healthz`.
    pub async fn answering(base: &str, key: &str) -> Self {
        let api = Self::new(base, key);
        eventually_within("the API answers", LIMIT, || async {
            api.get("/healthz").await.0 == StatusCode::OK
        })
        .await;
        api
    }

    /// Sends raw bytes as JSON; a body that is not JSON reads as a string.
    pub async fn raw(&self, method: Method, path: &str, body: Option<Vec<u8>>) -> (StatusCode, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("x-api-key", &self.key);
        if let Some(body) = body {
            request = request.header("content-type", "application/json").body(body);
        }
        match request.send().await {
            Ok(response) => {
                let status = response.status();
                let text = response.text().await.unwrap_or_default();
                (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
            }
            Err(e) => (StatusCode::SERVICE_UNAVAILABLE, Value::String(e.to_string())),
        }
    }

    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        self.raw(method, path, body.map(|b| b.to_string().into_bytes()))
            .await
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(body)).await
    }

    /// The status the original gateway's route shows for `id`.
    pub async fn instance(&self, id: &str) -> Value {
        self.get(&format!("/api/wa/status/{id}")).await.1
    }

    /// What the sim network got from `id`, in order.
    pub async fn sim_sent(&self, id: &str) -> Vec<Value> {
        let (_, body) = self.get(&format!("/api/sim/{id}/sent")).await;
        body.as_array().cloned().unwrap_or_default()
    }

    /// Creates the instance, scans its QR and waits until it is ONLINE.
    pub async fn link(&self, id: &str, phone: &str) {
        let (status, body) = self.post("/api/instances", json!({ "instanceId": id })).await;
        assert!(status.is_success(), "{body}");
        eventually_within(&format!("{id} shows a QR"), LIMIT, || async {
            self.get(&format!("/api/wa/qr-check/{id}")).await.1["success"] == true
        })
        .await;
        let (status, body) = self
            .post(&format!("/api/sim/{id}/scan"), json!({ "phone": phone }))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        eventually_within(&format!("{id} is ONLINE"), LIMIT, || async {
            self.instance(id).await["status"] == "ONLINE"
        })
        .await;
    }
}
