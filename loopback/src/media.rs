//! Media hosting: the `media_conn` IQ names this server as the media host,
//! `POST /mms/<type>/<token>` keeps the encrypted blob a client uploads,
//! answering with its URL and direct path, and `GET <direct path>` serves
//! it back to whoever downloads it.
//!
//! Shapes: wacore `iq/mediaconn.rs` `MediaConnSpec` (`<iq xmlns="w:m"
//! type="set"><media_conn/>`, answered `<media_conn auth ttl><host
//! hostname/>`), whatsapp-rust `upload.rs` `build_upload_request`
//! (`https://{hostname}{/mms/audio}/{token}?auth&token`, the body the
//! encrypted file) and its `RawUploadResponse` (`{"url", "direct_path"}`);
//! wacore `download.rs` (`https://{hostname}{direct_path}?token=..`).
//! whatsapp-rust always writes `https://`: a client reaches this plain HTTP
//! host only through an HTTP client that sends that host's requests as
//! `http://` (the gateway's, with its `wa-loopback` feature).

use crate::iq;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use wacore_binary::builder::NodeBuilder;
use wacore_binary::Node;
use warp::http::StatusCode;
use warp::Filter;

/// How long the upload auth is good for, in seconds.
const AUTH_TTL: &str = "3600";

/// Blobs uploaded, by direct path (`/mms/audio/<token>`).
#[derive(Default)]
pub struct Blobs(Mutex<HashMap<String, Vec<u8>>>);

impl Blobs {
    /// How many blobs were uploaded under `/mms/<kind>/`.
    pub fn count(&self, kind: &str) -> usize {
        let prefix = format!("/mms/{kind}/");
        let blobs = self.0.lock().expect("blobs lock");
        blobs.keys().filter(|path| path.starts_with(&prefix)).count()
    }

    fn keep(&self, path: String, body: Vec<u8>) {
        self.0.lock().expect("blobs lock").insert(path, body);
    }

    fn get(&self, path: &str) -> Option<Vec<u8>> {
        self.0.lock().expect("blobs lock").get(path).cloned()
    }
}

/// The `media_conn` answer naming `host` (`127.0.0.1:<port>`).
pub fn media_conn(id: &str, host: &str) -> Node {
    let conn = NodeBuilder::new("media_conn")
        .attr("auth", "loopback")
        .attr("ttl", AUTH_TTL)
        .children([NodeBuilder::new("host").attr("hostname", host).build()])
        .build();
    iq::result(id, [conn])
}

/// The upload and download routes; `host` is this server's address, for
/// the URL.
pub fn media_routes(
    blobs: Arc<Blobs>,
    host: Arc<std::sync::OnceLock<String>>,
) -> impl Filter<Extract = (impl warp::Reply,), Error = warp::Rejection> + Clone {
    let kept = blobs.clone();
    let download =
        warp::get()
            .and(warp::path!("mms" / String / String))
            .map(move |kind: String, token: String| {
                let found = kept.get(&format!("/mms/{kind}/{token}"));
                let status = if found.is_some() {
                    StatusCode::OK
                } else {
                    StatusCode::NOT_FOUND
                };
                warp::reply::with_status(found.unwrap_or_default(), status)
            });
    let upload = warp::post()
        .and(warp::path!("mms" / String / String))
        .and(warp::body::bytes())
        .map(move |kind: String, token: String, body: bytes::Bytes| {
            let direct_path = format!("/mms/{kind}/{token}");
            blobs.keep(direct_path.clone(), body.to_vec());
            let host = host.get().cloned().unwrap_or_default();
            warp::reply::json(&serde_json::json!({
                "url": format!("https://{host}{direct_path}"),
                "direct_path": direct_path,
            }))
        });
    download.or(upload)
}
