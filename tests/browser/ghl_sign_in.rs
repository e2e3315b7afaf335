//! Sign-in from inside GHL in a real browser: a page on another origin
//! stands in for GHL, frames `/panel/` with no token, and answers the
//! panel's `REQUEST_USER_DATA` as GHL does (`REQUEST_USER_DATA_RESPONSE`
//! with the user data encrypted under the app's Shared Secret; "docs/
//! marketplace modules/shared_secret_customJS_customPages.md" in
//! GoHighLevel/highlevel-api-docs). The panel must open with no key typed
//! and list only the numbers of the location the user has open. The
//! installs are written into the store before the gateway starts (this
//! crate has no fake GHL; GHL is never called here).

use super::support::ghl_user_data::{encrypt, location_user};
use super::webdriver::Session;
use super::{api, binary, start_host_page, webdriver::Driver, KEY};
use reqwest::Method;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use wagate::store::{StoredToken, TokenOwnerKind};

const SECRET: &str = "browser-test-shared-secret";
const AGENCY: &str = "agency-b";

/// Location installs of AGENCY for `locations`, as the OAuth callback stores them.
async fn install(session_dir: &Path, locations: &[&str]) {
    std::fs::create_dir_all(session_dir).unwrap();
    let stores = wagate::store::Stores::open(session_dir, None).await.unwrap();
    for location in locations {
        let token = StoredToken {
            owner_id: location.to_string(),
            kind: TokenOwnerKind::Location,
            company_id: Some(AGENCY.into()),
            access_token: "plain:unused".into(),
            refresh_token: Some("plain:unused".into()),
            expires_at_ms: i64::MAX / 2,
            scope: "conversations/message.write".into(),
            version: 0,
            updated_at_ms: 0,
        };
        assert!(stores.ghl.replace_token(&token, None).await.unwrap());
    }
}

async fn start_gateway(session_dir: &Path, shutdown: CancellationToken) -> SocketAddr {
    let args = vec![
        "wagate".to_owned(),
        "--wa-backend=sim".into(),
        format!("--api-key={KEY}"),
        format!("--session-dir={}", session_dir.display()),
        format!("--ghl-shared-secret={SECRET}"),
        // Nothing may reach the real GHL from a test.
        "--ghl-api-base=http://127.0.0.1:9".into(),
        "--frame-ancestors='self' http://127.0.0.1:*".into(),
    ];
    crate::support::in_process::serve(args, shutdown).await.0
}

/// GHL's stand-in: frames the panel and answers its request for user data
/// with `payload`, counting the requests it got in `window.asked`.
fn start_ghl_page(panel_url: String, payload: String) -> SocketAddr {
    let script = format!(
        "<script>\
         window.asked = 0;\
         window.addEventListener('message', (event) => {{\
           if (!event.data || event.data.message !== 'REQUEST_USER_DATA') return;\
           window.asked += 1;\
           event.source.postMessage({{ message: 'REQUEST_USER_DATA_RESPONSE', payload: {payload} }}, '*');\
         }});\
         </script>",
        payload = Value::String(payload),
    );
    start_host_page(panel_url, &script)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_location_user_signs_in_from_ghl_with_no_key_and_sees_their_numbers_only() {
    let (Some(chromium), Some(chromedriver)) = (binary("chromium"), binary("chromedriver")) else {
        eprintln!("SKIPPED the GHL sign-in browser test: chromium and chromedriver are not installed");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let sessions = dir.path().join("sessions");
    install(&sessions, &["loc-a", "loc-b"]).await;
    let shutdown = CancellationToken::new();
    let gateway = start_gateway(&sessions, shutdown.clone()).await;
    let http = reqwest::Client::new();
    for (instance, location) in [("wa-a1", "loc-a"), ("wa-b1", "loc-b")] {
        api(
            &http,
            gateway,
            Method::POST,
            "/api/instances",
            json!({ "instanceId": instance }),
        )
        .await;
        let route = json!({ "defaultInstanceId": instance });
        api(
            &http,
            gateway,
            Method::PUT,
            &format!("/api/ghl/locations/{location}"),
            route,
        )
        .await;
    }
    let payload = encrypt(&location_user(AGENCY, "loc-a"), SECRET);
    let ghl = start_ghl_page(format!("http://{gateway}/panel/"), payload);

    let driver = Driver::start(&chromedriver).await;
    let browser = driver.session(&chromium, &dir.path().join("profile")).await;
    let driving = browser.clone();
    let run =
        tokio::spawn(
            async move { tokio::time::timeout(Duration::from_secs(40), drive(&driving, ghl)).await },
        )
        .await;
    browser.close().await;
    shutdown.cancel();
    match run {
        Ok(finished) => finished.expect("the GHL sign-in test finishes within 40 s"),
        Err(failed) => std::panic::resume_unwind(failed.into_panic()),
    }
}

async fn drive(browser: &Session, ghl: SocketAddr) {
    browser.goto(&format!("http://{ghl}/")).await;
    browser.enter_first_frame().await;
    browser
        .wait_for(
            "the panel opens on the location's number, signed in from GHL",
            "return !document.getElementById('app').hidden && \
             document.querySelector('li.instance[data-id=\"wa-a1\"]') !== null;",
        )
        .await;
    let shown = browser
        .run("return [...document.querySelectorAll('li.instance')].map((li) => li.dataset.id)")
        .await;
    assert_eq!(shown, json!(["wa-a1"]), "only the open location's numbers");
    let page = browser
        .run(
            "return { login: document.getElementById('login').hidden, \
             create: document.getElementById('create-form').hidden, \
             keyTyped: document.querySelector('#login-form input[name=key]').value }",
        )
        .await;
    assert_eq!(page, json!({ "login": true, "create": true, "keyTyped": "" }));
    browser
        .screenshot(&super::artifacts().join("panel-ghl-sign-in.png"))
        .await;
    browser.leave_frame().await;
    assert_eq!(browser.run("return window.asked").await, json!(1));
}
