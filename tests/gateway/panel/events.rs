//! The panel's live feed, `GET /api/events`: what it pushes, to whom, until
//! when, and how it is opened: with a one-time ticket in the URL, never
//! the API key or a panel link.

use super::panel_link;
use crate::common::{Gateway, TestEnv, KEY};
use crate::support::next_sse_event as next_event;
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::time::Duration;

crate::both_backends!(
    the_event_stream_pushes_status_changes_message_ticks_and_inbound,
    the_event_stream_of_a_panel_link_ends_when_the_link_expires,
    the_event_stream_takes_a_ticket_once_and_no_credential_in_the_url,
);

/// A ticket for the event stream, asked for with `credential` as a Bearer.
async fn ticket(gw: &Gateway, credential: &str) -> String {
    let answer = gw
        .http
        .post(gw.url("/api/events/ticket"))
        .bearer_auth(credential)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(answer.headers()["cache-control"], "no-store");
    let body: serde_json::Value = answer.json().await.unwrap();
    body["ticket"].as_str().expect("a ticket").to_owned()
}

async fn open(gw: &Gateway, query: &str) -> reqwest::Response {
    gw.http
        .get(gw.url(&format!("/api/events{query}")))
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .unwrap()
}

async fn the_event_stream_pushes_status_changes_message_ticks_and_inbound(env: TestEnv) {
    let gw = env.start(&[]).await;
    let link = panel_link(&gw, json!({ "instances": ["wa-01"] })).await;
    let token = link["token"].as_str().unwrap();
    let (status, _) = gw.post("/api/instances", json!({ "instanceId": "wa-01" })).await;
    assert_eq!(status, StatusCode::CREATED);
    gw.post("/api/instances", json!({ "instanceId": "wa-02" })).await;

    let unauthorized = open(&gw, "?ticket=nope").await;
    assert_eq!(unauthorized.status(), StatusCode::UNAUTHORIZED);
    let ticket = ticket(&gw, token).await;
    let response = open(&gw, &format!("?ticket={ticket}")).await;
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

    gw.call(Method::DELETE, "/api/instances/wa-01", None).await;
    let removed = next_event(&mut stream, &mut buffer, |name, _| name == "removed").await;
    assert_eq!(removed["instanceId"], "wa-01");
    gw.stop().await;
}

async fn the_event_stream_of_a_panel_link_ends_when_the_link_expires(env: TestEnv) {
    let gw = env.start(&[]).await;
    let soon =
        wagate::api::panel::token::PanelTokens::from_api_key(KEY).sign(&wagate::api::panel::token::Claims {
            expires_at: chrono::Utc::now().timestamp() + 2,
            instances: None,
        });
    let ticket = ticket(&gw, &soon).await;
    let mut stream = open(&gw, &format!("?ticket={ticket}")).await;
    assert_eq!(stream.status(), StatusCode::OK);
    let end = tokio::time::timeout(Duration::from_secs(5), async {
        while stream.chunk().await.unwrap().is_some() {}
    });
    end.await.expect("the stream ends once the link has expired");
    gw.stop().await;
}

async fn the_event_stream_takes_a_ticket_once_and_no_credential_in_the_url(env: TestEnv) {
    let gw = env.start(&[]).await;
    let link = panel_link(&gw, json!({ "instances": ["wa-01"] })).await;
    let token = link["token"].as_str().unwrap();
    for credential in [KEY, token] {
        let in_url = open(&gw, &format!("?token={credential}")).await;
        assert_eq!(
            in_url.status(),
            StatusCode::UNAUTHORIZED,
            "a credential in the URL opens nothing"
        );
        let as_ticket = open(&gw, &format!("?ticket={credential}")).await;
        assert_eq!(
            as_ticket.status(),
            StatusCode::UNAUTHORIZED,
            "a credential is no ticket"
        );
    }
    let refused = gw.http.post(gw.url("/api/events/ticket")).send().await.unwrap();
    assert_eq!(
        refused.status(),
        StatusCode::UNAUTHORIZED,
        "a ticket needs a credential"
    );

    let ticket = ticket(&gw, KEY).await;
    let first = open(&gw, &format!("?ticket={ticket}")).await;
    assert_eq!(first.status(), StatusCode::OK);
    let again = open(&gw, &format!("?ticket={ticket}")).await;
    assert_eq!(
        again.status(),
        StatusCode::UNAUTHORIZED,
        "a ticket opens one stream"
    );
    let body: serde_json::Value = again.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("used"), "{body}");
    drop(first);

    let by_header = gw
        .http
        .get(gw.url("/api/events"))
        .bearer_auth(token)
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .unwrap();
    assert_eq!(
        by_header.status(),
        StatusCode::OK,
        "clients that send headers need no ticket"
    );
    drop(by_header);
    gw.stop().await;
}
