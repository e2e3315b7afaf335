//! The HTTP server around the routes: gives every request an id (the
//! caller's `X-Request-Id` when it is sane, else a fresh one), runs the
//! request inside a tracing span carrying that id, echoes the id in the
//! answer, and counts answers by route template, method and status.
//! Connections are taken and bounded by `listener`.

use crate::api::server::listener::{self, Limits};
use crate::metrics::{routes, Metrics};
use hyper::body::Incoming;
use hyper::Request;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_service::Service;
use tracing::Instrument;
use warp::filters::BoxedFilter;
use warp::http::HeaderValue;
use warp::reply::Response;

pub const REQUEST_ID: &str = "x-request-id";
/// Longest caller-chosen request id that is kept.
const MAX_REQUEST_ID: usize = 128;

/// Serves `routes` on `listener` within `limits` until `stop`, then lets
/// the requests in progress finish.
pub async fn serve(
    routes: BoxedFilter<(Response,)>,
    listener: TcpListener,
    limits: Limits,
    metrics: Arc<Metrics>,
    stop: CancellationToken,
) {
    let service = warp::service(routes);
    let handlers = {
        let metrics = metrics.clone();
        move |remote: SocketAddr| {
            let (service, metrics) = (service.clone(), metrics.clone());
            move |request| handle(service.clone(), metrics.clone(), Some(remote), request)
        }
    };
    listener::serve(listener, handlers, limits, metrics, stop).await
}

async fn handle<S>(
    mut service: S,
    metrics: Arc<Metrics>,
    remote: Option<SocketAddr>,
    mut request: Request<Incoming>,
) -> Result<Response, Infallible>
where
    S: Service<Request<Incoming>, Response = Response, Error = Infallible>,
{
    let id = request_id(request.headers().get(REQUEST_ID));
    let header = HeaderValue::from_str(&id).expect("request ids are visible ASCII");
    request.headers_mut().insert(REQUEST_ID, header.clone());
    let route = routes::template(request.uri().path());
    let method = routes::method(request.method().as_str());
    // Recorded (and formatted) only when the span is enabled.
    let remote = remote.map(tracing::field::display);
    let span = tracing::info_span!("http", request_id = %id, route, remote);
    // warp builds its own request span when the call starts: inside ours.
    let answer = span.in_scope(|| service.call(request));
    let mut response = answer.instrument(span).await?;
    response.headers_mut().insert(REQUEST_ID, header);
    metrics
        .http_requests
        .with_label_values(&[route, method, response.status().as_str()])
        .inc();
    Ok(response)
}

/// The caller's id when it is short visible ASCII, else a new one.
fn request_id(offered: Option<&HeaderValue>) -> String {
    offered
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty() && v.len() <= MAX_REQUEST_ID && v.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_owned)
        .unwrap_or_else(new_request_id)
}

/// A random (version 4) UUID in its 32-digit form, from the thread's
/// generator: `Uuid::new_v4` asks the kernel for its bytes on every call.
fn new_request_id() -> String {
    let bytes: [u8; 16] = rand::random();
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .simple()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sane_ids_are_kept_and_others_replaced() {
        let kept = HeaderValue::from_static("abc-123");
        assert_eq!(request_id(Some(&kept)), "abc-123");
        let spaced = HeaderValue::from_static("a b");
        assert_eq!(request_id(Some(&spaced)).len(), 32);
        let long = HeaderValue::from_str(&"x".repeat(200)).unwrap();
        assert_eq!(request_id(Some(&long)).len(), 32);
        assert_eq!(request_id(None).len(), 32);
    }

    #[test]
    fn new_ids_are_version_4_uuids_that_differ() {
        let (a, b) = (new_request_id(), new_request_id());
        assert_ne!(a, b);
        let parsed = uuid::Uuid::parse_str(&a).unwrap();
        assert_eq!(parsed.get_version_num(), 4);
        assert_eq!(parsed.get_variant(), uuid::Variant::RFC4122);
    }
}
