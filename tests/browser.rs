//! The panel in a real browser: headless Chromium (Debian's `chromium` and
//! `chromium-driver`) opens a page on another origin that frames the panel
//! through a signed panel link, as GHL's Custom Menu Link does. In the
//! frame it creates an instance, sees the QR, sees ONLINE without a reload
//! once the (simulated) phone scans, watches a test message's ticks move
//! and a reply arrive, and adds and removes a webhook of the number (a
//! refused URL explained in words). Screenshots at 1280 and 390 px (and
//! 390 px dark) go to target/browser-artifacts/.
//! Then, signed in with the API key (a session cookie), a page served from
//! UI_DIR calls the original gateway's routes the way its own UI does
//! (`browser/original_ui.html`) and links, sends and deletes a second number.
//! Sign-in from inside GHL runs apart (`browser/ghl_sign_in.rs`).
//! Skipped, with a message, only when the browser binaries are absent.

#[path = "browser/ghl_sign_in.rs"]
mod ghl_sign_in;
// Helpers shared by every test crate; this one uses GHL's user data.
#[allow(dead_code)]
#[path = "support/mod.rs"]
mod support;
#[path = "browser/webdriver.rs"]
mod webdriver;

use reqwest::Method;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use warp::Filter;
use webdriver::{Driver, Session};

const KEY: &str = "browser-test-key-0123";

