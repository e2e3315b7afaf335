//! Just enough of the W3C WebDriver protocol to drive headless Chromium
//! through a chromedriver we start ourselves: no browser download, no
//! extra crate; reqwest speaks the JSON.

use base64::Engine;
use serde_json::{json, Value};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The key WebDriver names element references with.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A chromedriver process, killed when dropped (also when a test fails).
pub struct Driver {
    process: Child,
    base: String,
    http: reqwest::Client,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

impl Driver {
    pub async fn start(chromedriver: &Path) -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let process = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap();
        let driver = Driver {
            process,
            base: format!("http://127.0.0.1:{port}"),
            http,
        };
        for _ in 0..100 {
            let status = driver.http.get(format!("{}/status", driver.base)).send().await;
            if let Ok(status) = status {
                let body: Value = status.json().await.unwrap_or_default();
                if body["value"]["ready"] == true {
                    return driver;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("chromedriver did not become ready");
    }

    /// A new headless Chromium session with a fresh profile.
    pub async fn session(&self, chromium: &Path, profile: &Path) -> Session {
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-quic",
            "--no-first-run",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1280,900",
        ];
        let mut args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        let capabilities = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": chromium, "args": args },
        }}});
        let answer = call(
            &self.http,
            reqwest::Method::POST,
            &format!("{}/session", self.base),
            Some(capabilities),
        )
        .await;
        let id = answer["sessionId"].as_str().expect("a session id").to_owned();
        Session {
            url: format!("{}/session/{id}", self.base),
            http: self.http.clone(),
        }
    }
}

async fn call(http: &reqwest::Client, method: reqwest::Method, url: &str, body: Option<Value>) -> Value {
    let mut request = http.request(method.clone(), url);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("chromedriver answers");
    let status = response.status();
    let body: Value = response.json().await.expect("chromedriver answers JSON");
    assert!(status.is_success(), "{method} {url}: {status} {body}");
    body["value"].clone()
}

/// One browser session.
#[derive(Clone)]
pub struct Session {
    url: String,
    http: reqwest::Client,
}

impl Session {
    async fn post(&self, path: &str, body: Value) -> Value {
        call(
            &self.http,
            reqwest::Method::POST,
            &format!("{}{path}", self.url),
            Some(body),
        )
        .await
    }

    pub async fn goto(&self, url: &str) {
        self.post("/url", json!({ "url": url })).await;
    }

    /// Moves into the page's first frame.
    pub async fn enter_first_frame(&self) {
        self.post("/frame", json!({ "id": 0 })).await;
    }

    /// Moves back to the frame that holds the current one.
    pub async fn leave_frame(&self) {
        self.post("/frame/parent", json!({})).await;
    }

    pub async fn resize(&self, width: u32, height: u32) {
        self.post("/window/rect", json!({ "width": width, "height": height }))
            .await;
    }

    /// Makes the page see `prefers-color-scheme: dark` (Chrome DevTools).
    pub async fn prefer_dark(&self) {
        let media = json!({ "features": [{ "name": "prefers-color-scheme", "value": "dark" }] });
        let command = json!({ "cmd": "Emulation.setEmulatedMedia", "params": media });
        self.post("/goog/cdp/execute", command).await;
    }

    /// Runs a script (a function body) in the current frame.
    pub async fn run(&self, script: &str) -> Value {
        self.post("/execute/sync", json!({ "script": script, "args": [] }))
            .await
    }

    /// Waits until `script` returns something truthy; returns it.
    pub async fn wait_for(&self, what: &str, script: &str) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            let value = self.run(script).await;
            if !matches!(value, Value::Null | Value::Bool(false)) && value != "" {
                return value;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out waiting until {what}"
            );
            tokio::time::sleep(Duration::from_millis(40)).await;
        }
    }

    async fn find(&self, css: &str) -> String {
        let found = self
            .post("/element", json!({ "using": "css selector", "value": css }))
            .await;
        found[ELEMENT].as_str().expect("an element reference").to_owned()
    }

    /// Types into the element, as a person would.
    pub async fn type_into(&self, css: &str, text: &str) {
        let element = self.find(css).await;
        self.post(&format!("/element/{element}/value"), json!({ "text": text }))
            .await;
    }

    /// Empties the field at `css`, then types `text` into it.
    pub async fn retype(&self, css: &str, text: &str) {
        let element = self.find(css).await;
        self.post(&format!("/element/{element}/clear"), json!({})).await;
        self.post(&format!("/element/{element}/value"), json!({ "text": text }))
            .await;
    }

    /// Waits until the panel's error line shows (`what` says why one is
    /// expected); gives its text.
    pub async fn shown_error(&self, what: &str) -> String {
        let script = "const e = document.getElementById('error'); return !e.hidden && e.textContent.trim();";
        let error = self.wait_for(what, script).await;
        error.as_str().unwrap_or_default().to_owned()
    }

    pub async fn click(&self, css: &str) {
        let element = self.find(css).await;
        self.post(&format!("/element/{element}/click"), json!({})).await;
    }

    /// Saves a PNG screenshot of the whole window.
    pub async fn screenshot(&self, file: &Path) {
        let shot = call(
            &self.http,
            reqwest::Method::GET,
            &format!("{}/screenshot", self.url),
            None,
        )
        .await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot.as_str().expect("base64 PNG"))
            .unwrap();
        std::fs::write(file, png).unwrap();
    }

    pub async fn close(self) {
        call(&self.http, reqwest::Method::DELETE, &self.url, None).await;
    }
}
