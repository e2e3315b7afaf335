//! The embeddable panel: its files and headers, signed panel links, what a
//! panel token may do, and the live event stream.

use crate::common::{Gateway, KEY};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::time::Duration;

#[tokio::test]
async fn the_panel_is_served_with_a_csp_and_may_be_framed() {
    let dir = tempfile::tempdir().unwrap();
    let ancestors = "'self' https://agency.example".to_owned();
    let gw = Gateway::start(dir.path(), &[("frame-ancestors", ancestors)]).await;
    let page = gw.http.get(gw.url("/panel/")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let headers = page.headers().clone();
    assert!(headers.get("x-frame-options").is_none());
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'self'"), "{csp}");
    assert!(csp.contains("img-src 'self' data:"), "{csp}");
    assert!(
        csp.contains("frame-ancestors 'self' https://agency.example"),
        "{csp}"
    );
    assert!(page.text().await.unwrap().contains("app.js"));
    let files = [
        ("/panel/api.js", "javascript"),
        ("/panel/app.js", "javascript"),
        ("/panel/style.css", "css"),
    ];
    for (path, kind) in files {
        let file = gw.http.get(gw.url(path)).send().await.unwrap();
        assert!(file.headers()["content-type"].to_str().unwrap().contains(kind));
        assert!(file.headers().contains_key("content-security-policy"));
        assert!(!file.text().await.unwrap().is_empty());
    }
    let no_follow = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let bare = no_follow.get(gw.url("/panel")).send().await.unwrap();
    assert_eq!(bare.headers()["location"], "/panel/");
    gw.stop().await;
}

/// Calls the API with a bearer credential.
async fn with_bearer(
    gw: &Gateway,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = gw.http.request(method, gw.url(path)).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn panel_link(gw: &Gateway, body: Value) -> Value {
    let (status, link) = gw.post("/api/panel-links", body).await;
    assert_eq!(status, StatusCode::CREATED, "{link}");
    link
}

#[tokio::test]
async fn a_panel_link_opens_the_panel_for_its_instances_only() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(dir.path(), &[]).await;
    gw.linked_instance("wa-01", "+15550000001").await;
    gw.linked_instance("wa-02", "+15550000002").await;
    let link = panel_link(&gw, json!({ "instances": ["wa-01"], "expiresInSeconds": 600 })).await;
    let token = link["token"].as_str().unwrap();
    let url = link["url"].as_str().unwrap();
    assert_eq!(url, format!("http://{}/panel/#token={token}", gw.addr));
    assert!(link["expiresAt"].is_string());

    let (status, list) = with_bearer(&gw, token, Method::GET, "/api/instances", None).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["count"], 1);
    assert_eq!(list["instances"][0]["instanceId"], "wa-01");
    let (status, _) = with_bearer(&gw, token, Method::GET, "/api/wa/status/wa-01", None).await;
    assert_eq!(status, StatusCode::OK);
    let send = json!({ "instanceId": "wa-01", "to": "+5511999999999", "message": "hi" });
    let (status, body) = with_bearer(&gw, token, Method::POST, "/api/send", Some(send)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");

    let refused: [(Method, &str, Option<Value>); 6] = [
        (Method::GET, "/api/wa/qr/wa-02", None),
        (Method::POST, "/api/wa/reconnect/wa-02", None),
        (Method::GET, "/api/messages/history?instanceId=wa-02", None),
        (
            Method::POST,
            "/api/send",
            Some(json!({ "instanceId": "wa-02", "to": "+5511999999999", "message": "x" })),
        ),
        (Method::DELETE, "/api/instances/wa-01", None),
        (Method::POST, "/api/panel-links", Some(json!({}))),
    ];
    for (method, path, body) in refused {
        let (status, answer) = with_bearer(&gw, token, method.clone(), path, body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}: {answer}");
        assert_eq!(answer["code"], "forbidden");
        assert!(
            answer["error"].as_str().unwrap().contains("panel link"),
            "{answer}"
        );
    }
    assert_eq!(
        gw.status_of("wa-01").await,
        "ONLINE",
        "the refused delete did nothing"
    );
    gw.stop().await;
}

#[tokio::test]
async fn expired_forged_and_other_key_tokens_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(dir.path(), &[]).await;
    let tokens = wagate::panel_token::PanelTokens::from_api_key(KEY);
    let expired = tokens.sign(&wagate::panel_token::Claims {
        expires_at: chrono::Utc::now().timestamp() - 1,
        instances: None,
    });
    let (status, body) = with_bearer(&gw, &expired, Method::GET, "/api/instances", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body["error"].as_str().unwrap().contains("expired"), "{body}");

    let link = panel_link(&gw, json!({})).await;
    let token = link["token"].as_str().unwrap();
    let forged = format!("{}x", token);
    let (status, _) = with_bearer(&gw, &forged, Method::GET, "/api/instances", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let other = wagate::panel_token::PanelTokens::from_api_key("another-key-123").sign(
        &wagate::panel_token::Claims {
            expires_at: i64::MAX,
            instances: None,
        },
    );
    let (status, _) = with_bearer(&gw, &other, Method::GET, "/api/instances", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let (status, body) = gw
        .post("/api/panel-links", json!({ "expiresInSeconds": 5 }))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["field"], "expiresInSeconds");
    let (status, body) = gw
        .post("/api/panel-links", json!({ "instances": ["../x"] }))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["field"], "instances");
    gw.stop().await;
}

