//! Local HTTP servers the bench talks to: a stand-in GHL receiver that
//! notes when each forward arrived (by WhatsApp message id), the bare
//! warp JSON endpoint that intake is compared with, and the bare relay
//! that paced inbound forwarding is compared with.

use serde_json::{json, Value};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use warp::filters::BoxedFilter;
use warp::{Filter, Reply};

/// Arrival instants of forwards, by `messageId`.
pub type Arrivals = Arc<Mutex<HashMap<String, Instant>>>;

/// Starts a receiver on 127.0.0.1:0 that answers 200 to any POST.
pub fn start_receiver() -> (SocketAddr, Arrivals) {
    let arrivals: Arrivals = Arc::default();
    let noted = arrivals.clone();
    let route = warp::post().and(warp::body::json()).map(move |body: Value| {
        if let Some(id) = body["messageId"].as_str() {
            let mut map = noted.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            map.entry(id.to_owned()).or_insert_with(Instant::now);
        }
        warp::reply::json(&json!({ "ok": true }))
    });
    (serve(route.boxed()), arrivals)
}

/// Starts the bare endpoint: POST with a JSON body → `{"ok":true}`.
pub fn start_bare() -> SocketAddr {
    let route = warp::post().and(warp::body::json()).map(|_: Value| {
        warp::reply::with_status(
            warp::reply::json(&json!({ "ok": true })),
            warp::http::StatusCode::ACCEPTED,
        )
    });
    serve(route.boxed())
}

/// Starts the bare relay: answers a POSTed message at once, as the sim
/// does, and POSTs `{"messageId": its id}` to `target` in the background,
/// as the gateway's forwarder does; nothing is stored on the way.
pub fn start_relay(target: String) -> SocketAddr {
    let client = reqwest::Client::new();
    let route = warp::post().and(warp::body::json()).map(move |body: Value| {
        let forward = client.post(&target).json(&json!({ "messageId": body["id"] }));
        tokio::spawn(async move {
            if let Err(e) = forward.send().await {
                tracing::error!(error = %e, "the bare relay could not forward");
            }
        });
        warp::reply::json(&json!({ "ok": true }))
    });
    serve(route.boxed())
}

/// Serves `route` on 127.0.0.1:0 in a task of its own; returns its
/// address. Call it inside the runtime.
fn serve<T: Reply + 'static>(route: BoxedFilter<(T,)>) -> SocketAddr {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).expect("a free local port");
    listener.set_nonblocking(true).expect("a non-blocking socket");
    let addr = listener.local_addr().expect("a bound socket has an address");
    let listener = tokio::net::TcpListener::from_std(listener).expect("called inside the runtime");
    tokio::spawn(warp::serve(route).incoming(listener).run());
    addr
}
