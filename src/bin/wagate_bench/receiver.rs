//! Local HTTP servers the bench talks to: a stand-in GHL receiver that
//! notes when each forward arrived (by WhatsApp message id), and the bare
//! warp JSON endpoint that intake is compared with.

use serde_json::{json, Value};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use warp::Filter;

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
    let (addr, server) = warp::serve(route).bind_ephemeral(([127, 0, 0, 1], 0));
    tokio::spawn(server);
    (addr, arrivals)
}

/// Starts the bare endpoint: POST with a JSON body → `{"ok":true}`.
pub fn start_bare() -> SocketAddr {
    let route = warp::post().and(warp::body::json()).map(|_: Value| {
        warp::reply::with_status(
            warp::reply::json(&json!({ "ok": true })),
            warp::http::StatusCode::ACCEPTED,
        )
    });
    let (addr, server) = warp::serve(route).bind_ephemeral(([127, 0, 0, 1], 0));
    tokio::spawn(server);
    addr
}
