//! A local HTTP receiver standing in for GHL's inbound webhook: records
//! every POST and answers with scripted statuses (then 200); it can hold
//! requests unanswered until told to let them go.

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

impl Received {
    /// Whether `X-Wagate-Signature` is `t=<recent unix seconds>,v1=<hex
    /// HMAC-SHA256 of "<t>.<raw body>" with secret>` (docs/ghl-setup.md).
    pub fn signed_with(&self, secret: &str) -> bool {
        use hmac::{Hmac, KeyInit, Mac};
        let Some(header) = &self.signature else {
            return false;
        };
        let Some((t, v1)) = header.split_once(",v1=") else {
            return false;
        };
        let Some(Ok(t)) = t.strip_prefix("t=").map(str::parse::<i64>) else {
            return false;
        };
        let age = super::now_secs() - t;
        let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{t}.{}", self.raw).as_bytes());
        let expected: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        (0..60).contains(&age) && v1 == expected
    }
}

#[derive(Default)]
struct Script {
    statuses: VecDeque<u16>,
    /// Answer every request with this status once the script is used up.
    always: Option<u16>,
    received: Vec<Received>,
    /// Requests that arrived, answered or not.
    attempts: usize,
    /// How many of the next requests wait for [`Receiver::release`].
    to_hold: usize,
}

impl Script {
    /// The status for a request that is being answered; a success is kept.
    fn answer(&mut self, received: Received) -> StatusCode {
        let status = self.statuses.pop_front().or(self.always).unwrap_or(200);
        if status < 300 {
            self.received.push(received);
        }
        StatusCode::from_u16(status).unwrap()
    }
}

#[derive(Clone)]
pub struct Receiver {
    pub addr: SocketAddr,
    script: Arc<Mutex<Script>>,
    released: Arc<tokio::sync::watch::Sender<bool>>,
}

impl Receiver {
    pub async fn start() -> Self {
        Self::start_on(0).await
    }

    /// Starts on a chosen loopback port (0: any free one).
    pub async fn start_on(port: u16) -> Self {
        let script = Arc::new(Mutex::new(Script::default()));
        let released = Arc::new(tokio::sync::watch::channel(false).0);
        let (shared, gate) = (script.clone(), released.clone());
        let route = warp::post()
            .and(warp::header::optional::<String>("x-wagate-forward-id"))
            .and(warp::header::optional::<String>("authorization"))
            .and(warp::header::optional::<String>("x-wagate-signature"))
            .and(warp::body::bytes())
            .then(
                move |forward_id: Option<String>,
                      authorization: Option<String>,
                      signature: Option<String>,
                      raw: bytes::Bytes| {
                    let (shared, mut gate) = (shared.clone(), gate.subscribe());
                    async move {
                        let held = {
                            let mut s = shared.lock().unwrap();
                            s.attempts += 1;
                            let held = s.to_hold > 0;
                            s.to_hold = s.to_hold.saturating_sub(1);
                            held
                        };
                        if held {
                            let _ = gate.wait_for(|released| *released).await;
                        }
                        let raw = String::from_utf8(raw.to_vec()).unwrap();
                        let received = Received {
                            body: serde_json::from_str(&raw).unwrap(),
                            forward_id,
                            authorization,
                            signature,
                            raw,
                        };
                        let status = shared.lock().unwrap().answer(received);
                        warp::reply::with_status(
                            warp::reply::json(&serde_json::json!({ "ok": true })),
                            status,
                        )
                    }
                },
            );
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(warp::serve(route).incoming(listener).run());
        Self {
            addr,
            script,
            released,
        }
    }

    /// The next `count` requests wait, unanswered, for [`Self::release`].
    pub fn hold_next(&self, count: usize) {
        self.script.lock().unwrap().to_hold = count;
    }

    /// Lets the held requests go (and any held later).
    pub fn release(&self) {
        self.released.send_replace(true);
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
