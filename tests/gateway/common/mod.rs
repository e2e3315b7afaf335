//! Test harness: starts the real gateway on 127.0.0.1:0 with the sim
//! backend, and a local receiver standing in for GHL.

pub mod fake_ghl;
pub mod provider;
pub mod receiver;

use crate::support::in_process;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

pub const KEY: &str = "test-api-key-0123";

/// A running gateway.
pub struct Gateway {
    pub addr: SocketAddr,
    pub http: reqwest::Client,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<()>,
}

/// Where a test gateway keeps its state: a fresh SESSION_DIR, and either
/// the embedded store or Redis under a key prefix of its own.
pub struct TestEnv {
    pub dir: tempfile::TempDir,
    redis_prefix: Option<String>,
}

/// Runs each named scenario (`async fn(TestEnv)`) twice: on the embedded
/// store and on Redis (REDIS_URL, else 127.0.0.1:6379).
#[macro_export]
macro_rules! both_backends {
    ($($scenario:ident),* $(,)?) => {$(
        mod $scenario {
            #[tokio::test]
            async fn embedded() {
                super::$scenario($crate::common::TestEnv::embedded()).await
            }
            #[tokio::test]
            async fn redis() {
                let env = $crate::common::TestEnv::redis();
                let prefix = env.prefix();
                super::$scenario(env).await;
                $crate::common::remove_redis_keys(&prefix).await;
            }
        }
    )*};
}

pub fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

impl TestEnv {
    pub fn embedded() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
            redis_prefix: None,
        }
    }

    pub fn redis() -> Self {
        let prefix = format!("wagate-test:{}:", uuid::Uuid::new_v4().simple());
        Self {
            dir: tempfile::tempdir().unwrap(),
            redis_prefix: Some(prefix),
        }
    }

    /// The gateway's store, opened beside it, to check what it keeps.
    pub async fn open_stores(&self) -> wagate::store::Stores {
        let url = redis_url();
        let redis = self.redis_prefix.as_deref().map(|prefix| (url.as_str(), prefix));
        wagate::store::Stores::open(self.dir.path(), redis).await.unwrap()
    }

    pub fn prefix(&self) -> String {
        self.redis_prefix.clone().unwrap_or_default()
    }

    pub async fn start(&self, extra: &[(&str, String)]) -> Gateway {
        let mut all: Vec<(&str, String)> = extra.to_vec();
        if let Some(prefix) = &self.redis_prefix {
            all.push(("redis-url", redis_url()));
            all.push(("redis-prefix", prefix.clone()));
        }
        Gateway::start(self.dir.path(), &all).await
    }
}

/// Deletes a finished test's Redis keys.
pub async fn remove_redis_keys(prefix: &str) {
    crate::support::remove_redis_keys(&redis_url(), prefix).await
}

/// Settings for a test gateway: sim backend, short delays, our API key.
pub fn args(session_dir: &Path, extra: &[(&str, String)]) -> Vec<String> {
    let quick = [
        "--media-delay-ms-min=0".into(),
        "--media-delay-ms-max=0".into(),
        "--sim-receipt-delay-ms=50".into(),
        "--forward-retry-base-ms=50".into(),
        "--forward-retry-max-ms=200".into(),
        "--forward-timeout-ms=2000".into(),
        "--send-retry-base-ms=50".into(),
        "--lease-ms=1500".into(),
    ];
    let extra = extra.iter().map(|(flag, value)| format!("--{flag}={value}"));
    in_process::sim_args(session_dir, KEY, quick.into_iter().chain(extra))
}

impl Gateway {
    pub async fn start(session_dir: &Path, extra: &[(&str, String)]) -> Self {
        let shutdown = CancellationToken::new();
        let (addr, task) = in_process::serve(args(session_dir, extra), shutdown.clone()).await;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap();
        Self {
            addr,
            http,
            shutdown,
            task,
        }
    }

