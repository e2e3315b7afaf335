//! The panel's live feed, `GET /api/events`: what it pushes, to whom, until
//! when, and that its `?token=` credential never reaches the logs.

use super::panel_link;
use crate::common::{TestEnv, KEY};
use crate::support::next_sse_event as next_event;
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::time::Duration;

crate::both_backends!(
    the_event_stream_pushes_status_changes_message_ticks_and_inbound,
    the_event_stream_of_a_panel_link_ends_when_the_link_expires,
);

async fn the_event_stream_pushes_status_changes_message_ticks_and_inbound(env: TestEnv) {
    let gw = env.start(&[]).await;
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

    gw.call(Method::DELETE, "/api/instances/wa-01", None).await;
    let removed = next_event(&mut stream, &mut buffer, |name, _| name == "removed").await;
    assert_eq!(removed["instanceId"], "wa-01");
    gw.stop().await;
}

async fn the_event_stream_of_a_panel_link_ends_when_the_link_expires(env: TestEnv) {
    let gw = env.start(&[]).await;
    let soon = wagate::panel_token::PanelTokens::from_api_key(KEY).sign(&wagate::panel_token::Claims {
        expires_at: chrono::Utc::now().timestamp() + 2,
        instances: None,
    });
    let mut stream = gw
        .http
        .get(gw.url(&format!("/api/events?token={soon}")))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    let end = tokio::time::timeout(Duration::from_secs(5), async {
        while stream.chunk().await.unwrap().is_some() {}
    });
    end.await.expect("the stream ends once the link has expired");
    gw.stop().await;
}
