//! `GET /api/events`: the panel's live feed as Server-Sent Events. It
//! sends each instance's state on connect and on every change (`instance`,
//! with the QR as a data URL while pairing), `removed` when an instance's
//! session ends, and `message` when a message arrives or changes status. With
//! Redis it covers the instances and messages of every process sharing it
//! (relayed by `cluster::live`); `removed` is sent for this process's only. A caller with
//! a panel token sees only its instances. A browser's EventSource sends no
//! headers, so it opens the stream with a one-time `?ticket=` it asked for
//! with its credential (`POST /api/events/ticket`, see `ticket`); the API
//! key and panel links never ride in the URL. The stream ends when the
//! gateway shuts down; the panel then asks for a new ticket and reconnects.

mod ticket;

use super::auth::{self, Access, Credentials};
use super::common::with_state;
use super::error::ApiError;
use super::state::AppState;
use crate::domain::InstanceId;
use crate::live::MessageEvent;
use crate::wa::actor::InstanceView;
use crate::wa::manager::SessionHandle;
use futures::StreamExt;
use serde::Deserialize;
use serde_json::json;
use std::convert::Infallible;
use std::sync::Arc;
use ticket::Tickets;
use tokio::sync::{broadcast, mpsc};
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use warp::filters::BoxedFilter;
use warp::sse::Event;
use warp::{Filter, Reply};

/// Events a slow browser may fall behind by before the feed waits for it.
const BUFFER: usize = 64;

pub fn routes(state: AppState, credentials: Credentials) -> BoxedFilter<(warp::reply::Response,)> {
    let tickets = Arc::new(Tickets::new(credentials.tokens.clone()));
    let issue = warp::path!("events" / "ticket")
        .and(warp::post())
        .and(auth::from_headers(credentials.clone()))
        .and(with(tickets.clone()))
        .map(|access: Access, tickets: Arc<Tickets>| {
            let (ticket, expires_at) = tickets.issue(&access, crate::support::clock::now_ms() / 1000);
            let answer = json!({
                "success": true,
                "ticket": ticket,
                "expiresAt": crate::support::clock::rfc3339(expires_at * 1000),
            });
            warp::reply::with_header(warp::reply::json(&answer), "cache-control", "no-store").into_response()
        });
    let stream = warp::path!("events")
        .and(warp::get())
        .and(stream_access(credentials, tickets))
        .and(with_state(state))
        .map(|access: Result<Access, ApiError>, state: AppState| {
            // Answered here, so no other route's rejection hides the reason.
            let access = match access {
                Ok(access) => access,
                Err(refused) => return super::error::reply(&refused).into_response(),
            };
            let (sender, receiver) = mpsc::channel(BUFFER);
            tokio::spawn(feed(access, state, sender));
            let events = ReceiverStream::new(receiver).map(Ok::<Event, Infallible>);
            let reply = warp::sse::reply(warp::sse::keep_alive().stream(events));
            warp::reply::with_header(reply, "cache-control", "no-store").into_response()
        });
    issue.or(stream).unify().boxed()
}

#[derive(Deserialize)]
struct TicketQuery {
    ticket: Option<String>,
}

/// The stream's access: from a `?ticket=` when one is offered, else from
/// the headers (clients that can send them).
fn stream_access(
    credentials: Credentials,
    tickets: Arc<Tickets>,
) -> impl Filter<Extract = (Result<Access, ApiError>,), Error = warp::Rejection> + Clone {
    warp::query::<TicketQuery>()
        .or(warp::any().map(|| TicketQuery { ticket: None }))
        .unify()
        .and(auth::optional_from_headers(credentials))
        .and_then(move |query: TicketQuery, headers: Option<Access>| {
            let tickets = tickets.clone();
            let access = match (query.ticket, headers) {
                (Some(ticket), _) => tickets
                    .redeem(&ticket, crate::support::clock::now_ms() / 1000)
                    .map_err(|e| auth::unauthorized(&e.to_string())),
                (None, Some(access)) => Ok(access),
                (None, None) => Err(auth::unauthorized(
                    "the event stream needs a ticket (POST /api/events/ticket) or a credential in a header",
                )),
            };
            async move { Ok::<_, warp::Rejection>(access) }
        })
}

fn with<T: Clone + Send>(value: T) -> impl Filter<Extract = (T,), Error = Infallible> + Clone {
    warp::any().map(move || value.clone())
}