    /// Stops the gateway as SIGTERM would and waits until it is down.
    pub async fn stop(self) {
        self.shutdown.cancel();
        tokio::time::timeout(Duration::from_secs(40), self.task)
            .await
            .expect("the gateway stops")
            .unwrap();
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Calls the API with the key; returns the status and the JSON body.
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut request = self.http.request(method, self.url(path)).header("x-api-key", KEY);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("the gateway answers");
        let status = response.status();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(body)).await
    }

    /// wagate's word for the instance's state (`status` there is the
    /// original gateway's coarser word).
    pub async fn status_of(&self, instance: &str) -> String {
        let (_, body) = self.get(&format!("/api/wa/status/{instance}")).await;
        body["detailedStatus"].as_str().unwrap_or_default().to_owned()
    }

    /// Creates an instance, waits for its QR, scans it and waits for ONLINE.
    pub async fn linked_instance(&self, instance: &str, phone: &str) {
        let (status, _) = self
            .post("/api/instances", json!({ "instanceId": instance }))
            .await;
        assert!(status.is_success(), "create {instance}: {status}");
        eventually(&format!("{instance} shows a QR"), || async {
            self.get(&format!("/api/wa/qr/{instance}")).await.1["qr"].is_string()
        })
        .await;
        let (status, body) = self
            .post(&format!("/api/sim/{instance}/scan"), json!({ "phone": phone }))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        self.wait_status(instance, "ONLINE").await;
    }

    pub async fn wait_status(&self, instance: &str, wanted: &str) {
        eventually(&format!("{instance} becomes {wanted}"), || async {
            self.status_of(instance).await == wanted
        })
        .await;
    }

    /// The one dead forward (`GET /api/forwards?status=dead`), once there
    /// is one.
    pub async fn the_dead_forward(&self) -> Value {
        eventually("the forward is dead", || async {
            self.get("/api/forwards?status=dead").await.1["count"] == 1
        })
        .await;
        self.get("/api/forwards?status=dead").await.1["forwards"][0].clone()
    }

    /// The Prometheus text `/metrics` serves (no METRICS_TOKEN set).
    pub async fn metrics(&self) -> String {
        let response = self.http.get(self.url("/metrics")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        response.text().await.unwrap()
    }

    pub async fn sim_sent(&self, instance: &str) -> Vec<Value> {
        let (status, body) = self.get(&format!("/api/sim/{instance}/sent")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body.as_array().cloned().unwrap_or_default()
    }

    /// A fresh install link (GET /api/ghl/app mints one).
    pub async fn install_url(&self) -> String {
        let (status, app) = self.get("/api/ghl/app").await;
        assert_eq!(status, StatusCode::OK, "{app}");
        app["installUrl"].as_str().expect("an install link").to_owned()
    }

    /// The `state` of a fresh install link.
    pub async fn install_state(&self) -> String {
        let link = reqwest::Url::parse(&self.install_url().await).unwrap();
        let state = link.query_pairs().find(|(name, _)| name == "state");
        state.expect("the install link carries a state").1.into_owned()
    }

    /// GHL's redirect after an install, with `query` as it came.
    pub async fn ghl_callback(&self, query: &str) -> (StatusCode, String) {
        let url = self.url(&format!("/ghl/oauth/callback?{query}"));
        let response = self.http.get(url).send().await.unwrap();
        (response.status(), response.text().await.unwrap())
    }

    /// `POST /api/send` to `to` through `instance`, with `fields` besides.
    pub async fn send_with(&self, instance: &str, to: &str, fields: Value) -> (StatusCode, Value) {
        let mut body = json!({ "instanceId": instance, "to": to });
        if let (Some(body), Some(fields)) = (body.as_object_mut(), fields.as_object()) {
            body.extend(fields.clone());
        }
        self.post("/api/send", body).await
    }

    pub async fn send_text(&self, instance: &str, to: &str, text: &str) -> String {
        let body = json!({ "instanceId": instance, "to": to, "message": text });
        let (status, reply) = self.post("/api/send", body).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{reply}");
        reply["id"].as_str().unwrap().to_owned()
    }
}

pub fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Polls `check` until it holds; fails the test after 15 s.
pub async fn eventually<F, Fut>(what: &str, check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    crate::support::eventually_within(what, Duration::from_secs(15), check).await
}
