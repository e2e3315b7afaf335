//! The OpenAPI document lists every route: each of its operations answers
//! on a running gateway, and every route the README and docs/ name is in it.

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

/// Pages whose route tables are another program's: the loopback WhatsApp
/// server's control API (`loopback/src/control.rs`), not the gateway's.
const OTHER_PROGRAMS: [&str; 1] = ["docs/whatsapp-loopback.md"];

/// The README and every page under docs/, each with its text.
fn documentation() -> Vec<(String, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut pages = vec![root.join("README.md")];
    for entry in std::fs::read_dir(root.join("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            pages.push(path);
        }
    }
    pages
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            (path.strip_prefix(root).unwrap().display().to_string(), text)
        })
        .collect()
}

/// (method, path) of every route named in a table row that opens with code.
fn routes_in_tables(text: &str) -> Vec<(&'static str, &str)> {
    let mut out = Vec::new();
    for line in text.lines().filter(|l| l.starts_with("| `")) {
        for method in ["GET", "POST", "DELETE"] {
            for (at, _) in line.match_indices(&format!("{method} /")) {
                let rest = &line[at + method.len() + 1..];
                let end = rest.find(['`', ' ', '?']).unwrap_or(rest.len());
                out.push((method, &rest[..end]));
            }
        }
    }
    out
}

#[tokio::test]
async fn every_route_in_the_documentation_is_in_the_openapi_document() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(dir.path(), &[]).await;
    let ops = operations(&document(&gw).await);
    let mut in_api_page = 0;
    for (page, text) in documentation() {
        if OTHER_PROGRAMS.contains(&page.as_str()) {
            continue;
        }
        let routes = routes_in_tables(&text);
        for (method, path) in &routes {
            let listed = ops.iter().any(|(m, p)| m == method && p == path);
            assert!(listed, "{page}'s {method} {path} is not in the OpenAPI document");
        }
        if page == "docs/api.md" {
            in_api_page = routes.len();
        }
    }
    assert!(in_api_page > 25, "only {in_api_page} routes found in docs/api.md");
    gw.stop().await;
}
