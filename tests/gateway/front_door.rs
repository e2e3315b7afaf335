//! What an unknown caller can make the gateway keep or say: made-up
//! methods and paths share one metrics label; a path no route has is a
//! 404 whatever the method, while a known path with a wrong method is a
//! 405; bad history parameters are a 400 naming the field.

use crate::common::Gateway;
use reqwest::{Method, StatusCode};

#[tokio::test]
async fn made_up_methods_and_paths_add_no_metrics_series() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(dir.path(), &[]).await;
    let made_up = |n: usize| format!("M{n}{}", "X".repeat(2048));
    let send = |method: String, path: String| {
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        gw.http.request(method, gw.url(&path)).send()
    };
    // One round so that the `other` series exist before the baseline.
    send(made_up(0), "/nowhere-0".into()).await.unwrap();
    let before = gw.metrics().await.len();
    for n in 1..200 {
        let answer = send(made_up(n), format!("/nowhere-{n}")).await.unwrap();
        assert_eq!(answer.status(), StatusCode::NOT_FOUND);
        send("GET".into(), format!("/api/unknown-{n}/x")).await.unwrap();
    }
    let text = gw.metrics().await;
    assert!(!text.contains("XXXX") && !text.contains("nowhere"), "{text}");
    assert!(
        text.contains("wagate_http_requests_total{method=\"other\",route=\"other\",status=\"404\"} 200"),
        "{text}"
    );
    // The only growth: the GET series of the unknown paths, and counts.
    assert!(text.len() < before + 300, "{before} -> {}:\n{text}", text.len());
    gw.stop().await;
}

#[tokio::test]
async fn unknown_routes_are_404_for_every_method_and_known_ones_405() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(dir.path(), &[]).await;
    for method in [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::PATCH,
    ] {
        for path in [
            "/api/nothing-here",
            "/nothing",
            "/api/messages/a/b",
            "/panel/nothing.js",
        ] {
            let (status, body) = gw.call(method.clone(), path, None).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {body}");
            assert_eq!(body["code"], "not_found", "{method} {path}: {body}");
        }
    }
    for (method, path) in [
        (Method::POST, "/healthz"),
        (Method::DELETE, "/api/send"),
        (Method::PUT, "/api/messages/history"),
        (Method::POST, "/panel/"),
    ] {
        let (status, body) = gw.call(method.clone(), path, None).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}: {body}");
        assert_eq!(body["code"], "method_not_allowed", "{method} {path}: {body}");
    }
    gw.stop().await;
}

#[tokio::test]
async fn bad_history_parameters_name_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(dir.path(), &[]).await;
    for (query, field) in [
        ("limit=abc", "limit"),
        ("limit=-1", "limit"),
        ("type=foo", "type"),
        ("since=yesterday", "since"),
        ("instanceId=../x", "instanceId"),
    ] {
        let (status, body) = gw.get(&format!("/api/messages/history?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert_eq!(body["field"], field, "{query}: {body}");
        assert_eq!(body["code"], "invalid_field", "{query}: {body}");
    }
    let (status, body) = gw.get("/api/messages/history?limit=100000&type=inbound").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["count"], 0);
    let unkeyed = gw
        .http
        .get(gw.url("/api/messages/history?limit=abc"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        unkeyed.status(),
        StatusCode::UNAUTHORIZED,
        "the key is checked first"
    );
    gw.stop().await;
}
