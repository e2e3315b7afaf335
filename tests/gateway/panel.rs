//! The embeddable panel: its files and headers, signed panel links, and
//! what a panel token may do; `events` tests the live event stream.

mod events;

use crate::common::{Gateway, TestEnv, KEY};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

crate::both_backends!(
    the_panel_is_served_with_a_csp_and_may_be_framed,
    a_panel_link_opens_the_panel_for_its_instances_only,
    expired_forged_and_other_key_tokens_are_refused,
);

async fn the_panel_is_served_with_a_csp_and_may_be_framed(env: TestEnv) {
    let ancestors = "'self' https://agency.example".to_owned();
    let gw = env.start(&[("frame-ancestors", ancestors)]).await;
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
        ("/panel/sending.js", "javascript"),
        ("/panel/chats.js", "javascript"),
        ("/panel/ghl.js", "javascript"),
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

/// Makes a panel link with the API key.
async fn panel_link(gw: &Gateway, body: Value) -> Value {
    let (status, link) = gw.post("/api/panel-links", body).await;
    assert_eq!(status, StatusCode::CREATED, "{link}");
    link
}

async fn a_panel_link_opens_the_panel_for_its_instances_only(env: TestEnv) {
    let gw = env.start(&[]).await;
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

async fn expired_forged_and_other_key_tokens_are_refused(env: TestEnv) {
    let gw = env.start(&[]).await;
    let tokens = wagate::api::panel::token::PanelTokens::from_api_key(KEY);
    let expired = tokens.sign(&wagate::api::panel::token::Claims {
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
    let other = wagate::api::panel::token::PanelTokens::from_api_key("another-key-123").sign(
        &wagate::api::panel::token::Claims {
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
