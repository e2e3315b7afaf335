//! A local HTTP receiver standing in for GHL's inbound webhook: records
//! every POST and answers with scripted statuses (then 200).

use serde_json::Value;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use warp::http::StatusCode;
use warp::Filter;

#[derive(Clone, Debug)]
pub struct Received {
    pub body: Value,
    pub forward_id: Option<String>,
    pub authorization: Option<String>,
    pub signature: Option<String>,
    /// The body exactly as it arrived.
    pub raw: String,
}

#[derive(Default)]
struct Script {
    statuses: VecDeque<u16>,
    /// Answer every request with this status once the script is used up.
    always: Option<u16>,
    received: Vec<Received>,
    attempts: usize,
}

#[derive(Clone)]
pub struct Receiver {
    pub addr: SocketAddr,
    script: Arc<Mutex<Script>>,
}

impl Receiver {
    pub async fn start() -> Self {
        Self::start_on(0).await
    }

    /// Starts on a chosen loopback port (0: any free one).
    pub async fn start_on(port: u16) -> Self {
        let script = Arc::new(Mutex::new(Script::default()));
        let shared = script.clone();
        let route = warp::post()
            .and(warp::header::optional::<String>("x-wagate-forward-id"))
            .and(warp::header::optional::<String>("authorization"))
            .and(warp::header::optional::<String>("x-wagate-signature"))
            .and(warp::body::bytes())
            .map(
                move |forward_id: Option<String>,
                      authorization: Option<String>,
                      signature: Option<String>,
                      raw: bytes::Bytes| {
                    let raw = String::from_utf8(raw.to_vec()).unwrap();
                    let body: Value = serde_json::from_str(&raw).unwrap();
                    let mut s = shared.lock().unwrap();
                    s.attempts += 1;
                    let status = s.statuses.pop_front().or(s.always).unwrap_or(200);
                    if status < 300 {
                        s.received.push(Received {
                            body,
                            forward_id,
                            authorization,
                            signature,
                            raw,
                        });
                    }
                    let status = StatusCode::from_u16(status).unwrap();
                    warp::reply::with_status(warp::reply::json(&serde_json::json!({ "ok": true })), status)
                },
            );
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let incoming = tokio_stream::wrappers::TcpListenerStream::new(listener);
        tokio::spawn(warp::serve(route).run_incoming(incoming));
        Self { addr, script }
    }

    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    /// The next requests get these statuses, in order.
    pub fn answer_next(&self, statuses: &[u16]) {
        self.script.lock().unwrap().statuses.extend(statuses);
    }

    pub fn answer_always(&self, status: Option<u16>) {
        self.script.lock().unwrap().always = status;
    }

    pub fn received(&self) -> Vec<Received> {
        self.script.lock().unwrap().received.clone()
    }

    pub fn attempts(&self) -> usize {
        self.script.lock().unwrap().attempts
    }
}
