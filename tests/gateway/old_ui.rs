//! A browser UI on the gateway's own address without the API key: the
//! login trades the key for an HttpOnly session cookie that the /api
//! routes accept from the gateway's own pages only; UI_DIR's files are
//! served at `/` (no way out of the folder, no dot-files), else `/` opens
//! the panel; CORS lets the original UI's ngrok header through.

use crate::common::{Gateway, TestEnv, KEY};
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use serde_json::Value;

crate::both_backends!(the_session_cookie_opens_the_api_to_the_gateways_own_pages);

/// Starts a session with the key, as the panel's login does; the cookie.
async fn log_in(gw: &Gateway, forwarded_proto: Option<&str>) -> (String, Value) {
    let mut request = gw.http.post(gw.url("/api/session")).bearer_auth(KEY);
    if let Some(proto) = forwarded_proto {
        request = request.header("x-forwarded-proto", proto);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let cookie = response.headers()["set-cookie"].to_str().unwrap().to_owned();
    (cookie, response.json().await.unwrap())
}

/// The `name=value` part of a Set-Cookie.
fn pair(set_cookie: &str) -> &str {
    set_cookie.split(';').next().unwrap()
}

/// A browser's request from this page: the cookie, and Sec-Fetch-Site.
async fn as_browser(
    gw: &Gateway,
    method: Method,
    path: &str,
    cookie: &str,
    site: Option<&str>,
) -> (StatusCode, Value) {
    let mut headers = HeaderMap::new();
    headers.insert("cookie", HeaderValue::from_str(cookie).unwrap());
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    headers.insert("ngrok-skip-browser-warning", HeaderValue::from_static("true"));
    if let Some(site) = site {
        headers.insert("sec-fetch-site", HeaderValue::from_str(site).unwrap());
    }
    let response = gw
        .http
        .request(method, gw.url(path))
        .headers(headers)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn the_session_cookie_opens_the_api_to_the_gateways_own_pages(env: TestEnv) {
    let gw = env.start(&[]).await;
    let (set_cookie, started) = log_in(&gw, None).await;
    assert_eq!(started["access"], "key");
    for part in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=43200"] {
        assert!(set_cookie.contains(part), "{set_cookie}");
    }
    assert!(!set_cookie.contains("Secure"), "plain http: {set_cookie}");
    assert!(log_in(&gw, Some("https")).await.0.contains("; Secure"));
    let cookie = pair(&set_cookie);

    let same = Some("same-origin");
    let (status, body) = as_browser(&gw, Method::GET, "/api/wa/instances/available", cookie, same).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = as_browser(&gw, Method::GET, "/api/wa/qr/wa-01", cookie, same).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (StatusCode::OK, Some("RECONNECTING")),
        "{body}"
    );
    let (status, _) = as_browser(&gw, Method::POST, "/api/wa/reconnect/wa-01", cookie, same).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = as_browser(&gw, Method::GET, "/api/session", cookie, same).await;
    assert_eq!(status, StatusCode::OK);

    // Another site's page cannot act with it, nor can an old browser's
    // POST that names no origin.
    for site in ["cross-site", "same-site"] {
        let (status, body) =
            as_browser(&gw, Method::DELETE, "/api/wa/delete/wa-01", cookie, Some(site)).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("cross_origin")),
            "{site}"
        );
    }
    let (status, _) = as_browser(&gw, Method::POST, "/api/wa/clear/wa-01", cookie, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Without the cookie, nothing; with a forged one, nothing.
    let (status, _) = as_browser(&gw, Method::GET, "/api/wa/instances", "other=1", same).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let forged = format!("{}x", cookie);
    let (status, _) = as_browser(&gw, Method::GET, "/api/wa/instances", &forged, same).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Logging out clears the cookie in the browser.
    let (status, _) = as_browser(&gw, Method::DELETE, "/api/session", cookie, same).await;
    assert_eq!(status, StatusCode::OK);
    let out = gw.http.delete(gw.url("/api/session")).send().await.unwrap();
    let cleared = out.headers()["set-cookie"].to_str().unwrap();
    assert!(
        cleared.starts_with("wagate_session=;") && cleared.contains("Max-Age=0"),
        "{cleared}"
    );
    gw.stop().await;
}