/// Reads the event stream until an event satisfies `wanted`.
async fn next_event(
    stream: &mut reqwest::Response,
    buffer: &mut String,
    wanted: impl Fn(&str, &Value) -> bool,
) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        while let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            let name = block
                .lines()
                .find_map(|l| l.strip_prefix("event:"))
                .map(str::trim);
            let data = block.lines().find_map(|l| l.strip_prefix("data:")).map(str::trim);
            if let (Some(name), Some(data)) = (name, data) {
                let data: Value = serde_json::from_str(data).unwrap();
                if wanted(name, &data) {
                    return data;
                }
            }
        }
        let chunk = tokio::time::timeout_at(deadline, stream.chunk())
            .await
            .expect("the wanted event arrives in time")
            .unwrap()
            .expect("the stream stays open");
        buffer.push_str(&String::from_utf8_lossy(&chunk));
    }
}

#[tokio::test]
async fn the_event_stream_pushes_status_changes_message_ticks_and_inbound() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(dir.path(), &[]).await;
    let link = panel_link(&gw, json!({ "instances": ["wa-01"] })).await;
    let token = link["token"].as_str().unwrap();
    let (status, _) = gw.post("/api/instances", json!({ "instanceId": "wa-01" })).await;
    assert_eq!(status, StatusCode::CREATED);
    gw.post("/api/instances", json!({ "instanceId": "wa-02" })).await;

    let unauthorized = gw
        .http
        .get(gw.url("/api/events?token=nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(unauthorized.status(), StatusCode::UNAUTHORIZED);
    let response = gw
        .http
        .get(gw.url(&format!("/api/events?token={token}")))
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut stream = response;
    let mut buffer = String::new();
    let qr = next_event(&mut stream, &mut buffer, |name, d| {
        name == "instance" && d["qr"].is_string()
    })
    .await;
    assert_eq!(qr["instanceId"], "wa-01");
    assert!(qr["qr"].as_str().unwrap().starts_with("data:image/png;base64,"));

    gw.post("/api/sim/wa-02/scan", json!({ "phone": "+15550000002" }))
        .await;
    gw.post("/api/sim/wa-01/scan", json!({ "phone": "+15550000001" }))
        .await;
    let online = next_event(&mut stream, &mut buffer, |name, d| {
        name == "instance" && d["status"] == "ONLINE"
    })
    .await;
    assert_eq!(online["instanceId"], "wa-01", "wa-02 is out of the token's scope");
    assert_eq!(online["phone"], "+15550000001");

    let id = gw.send_text("wa-01", "+5511999999999", "hello").await;
    let read = next_event(&mut stream, &mut buffer, |name, d| {
        name == "message" && d["status"] == "read"
    })
    .await;
    assert_eq!(read["id"], id.as_str());
    assert_eq!(read["instanceId"], "wa-01");

    let inbound = json!({ "from": "+5511999999999", "text": "hi back", "id": "IN-1" });
    gw.post("/api/sim/wa-01/inbound", inbound).await;
    let received = next_event(&mut stream, &mut buffer, |name, d| {
        name == "message" && d["status"] == "received"
    })
    .await;
    assert_eq!(received["id"], "IN-1");
    gw.stop().await;
}

/// Everything logged while it lives, at debug level, on this test's thread
/// (the gateway runs on the same single-threaded runtime).
#[derive(Clone, Default)]
struct LogCapture(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for LogCapture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_event_streams_query_credential_is_never_logged() {
    let logs = LogCapture::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(move || writer.clone())
        .finish();
    let _logging = tracing::subscriber::set_default(subscriber);
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(dir.path(), &[]).await;
    gw.post("/api/instances", json!({ "instanceId": "wa-01" })).await;
    let link = panel_link(&gw, json!({})).await;
    let token = link["token"].as_str().unwrap();
    for credential in [token, KEY, "wgp1.not-a-real-token"] {
        let mut stream = gw
            .http
            .get(gw.url(&format!("/api/events?token={credential}")))
            .send()
            .await
            .unwrap();
        if stream.status() == StatusCode::OK {
            let mut buffer = String::new();
            next_event(&mut stream, &mut buffer, |name, _| name == "instance").await;
        }
    }
    gw.stop().await;
    let logged = String::from_utf8_lossy(&logs.0.lock().unwrap()).into_owned();
    assert!(
        logged.contains("/api/events"),
        "the requests were logged: {logged}"
    );
    for secret in [token, KEY, "not-a-real-token"] {
        assert!(!logged.contains(secret), "{secret} was logged");
    }
}
