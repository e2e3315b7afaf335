//! The GHL receiver down for a while: answering 503, then refusing
//! connections, then answering slower than FORWARD_TIMEOUT_MS; then back.
//! Every forward is delivered, and none twice: the receiver dedupes by
//! nothing, it counts receipts per forwardId.

use crate::gateway::{eventually, InProcess};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use warp::http::StatusCode;
use warp::Filter;

const TIMEOUT_MS: u64 = 300;

#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Mode {
    Unavailable,
    Slow,
    /// Takes the request and never answers.
    Hang,
    /// Answers 200, after `LATE`.
    Late,
    Up,
}

/// How long a `Late` answer takes.
const LATE: Duration = Duration::from_millis(400);

/// Receipts answered 200, by forwardId, with the message ids they carried.
type Receipts = Arc<Mutex<HashMap<String, (usize, String)>>>;

pub struct Receiver {
    pub addr: SocketAddr,
    mode: Arc<Mutex<Mode>>,
    pub receipts: Receipts,
    /// Requests taken, answered or not.
    requests: Arc<AtomicUsize>,
    /// The message ids answered 200, in the order of the answers.
    pub arrivals: Arc<Mutex<Vec<String>>>,
    server: Option<tokio::task::JoinHandle<()>>,
}

impl Receiver {
    pub async fn start() -> Self {
        let mut receiver = Self {
            addr: ([127, 0, 0, 1], 0).into(),
            mode: Arc::new(Mutex::new(Mode::Unavailable)),
            receipts: Arc::default(),
            requests: Arc::default(),
            arrivals: Arc::default(),
            server: None,
        };
        receiver.listen().await;
        receiver
    }

    /// (Re)opens the listening socket on the same address.
    async fn listen(&mut self) {
        let listener = tokio::net::TcpListener::bind(self.addr)
            .await
            .expect("the port is free again");
        self.addr = listener.local_addr().unwrap();
        let (mode, requests) = (self.mode.clone(), self.requests.clone());
        let records = (self.receipts.clone(), self.arrivals.clone());
        let route = warp::post().and(warp::body::json()).and_then(move |body: Value| {
            let (mode, records) = (mode.clone(), records.clone());
            requests.fetch_add(1, Ordering::Relaxed);
            async move { Ok::<_, warp::Rejection>(answer(body, mode, records).await) }
        });
        self.server = Some(tokio::spawn(warp::serve(route).incoming(listener).run()));
    }

    /// Closes the socket: new connections are refused.
    fn refuse(&mut self) {
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }

    /// Waits until forwards of `messages` messages were answered 200; a
    /// second later, checks that each was answered once, and that they
    /// carried `messages` different messages.
    pub async fn assert_every_message_once(&self, messages: usize) {
        eventually("every message reached the receiver", || async {
            self.receipts.lock().unwrap().len() >= messages
        })
        .await;
        tokio::time::sleep(Duration::from_millis(1_000)).await;
        let receipts = self.receipts.lock().unwrap().clone();
        assert!(
            receipts.values().all(|(count, _)| *count == 1),
            "a forward arrived twice: {receipts:?}"
        );
        let mut message_ids: Vec<&str> = receipts.values().map(|(_, id)| id.as_str()).collect();
        message_ids.sort_unstable();
        message_ids.dedup();
        assert_eq!(message_ids.len(), messages, "{receipts:?}");
    }

    /// An in-process gateway forwarding here with `timeout_ms` per try
    /// and quick retries that never run out.
    pub async fn gateway(&self, session_dir: &std::path::Path, timeout_ms: u64) -> InProcess {
        let flags = [
            format!("--ghl-inbound-url=http://{}/ghl", self.addr),
            format!("--forward-timeout-ms={timeout_ms}"),
            "--forward-retry-base-ms=50".to_owned(),
            "--forward-retry-max-ms=200".to_owned(),
            "--forward-max-attempts=1000".to_owned(),
        ];
        let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
        InProcess::start(session_dir, &flags).await
    }

    /// Waits until `count` requests came in, answered or not.
    pub async fn wait_for_requests(&self, count: usize) {
        eventually(&format!("{count} requests reached the receiver"), || async {
            self.requests.load(Ordering::Relaxed) >= count
        })
        .await;
    }

    pub fn set(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }
}

async fn answer(
    body: Value,
    mode: Arc<Mutex<Mode>>,
    (receipts, arrivals): (Receipts, Arc<Mutex<Vec<String>>>),
) -> impl warp::Reply {
    let mut current = *mode.lock().unwrap();
    if current == Mode::Hang {
        std::future::pending::<()>().await;
    }
    if current == Mode::Late {
        tokio::time::sleep(LATE).await;
        current = Mode::Up;
    }
    if current == Mode::Slow {
        tokio::time::sleep(Duration::from_millis(TIMEOUT_MS * 3)).await;
    }
    if current != Mode::Up {
        let reply = warp::reply::with_status(warp::reply::json(&json!({})), StatusCode::SERVICE_UNAVAILABLE);
        return warp::reply::with_header(reply, "connection", "close");
    }
    let forward_id = body["forwardId"].as_str().unwrap_or_default().to_owned();
    let message_id = body["messageId"].as_str().unwrap_or_default().to_owned();
    arrivals.lock().unwrap().push(message_id.clone());
    let mut receipts = receipts.lock().unwrap();
    receipts.entry(forward_id).or_insert((0, message_id)).0 += 1;
    let reply = warp::reply::with_status(warp::reply::json(&json!({ "ok": true })), StatusCode::OK);
    warp::reply::with_header(reply, "connection", "keep-alive")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_forward_arrives_once_after_the_receiver_recovers() {
    let mut receiver = Receiver::start().await;
    let dir = tempfile::tempdir().unwrap();
    let gateway = receiver.gateway(dir.path(), TIMEOUT_MS).await;
    gateway.api.link("down-1", "+15550000001").await;
    let mut sent = 0;
    let mut inbound_batch = |phase: &'static str| {
        let api = gateway.api.clone();
        let first = sent;
        sent += 5;
        async move {
            for n in first..first + 5 {
                let body = json!({ "from": "+5511999999999", "text": phase, "id": format!("DOWN{n:03}") });
                let (status, reply) = api.post("/api/sim/down-1/inbound", body).await;
                assert_eq!(status, reqwest::StatusCode::OK, "{reply}");
            }
        }
    };
    inbound_batch("503").await;
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    receiver.refuse();
    inbound_batch("refused").await;
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    receiver.set(Mode::Slow);
    receiver.listen().await;
    inbound_batch("slow").await;
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    receiver.set(Mode::Up);
    inbound_batch("up").await;
    receiver.assert_every_message_once(20).await;
    gateway.stop().await;
}