/// Follows every instance the caller may see, and message changes, until
/// the browser leaves or the gateway stops.
async fn feed(access: Access, state: AppState, sender: mpsc::Sender<Event>) {
    let _open = state.fleet.open_feed();
    let done = state.shutdown.child_token();
    let (running, mut started) = state.sessions.running_and_started();
    let mut messages = state.message_events.subscribe();
    let mut elsewhere = state.fleet.remote_views();
    for handle in running {
        follow(&access, handle, &sender, &done);
    }
    if !send_published_elsewhere(&access, &state, &sender).await {
        return;
    }
    let expiry = expiry(&access);
    tokio::pin!(expiry);
    loop {
        tokio::select! {
            _ = done.cancelled() => break,
            // An expired panel link sees no more; reconnecting then gets a 401.
            _ = &mut expiry => break,
            _ = sender.closed() => break,
            handle = started.recv() => match handle {
                Ok(handle) => follow(&access, handle, &sender, &done),
                // Missed starts: end the stream; the browser reconnects afresh.
                Err(_) => break,
            },
            remote = elsewhere.recv() => match remote {
                Ok(remote) if access.allows(&remote.instance) && state.sessions.get(&remote.instance).is_none() => {
                    if sender.send(instance_event(&remote.instance, &remote.view)).await.is_err() {
                        break;
                    }
                }
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => break,
            },
            change = messages.recv() => match change {
                Ok(change) if access.allows(&change.instance_id) => {
                    if sender.send(message_event(&change)).await.is_err() {
                        break;
                    }
                }
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => break,
            },
        }
    }
    done.cancel();
}

/// Sends the state of each instance the caller may see that runs in
/// another process; false when the browser left.
async fn send_published_elsewhere(access: &Access, state: &AppState, sender: &mpsc::Sender<Event>) -> bool {
    let records = match state.stores.instances.instances().await {
        Ok(records) => records,
        Err(e) => {
            tracing::warn!(error = %e, "cannot list the instances for the live feed");
            return true;
        }
    };
    for remote in state.fleet.published_elsewhere(&records).await {
        if access.allows(&remote.instance)
            && sender
                .send(instance_event(&remote.instance, &remote.view))
                .await
                .is_err()
        {
            return false;
        }
    }
    true
}

/// Resolves when the caller's access expires (never, for the API key).
async fn expiry(access: &Access) {
    match access.expires_at() {
        Some(at) => {
            let left_ms = (at * 1000 - crate::support::clock::now_ms()).max(0);
            tokio::time::sleep(std::time::Duration::from_millis(left_ms as u64)).await;
        }
        None => std::future::pending().await,
    }
}

fn follow(access: &Access, handle: SessionHandle, sender: &mpsc::Sender<Event>, done: &CancellationToken) {
    if access.allows(&handle.id) {
        tokio::spawn(follow_instance(handle, sender.clone(), done.clone()));
    }
}

/// Sends the instance's state now and after each change.
async fn follow_instance(handle: SessionHandle, sender: mpsc::Sender<Event>, done: CancellationToken) {
    let mut view = handle.watch();
    loop {
        let current = view.borrow_and_update().clone();
        if sender.send(instance_event(&handle.id, &current)).await.is_err() {
            return;
        }
        tokio::select! {
            _ = done.cancelled() => return,
            _ = sender.closed() => return,
            changed = view.changed() => if changed.is_err() {
                let gone = json!({ "instanceId": handle.id });
                let _ = sender.send(Event::default().event("removed").data(gone.to_string())).await;
                return;
            },
        }
    }
}

fn instance_event(id: &InstanceId, view: &InstanceView) -> Event {
    let qr = view
        .qr
        .as_deref()
        .and_then(|code| match crate::support::qr::data_url(code) {
            Ok(url) => Some(url),
            Err(e) => {
                tracing::warn!(instance = %id, error = %e, "could not draw the QR for the panel");
                None
            }
        });
    let data = json!({
        "instanceId": id,
        "status": view.status,
        "phone": view.phone,
        "qr": qr,
        "qrExpiresAt": view.qr_expires_at_ms.map(crate::support::clock::rfc3339),
        "pairCode": view.pair_code,
        "lastError": view.last_error,
        "lastConnectedAt": view.last_connected_at_ms.map(crate::support::clock::rfc3339),
    });
    Event::default().event("instance").data(data.to_string())
}

fn message_event(change: &MessageEvent) -> Event {
    let data = serde_json::to_string(change).expect("message events serialize");
    Event::default().event("message").data(data)
}
