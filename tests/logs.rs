//! What the logs carry: the API key, panel tokens and the event stream's
//! `?ticket=`, GHL's OAuth tokens, the app's client secret and Shared
//! Secret, GHL's user data and the token it is traded for, and SECRETS_KEY
//! appear in no log line, even at debug level; health checks log nothing;
//! a send's request id reaches the sender's log lines. Alone in its own process, so
//! one global log capture sees every line.

// Helpers shared by every test crate; this one uses a part of them.
#[allow(dead_code)]
#[path = "support/mod.rs"]
mod support;

// The gateway tests' harness, of which this test needs only a part.
#[allow(dead_code)]
#[path = "gateway/common/mod.rs"]
mod common;

use common::{TestEnv, KEY};
use reqwest::StatusCode;
use serde_json::json;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// Everything logged in this process, at debug level.
#[derive(Clone, Default)]
struct LogCapture(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogCapture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture() -> &'static LogCapture {
    static LOGS: OnceLock<LogCapture> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = LogCapture::default();
        let writer = logs.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_writer(move || writer.clone())
            .init();
        logs
    })
}

#[tokio::test]
async fn the_event_streams_ticket_and_credentials_are_never_logged() {
    let logs = capture();
    let env = TestEnv::embedded();
    let gw = env.start(&[]).await;
    gw.post("/api/instances", json!({ "instanceId": "wa-01" })).await;
    let (status, link) = gw.post("/api/panel-links", json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{link}");
    let token = link["token"].as_str().unwrap().to_owned();
    let mut tickets = Vec::new();
    for credential in [token.as_str(), KEY] {
        let answer = gw
            .http
            .post(gw.url("/api/events/ticket"))
            .bearer_auth(credential)
            .send()
            .await
            .unwrap();
        let answer: serde_json::Value = answer.json().await.unwrap();
        tickets.push(answer["ticket"].as_str().expect("a ticket").to_owned());
    }
    for ticket in tickets
        .iter()
        .map(String::as_str)
        .chain(["wge1.not-a-real-ticket"])
    {
        let mut stream = gw
            .http
            .get(gw.url(&format!("/api/events?ticket={ticket}")))
            .send()
            .await
            .unwrap();
        if stream.status() == StatusCode::OK {
            let first = tokio::time::timeout(Duration::from_secs(5), stream.chunk()).await;
            assert!(matches!(first, Ok(Ok(Some(_)))), "the stream sent an event");
        }
    }
    // Health checks, every few seconds from Docker or a balancer, log nothing.
    gw.get("/healthz").await;
    gw.get("/readyz").await;
    gw.stop().await;
    let logged = String::from_utf8_lossy(&logs.0.lock().unwrap()).into_owned();
    assert!(
        logged.contains("/api/events"),
        "the requests were logged: {logged}"
    );
    assert!(
        !logged.contains("/healthz") && !logged.contains("/readyz"),
        "a health check was logged"
    );
    for secret in tickets
        .iter()
        .map(String::as_str)
        .chain([token.as_str(), KEY, "not-a-real-ticket"])
    {
        assert!(!logged.contains(secret), "{secret} was logged");
    }
}

#[tokio::test]
async fn the_request_id_of_a_send_reaches_the_senders_logs() {
    let logs = capture();
    let env = TestEnv::embedded();
    let gw = env.start(&[]).await;
    gw.linked_instance("wa-01", "+15550000001").await;
    let body = json!({ "instanceId": "wa-01", "to": "+5511999999999", "message": "traced" });
    let reply = gw
        .http
        .post(gw.url("/api/send"))
        .header("x-api-key", KEY)
        .header("x-request-id", "req-trace-4711")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.headers()["x-request-id"], "req-trace-4711");
    common::eventually("the message is sent", || async {
        gw.sim_sent("wa-01").await.len() == 1
    })
    .await;
    gw.stop().await;
    let logged = String::from_utf8_lossy(&logs.0.lock().unwrap()).into_owned();
    let line = logged
        .lines()
        .find(|l| l.contains("message sent"))
        .expect("the sender logged the send");
    assert!(line.contains("req-trace-4711"), "no request id in: {line}");
}

#[tokio::test]
async fn ghl_tokens_and_app_secrets_are_never_logged() {
    use common::fake_ghl::FakeGhl;
    let logs = capture();
    let ghl = FakeGhl::start().await;
    ghl.set_token_lifetime(1);
    let secrets_key = "secrets-key-that-must-not-show";
    let shared_secret = "shared-secret-that-must-not-show";
    let env = TestEnv::embedded();
    let gw = env
        .start(&[
            ("ghl-api-base", ghl.base_url()),
            ("ghl-client-id", FakeGhl::CLIENT_ID.to_owned()),
            ("ghl-client-secret", FakeGhl::CLIENT_SECRET.to_owned()),
            ("ghl-conversation-provider-id", "provider-1".to_owned()),
            (
                "ghl-redirect-uri",
                "https://gw.example/ghl/oauth/callback".to_owned(),
            ),
            ("secrets-key", secrets_key.to_owned()),
            ("ghl-shared-secret", shared_secret.to_owned()),
        ])
        .await;
    gw.linked_instance("wa-01", "+15550000001").await;
    let route = json!({ "defaultInstanceId": "wa-01" });
    gw.call(reqwest::Method::PUT, "/api/ghl/locations/loc1", Some(route))
        .await;
    let code = ghl.location_install_code("loc1");
    assert_eq!(ghl.install(&gw, &code).await.0, StatusCode::OK);
    let user = support::ghl_user_data::location_user("fake-company", "loc1");
    let payload = support::ghl_user_data::encrypt(&user, shared_secret);
    let signed: serde_json::Value = gw
        .http
        .post(gw.url("/api/panel/sso"))
        .json(&json!({ "payload": payload }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let panel_token = signed["token"].as_str().expect("signed in from GHL").to_owned();
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let inbound = json!({ "from": "+14155550123", "text": "after expiry", "id": "L1" });
    gw.post("/api/sim/wa-01/inbound", inbound).await;
    common::eventually("the message reached GHL", || async {
        ghl.inbound_messages().len() == 1
    })
    .await;
    gw.stop().await;
    assert!(ghl.refresh_count("loc1") >= 1, "a refresh happened");
    let logged = String::from_utf8_lossy(&logs.0.lock().unwrap()).into_owned();
    let mut secrets = vec![
        FakeGhl::CLIENT_SECRET.to_owned(),
        secrets_key.to_owned(),
        code,
        shared_secret.to_owned(),
        payload,
        panel_token,
    ];
    for request in ghl.requests() {
        if let Some(bearer) = request.headers.get("authorization") {
            secrets.push(bearer.trim_start_matches("Bearer ").to_owned());
        }
        if let Some(refresh) = request.form.as_ref().and_then(|f| f.get("refresh_token")) {
            secrets.push(refresh.clone());
        }
    }
    assert!(secrets.len() > 4, "tokens were used: {secrets:?}");
    for secret in secrets {
        assert!(!logged.contains(&secret), "a GHL secret was logged");
    }
}
