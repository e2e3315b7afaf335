//! Bad input gets a clear JSON error naming the field, with the right status.

use crate::common::{Gateway, TestEnv, KEY};
use reqwest::StatusCode;
use serde_json::{json, Value};

crate::both_backends!(
    bad_sends_are_refused_field_by_field,
    broken_json_oversized_bodies_and_unknown_routes_get_json_errors,
    sending_through_an_unlinked_instance_is_a_conflict,
);

async fn expect_error(gw: &Gateway, body: Value, status: StatusCode, code: &str, field: Option<&str>) {
    let (got, reply) = gw.post("/api/send", body.clone()).await;
    assert_eq!(got, status, "{body} -> {reply}");
    assert_eq!(reply["success"], false);
    assert_eq!(reply["code"], code, "{reply}");
    assert_eq!(reply["field"].as_str(), field, "{reply}");
    assert!(reply["error"].as_str().unwrap().len() > 5);
}

async fn bad_sends_are_refused_field_by_field(env: TestEnv) {
    let gw = env.start(&[]).await;
    gw.linked_instance("wa-01", "+15550000001").await;
    let ok = |extra: Value| {
        let mut body = json!({ "instanceId": "wa-01", "to": "+5511999999999", "message": "hi" });
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        body
    };
    let bad = StatusCode::BAD_REQUEST;
    expect_error(
        &gw,
        json!({ "to": "+5511999999999", "message": "hi" }),
        bad,
        "missing_field",
        Some("instanceId"),
    )
    .await;
    expect_error(&gw, ok(json!({ "to": null })), bad, "missing_field", Some("to")).await;
    expect_error(
        &gw,
        ok(json!({ "message": "" })),
        bad,
        "missing_field",
        Some("message"),
    )
    .await;
    expect_error(
        &gw,
        ok(json!({ "to": "not a phone" })),
        bad,
        "invalid_phone",
        Some("to"),
    )
    .await;
    expect_error(
        &gw,
        ok(json!({ "to": "+999 1234" })),
        bad,
        "invalid_phone",
        Some("to"),
    )
    .await;
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    expect_error(
        &gw,
        ok(json!({ "to": "987654321" })),
        unprocessable,
        "invalid_phone",
        Some("to"),
    )
    .await;
    expect_error(
        &gw,
        ok(json!({ "type": "hologram" })),
        bad,
        "invalid_field",
        Some("type"),
    )
    .await;
    expect_error(
        &gw,
        ok(json!({ "type": "image" })),
        bad,
        "missing_field",
        Some("mediaUrl"),
    )
    .await;
    expect_error(
        &gw,
        ok(json!({ "type": "image", "mediaUrl": "file:///etc/passwd" })),
        bad,
        "invalid_field",
        Some("mediaUrl"),
    )
    .await;
    expect_error(
        &gw,
        ok(json!({ "message": ["x"] })),
        bad,
        "invalid_field",
        Some("message"),
    )
    .await;
    expect_error(
        &gw,
        ok(json!({ "instanceId": "../etc" })),
        bad,
        "invalid_field",
        Some("instanceId"),
    )
    .await;
    let not_found = StatusCode::NOT_FOUND;
    expect_error(
        &gw,
        ok(json!({ "instanceId": "wa-99" })),
        not_found,
        "unknown_instance",
        Some("instanceId"),
    )
    .await;
    gw.stop().await;
}

async fn broken_json_oversized_bodies_and_unknown_routes_get_json_errors(env: TestEnv) {
    let gw = env.start(&[("max-body-bytes", "1024".into())]).await;
    let send = |body: String| {
        gw.http
            .post(gw.url("/api/send"))
            .header("x-api-key", KEY)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let broken = send("{\"instanceId\": ".into()).await.unwrap();
    assert_eq!(broken.status(), StatusCode::BAD_REQUEST);
    assert_eq!(broken.json::<Value>().await.unwrap()["code"], "invalid_json");
    let big = send(json!({ "message": "x".repeat(4096) }).to_string())
        .await
        .unwrap();
    assert_eq!(big.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(big.json::<Value>().await.unwrap()["code"], "body_too_large");
    let (status, body) = gw.get("/api/nothing-here").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["success"], false);
    let (status, body) = gw.get("/api/messages/does-not-exist").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    let (status, body) = gw.get("/api/wa/status/wa-77").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("unknown_instance"))
    );
    gw.stop().await;
}

async fn sending_through_an_unlinked_instance_is_a_conflict(env: TestEnv) {
    let gw = env.start(&[]).await;
    gw.post("/api/instances", json!({ "instanceId": "wa-01" })).await;
    let body = json!({ "instanceId": "wa-01", "to": "+5511999999999", "message": "hi" });
    let (status, reply) = gw.post("/api/send", body).await;
    assert_eq!(status, StatusCode::CONFLICT, "{reply}");
    assert_eq!(reply["code"], "instance_not_linked");
    let (status, reply) = gw
        .post("/api/instances", json!({ "instanceId": "bad id!" }))
        .await;
    assert_eq!(
        (status, reply["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("instanceId"))
    );
    gw.stop().await;
}