/// A binary on the PATH, if there is one.
fn binary(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// The real gateway with the sim backend, framable from any local origin.
async fn start_gateway(session_dir: &Path, shutdown: CancellationToken) -> SocketAddr {
    let ui_dir = session_dir.with_file_name("ui");
    std::fs::create_dir_all(&ui_dir).unwrap();
    std::fs::write(
        ui_dir.join("index.html"),
        include_str!("browser/original_ui.html"),
    )
    .unwrap();
    let extra = [
        "--sim-receipt-delay-ms=400".into(),
        "--frame-ancestors='self' http://127.0.0.1:*".into(),
        format!("--ui-dir={}", ui_dir.display()),
    ];
    let args = support::in_process::sim_args(session_dir, KEY, extra);
    support::in_process::serve(args, shutdown).await.0
}

/// Another origin (another port) with a page that frames `panel_url`, as
/// GHL does, followed by `more` (a script of the stand-in's own).
fn start_host_page(panel_url: String, more: &str) -> SocketAddr {
    let page = format!(
        "<!doctype html><title>GHL stand-in</title>\
         <body style=\"margin:0;height:100vh;overflow:hidden\">\
         <iframe src=\"{panel_url}\" style=\"display:block;border:0;width:100%;height:100%\"></iframe>{more}"
    );
    let route = warp::path::end().map(move || warp::reply::html(page.clone()));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
    tokio::spawn(warp::serve(route).incoming(listener).run());
    addr
}

/// A call to the gateway with the API key; it must succeed.
async fn api(http: &reqwest::Client, gateway: SocketAddr, method: Method, path: &str, body: Value) -> Value {
    let response = http
        .request(method, format!("http://{gateway}{path}"))
        .header("x-api-key", KEY)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{path}: {}", response.status());
    response.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_panel_links_a_number_and_sends_inside_a_foreign_frame() {
    let (Some(chromium), Some(chromedriver)) = (binary("chromium"), binary("chromedriver")) else {
        eprintln!(
            "SKIPPED the browser test: chromium and chromedriver are not installed \
             (apt-get install chromium chromium-driver; .ci/run installs them)"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let shutdown = CancellationToken::new();
    let gateway = start_gateway(&dir.path().join("sessions"), shutdown.clone()).await;
    let http = reqwest::Client::new();
    let link = api(
        &http,
        gateway,
        Method::POST,
        "/api/panel-links",
        json!({ "expiresInSeconds": 600 }),
    )
    .await;
    let host = start_host_page(link["url"].as_str().unwrap().to_owned(), "");

    let driver = Driver::start(&chromedriver).await;
    let browser = driver.session(&chromium, &dir.path().join("profile")).await;
    // Run apart, so the browser is closed even when a check fails.
    let driving = browser.clone();
    let run = tokio::spawn(async move {
        let steps = drive(&driving, &http, gateway, host);
        tokio::time::timeout(Duration::from_secs(60), steps).await
    })
    .await;
    browser.close().await;
    shutdown.cancel();
    match run {
        Ok(finished) => finished.expect("the browser test finishes within 60 s"),
        Err(failed) => std::panic::resume_unwind(failed.into_panic()),
    }
}

async fn drive(browser: &Session, http: &reqwest::Client, gateway: SocketAddr, host: SocketAddr) {
    browser.goto(&format!("http://{host}/")).await;
    browser.enter_first_frame().await;
    browser
        .wait_for(
            "the panel opens with the link's token",
            "return !document.getElementById('app').hidden",
        )
        .await;
    browser
        .type_into("#create-form input[name=instanceId]", "wa-01")
        .await;
    browser.type_into("#create-form input[name=alias]", "Sales").await;
    browser.click("#create-form button[type=submit]").await;
    browser
        .wait_for(
            "the QR image shows",
            "const img = document.getElementById('qr-img'); \
             return !img.hidden && img.complete && img.naturalWidth > 0 && img.src.startsWith('data:image/png');",
        )
        .await;
    browser.run("window.sameDocument = true").await;
    browser.screenshot(&artifacts().join("panel-qr-1280.png")).await;

    api(
        http,
        gateway,
        Method::POST,
        "/api/sim/wa-01/scan",
        json!({ "phone": "+15550000001" }),
    )
    .await;
    browser
        .wait_for(
            "the panel shows ONLINE by itself",
            "const row = document.querySelector('li.instance[data-id=\"wa-01\"] .status'); \
             return row && row.dataset.status === 'ONLINE' && !document.getElementById('connected').hidden;",
        )
        .await;
    let same = browser.run("return window.sameDocument === true").await;
    assert_eq!(same, true, "the page was not reloaded");

    send_and_watch_ticks(browser).await;
    see_a_reply_arrive(browser, http, gateway).await;
    see_groups_and_routes(browser, http, gateway).await;
    shoot(browser).await;
    manage_webhooks(browser, http, gateway).await;
    with_the_api_key(browser, gateway).await;
    the_original_ui_with_the_session(browser, http, gateway).await;
}

/// The session the panel's login started opens the original UI's calls
/// on a page from UI_DIR: it links the next free id (the phone scans its
/// raw QR), sends, watches the ticks, reconnects and deletes.
async fn the_original_ui_with_the_session(browser: &Session, http: &reqwest::Client, gateway: SocketAddr) {
    browser.goto(&format!("http://{gateway}/")).await;
    let qr = browser
        .wait_for(
            "the page has the raw QR text",
            "return window.failure || (typeof window.qrText === 'string' && window.qrText);",
        )
        .await;
    let qr = qr.as_str().unwrap();
    assert!(!qr.starts_with("data:"), "the raw QR text: {qr}");
    let id = browser.run("return window.instanceId").await;
    assert_eq!(id, "wa-02", "the first free id");
    let hidden = browser.run("return window.cookieVisible").await;
    assert_eq!(hidden, false, "the session cookie is HttpOnly");
    api(
        http,
        gateway,
        Method::POST,
        "/api/sim/wa-02/scan",
        json!({ "phone": "+15550000002" }),
    )
    .await;
    let outcome = browser
        .wait_for(
            "the page links, sends, reconnects and deletes",
            "return window.failure || window.done;",
        )
        .await;
    assert_eq!(outcome, true, "{outcome}");
    let ticks = browser.run("return window.ticks").await;
    assert_eq!(ticks.as_array().unwrap().last().unwrap(), "sent", "{ticks}");
    assert_eq!(browser.run("return window.freeAgain").await, true);
}

/// Opened directly, the panel asks for the API key once; then a new
/// number gets a pairing code, and is deleted after a confirmation.
async fn with_the_api_key(browser: &Session, gateway: SocketAddr) {
    // Both test origins are one site (127.0.0.1), so the framed panel's
    // token is in this tab's session storage too: forget it first.
    let panel = format!("http://{gateway}/panel/");
    browser.goto(&panel).await;
    browser.run("sessionStorage.clear()").await;
    browser.goto(&panel).await;
    browser
        .wait_for(
            "the key is asked for",
            "return !document.getElementById('login').hidden",
        )
        .await;
    browser.type_into("#login-form input[name=key]", KEY).await;
    browser.click("#login-form button[type=submit]").await;
    browser
        .wait_for(
            "the key opens every number",
            "return !!document.querySelector('li.instance[data-id=\"wa-01\"]');",
        )
        .await;
    browser
        .type_into("#create-form input[name=instanceId]", "wa-02")
        .await;
    browser.click("#create-form button[type=submit]").await;
    browser
        .wait_for(
            "wa-02 is pairing",
            "return !document.getElementById('pairing').hidden",
        )
        .await;
    browser.click("#phone-link summary").await;
    browser
        .type_into("#pair-form input[name=phone]", "+5511988887777")
        .await;
    browser.click("#pair-form button[type=submit]").await;
    browser
        .wait_for(
            "a pairing code shows",
            "return !document.getElementById('pair-code-box').hidden && document.getElementById('pair-code').textContent;",
        )
        .await;
    browser
        .screenshot(&artifacts().join("panel-pair-code-390-dark.png"))
        .await;
    browser.click("#delete").await;
    confirm(browser).await;
    browser
        .wait_for(
            "wa-02 is gone",
            "return !document.querySelector('li.instance[data-id=\"wa-02\"]');",
        )
        .await;
}

async fn send_and_watch_ticks(browser: &Session) {
    browser.click("[data-tab=activity]").await;
    browser
        .type_into("#send-form input[name=to]", "not a number")
        .await;
    browser
        .type_into("#send-form input[name=message]", "Hello from the panel")
        .await;
    browser.click("#send-form button[type=submit]").await;
    let error = browser.shown_error("a bad number is explained in words").await;
    assert!(!error.contains('{') && error.contains("number"), "{error}");

    browser
        .retype("#send-form input[name=to]", "+5511999999999")
        .await;
    browser.click("#send-form button[type=submit]").await;
    let mut seen: Vec<String> = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while seen.last().map(String::as_str) != Some("read") {
        assert!(
            tokio::time::Instant::now() < deadline,
            "ticks reached only {seen:?}"
        );
        let status = browser
            .run("const t = document.querySelector('#history tr td.ticks'); return t ? t.dataset.status : null;")
            .await;
        if let Some(status) = status.as_str() {
            if seen.last().map(String::as_str) != Some(status) {
                seen.push(status.to_owned());
            }
        }
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    assert!(seen.len() >= 2, "the ticks changed in place: {seen:?}");
}

/// The Webhooks tab: a refused URL is explained in words; a webhook is
/// added with the events ticked and its own secret, listed without the
/// secret, and removed after a confirmation.
async fn manage_webhooks(browser: &Session, http: &reqwest::Client, gateway: SocketAddr) {
    browser.click("[data-tab=webhooks]").await;
    browser
        .wait_for(
            "the tab shows no webhook",
            "return !document.getElementById('webhooks-empty').hidden",
        )
        .await;
    browser
        .type_into("#webhook-form input[name=url]", "ftp://hooks.example.com/wa")
        .await;
    browser.click("#webhook-form button[type=submit]").await;
    let error = browser.shown_error("a refused URL is explained").await;
    assert!(error.contains("http or https"), "{error}");
    browser
        .retype("#webhook-form input[name=url]", "https://hooks.example.com/wa")
        .await;
    browser.click("#webhook-form input[value=statuses]").await;
    browser
        .type_into("#webhook-form input[name=secret]", "whsec_panel_1")
        .await;
    browser.click("#webhook-form button[type=submit]").await;
    let shown = browser
        .wait_for(
            "the webhook is listed",
            "const li = document.querySelector('#webhooks li.webhook'); return li && li.textContent;",
        )
        .await;
    let shown = shown.as_str().unwrap();
    assert!(
        shown.contains("https://hooks.example.com/wa") && shown.contains("messages, statuses"),
        "{shown}"
    );
    assert!(
        shown.contains("own secret") && !shown.contains("whsec_panel_1"),
        "{shown}"
    );
    let listed = api(
        http,
        gateway,
        Method::GET,
        "/api/instances/wa-01/webhooks",
        Value::Null,
    )
    .await;
    assert_eq!(listed["webhooks"][0]["events"], json!(["messages", "statuses"]));
    let fits = browser
        .run("const d = document.documentElement; return d.scrollWidth <= d.clientWidth;")
        .await;
    assert_eq!(fits, true, "the webhooks tab fits the phone's width");
    browser
        .screenshot(&artifacts().join("panel-webhooks-390-dark.png"))
        .await;
    browser.click("#webhooks li.webhook button").await;
    confirm(browser).await;
    browser
        .wait_for(
            "the webhook is gone",
            "return !document.querySelector('#webhooks li.webhook');",
        )
        .await;
    let listed = api(
        http,
        gateway,
        Method::GET,
        "/api/instances/wa-01/webhooks",
        Value::Null,
    )
    .await;
    assert_eq!(listed["count"], 0);
}

/// A contact's reply shows up in the activity by itself.
async fn see_a_reply_arrive(browser: &Session, http: &reqwest::Client, gateway: SocketAddr) {
    let reply = json!({ "from": "+5511999999999", "text": "Got it, thanks" });
    api(http, gateway, Method::POST, "/api/sim/wa-01/inbound", reply).await;
    browser
        .wait_for(
            "the reply appears",
            "const t = document.querySelector('#history tr td.ticks'); \
             return t && t.dataset.status === 'received';",
        )
        .await;
}

/// The Groups tab lists the number's WhatsApp groups and the GHL location
/// it serves, with how that location spreads new contacts.
async fn see_groups_and_routes(browser: &Session, http: &reqwest::Client, gateway: SocketAddr) {
    let group = json!({ "subject": "Sales team", "members": ["+5511999999999"] });
    api(http, gateway, Method::POST, "/api/sim/wa-01/groups", group).await;
    let route = json!({ "defaultInstanceId": "wa-01", "newContacts": "roundRobin" });
    api(
        http,
        gateway,
        Method::PUT,
        "/api/ghl/locations/loc-browser",
        route,
    )
    .await;
    browser.click("[data-tab=chats]").await;
    browser
        .wait_for(
            "the group and the route show",
            "const groups = document.getElementById('groups').textContent; \
             const routes = document.getElementById('routes').textContent; \
             return groups.includes('Sales team') && groups.includes('2 members') && \
                    routes.includes('loc-browser') && routes.includes('in turn');",
        )
        .await;
    browser
        .screenshot(&artifacts().join("panel-groups-1280.png"))
        .await;
    browser.click("[data-tab=activity]").await;
}

/// Answers the panel's confirmation dialog with its OK button, once it asks.
async fn confirm(browser: &Session) {
    browser
        .wait_for(
            "a confirmation is asked",
            "return document.getElementById('confirm').open",
        )
        .await;
    browser.click("#confirm-ok").await;
}

/// Where screenshots go (made if missing).
fn artifacts() -> PathBuf {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/browser-artifacts");
    std::fs::create_dir_all(&folder).unwrap();
    folder
}

/// Screenshots at desktop and phone widths; the phone view must not scroll sideways.
async fn shoot(browser: &Session) {
    let folder = artifacts();
    browser.screenshot(&folder.join("panel-1280.png")).await;
    browser.resize(390, 844).await;
    let fits = browser
        .wait_for(
            "the panel fits 390 px",
            "return document.documentElement.scrollWidth <= window.innerWidth + 1 && window.innerWidth < 500;",
        )
        .await;
    assert_eq!(fits, true);
    browser.screenshot(&folder.join("panel-390.png")).await;
    browser.prefer_dark().await;
    let dark = browser
        .wait_for(
            "the panel turns dark",
            "return getComputedStyle(document.body).backgroundColor !== 'rgb(244, 246, 248)';",
        )
        .await;
    assert_eq!(dark, true);
    browser.screenshot(&folder.join("panel-390-dark.png")).await;
}
