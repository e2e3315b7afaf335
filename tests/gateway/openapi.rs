//! The OpenAPI document lists every route: each of its operations answers
//! on a running gateway, and every route the README documents is in it.

use crate::common::Gateway;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

async fn document(gw: &Gateway) -> Value {
    let (status, doc) = gw.get("/api/openapi.json").await;
    assert_eq!(status, StatusCode::OK, "{doc}");
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."), "{doc}");
    doc
}

/// (method, path template) of every operation in the document.
fn operations(doc: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            out.push((method.to_uppercase(), path.clone()));
        }
    }
    out
}

#[tokio::test]
async fn every_documented_operation_is_served() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(dir.path(), &[]).await;
    let doc = document(&gw).await;
    let ops = operations(&doc);
    assert!(ops.len() > 30, "{ops:?}");
    // Inbound media is a file server (an unknown name is a plain 404), and
    // the event stream never ends: both are checked on their own below.
    let checked_alone = |p: &str| p.starts_with("/media/") || p == "/api/events";
    for (method, path) in ops.iter().filter(|(_, p)| !checked_alone(p)) {
        let concrete = path.replace("{id}", "wa-x");
        let body = (method == "POST").then(|| json!({}));
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let (status, answer) = gw.call(method.clone(), &concrete, body).await;
        assert_ne!(
            status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}: {answer}"
        );
        assert_ne!(answer["error"], "no such route", "{method} {path} is not served");
    }
    let events = gw
        .http
        .get(gw.url("/api/events"))
        .header("x-api-key", crate::common::KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(events.status(), StatusCode::OK);
    assert_eq!(events.headers()["content-type"], "text/event-stream");
    drop(events);
    gw.stop().await;
}

#[tokio::test]
async fn every_route_in_the_readme_is_documented() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(dir.path(), &[]).await;
    let ops = operations(&document(&gw).await);
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let mut checked = 0;
    for line in readme.lines().filter(|l| l.starts_with("| `")) {
        for method in ["GET", "POST", "DELETE"] {
            for (at, _) in line.match_indices(&format!("{method} /")) {
                let rest = &line[at + method.len() + 1..];
                let end = rest.find(['`', ' ', '?']).unwrap_or(rest.len());
                let path = &rest[..end];
                let listed = ops.iter().any(|(m, p)| m == method && p == path);
                assert!(
                    listed,
                    "the README's {method} {path} is not in the OpenAPI document"
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 25, "only {checked} README routes found");
    gw.stop().await;
}