#[tokio::test]
async fn a_session_needs_a_real_credential_and_cannot_renew_itself() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(dir.path(), &[]).await;
    let refused = gw
        .http
        .post(gw.url("/api/session"))
        .bearer_auth("wrong-key-0000")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let (set_cookie, _) = log_in(&gw, None).await;
    let renew = gw
        .http
        .post(gw.url("/api/session"))
        .header("cookie", pair(&set_cookie))
        .header("sec-fetch-site", "same-origin")
        .send()
        .await
        .unwrap();
    assert_eq!(renew.status(), StatusCode::UNAUTHORIZED);
    gw.stop().await;
}

#[tokio::test]
async fn ui_dir_is_served_at_the_root_with_a_single_page_fallback() {
    let dir = tempfile::tempdir().unwrap();
    let ui = dir.path().join("ui");
    std::fs::create_dir_all(ui.join("assets")).unwrap();
    std::fs::write(ui.join("index.html"), "<!doctype html><title>old ui</title>").unwrap();
    std::fs::write(ui.join("assets/app.js"), "console.log(1)").unwrap();
    std::fs::write(ui.join(".env"), "SECRET=1").unwrap();
    std::fs::write(dir.path().join("outside.txt"), "outside").unwrap();
    std::os::unix::fs::symlink(dir.path().join("outside.txt"), ui.join("link.txt")).unwrap();
    let gw = Gateway::start(
        &dir.path().join("sessions"),
        &[("ui-dir", ui.display().to_string())],
    )
    .await;
    let get = |path: &'static str| {
        let url = gw.url(path);
        let http = gw.http.clone();
        async move {
            let response = http.get(url).send().await.unwrap();
            let kind = response
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_owned());
            (
                response.status(),
                kind.unwrap_or_default(),
                response.text().await.unwrap(),
            )
        }
    };
    let (status, kind, body) = get("/").await;
    assert_eq!(
        (status, kind.as_str()),
        (StatusCode::OK, "text/html; charset=utf-8")
    );
    assert!(body.contains("old ui"));
    let (_, kind, body) = get("/assets/app.js").await;
    assert_eq!(
        (kind.as_str(), body.as_str()),
        ("text/javascript; charset=utf-8", "console.log(1)")
    );
    assert!(
        get("/instances/wa-01").await.2.contains("old ui"),
        "unknown paths get index.html"
    );
    for refused in ["/.env", "/assets/%2e%2e/.env", "/%2e%2e/outside.txt", "/link.txt"] {
        let (status, _, body) = get(refused).await;
        assert!(
            !body.contains("SECRET") && !body.contains("outside"),
            "{refused}: {body}"
        );
        assert!(
            status == StatusCode::NOT_FOUND || body.contains("old ui"),
            "{refused}: {status}"
        );
    }
    let (status, _, body) = get("/api/nothing-here").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert!(body.contains("no such route"));
    assert!(get("/panel/").await.2.contains("wagate"), "the panel stays");
    gw.stop().await;
}

#[tokio::test]
async fn without_ui_dir_the_root_opens_the_panel_and_cors_takes_the_ngrok_header() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(dir.path(), &[("cors-origin", "http://localhost:5173".into())]).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let root = client.get(gw.url("/")).send().await.unwrap();
    assert_eq!(root.status(), StatusCode::FOUND);
    assert_eq!(root.headers()["location"], "/panel/");
    let preflight = client
        .request(Method::OPTIONS, gw.url("/api/wa/instances"))
        .header("origin", "http://localhost:5173")
        .header("access-control-request-method", "GET")
        .header(
            "access-control-request-headers",
            "content-type,ngrok-skip-browser-warning",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), StatusCode::OK);
    let allowed = preflight.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap();
    assert!(allowed.contains("ngrok-skip-browser-warning"), "{allowed}");
    gw.stop().await;
}
