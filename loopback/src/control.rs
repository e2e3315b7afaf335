//! The control API of the loopback server run as a program (issue #20,
//! item 2): a small JSON API on its own port, so a whole gateway process
//! (WA_WS_URL pointing at the server) can be driven from outside, as the
//! sim is: a phone scans a QR code, contacts are started, read what they
//! decrypted, write and read messages; a number's devices are removed,
//! connections dropped, and the counters read.
//!
//! `POST /scan {"qr","phone"}`, `POST /codes {"phone","code"}` (the phone
//! types the code a client shows after asking to link to it),
//! `POST /contacts {"phone"}`,
//! `GET /contacts/{phone}/received` (`[{"id","from","text","timestamp"}]`),
//! `POST /contacts/{phone}/send {"to","text"}` (`{"id"}`),
//! `POST /contacts/{phone}/read {"id"}`, `POST /calls {"from","to",
//! "video"?,"answered"?}` (`{"callId"}`: the call rings on `to`'s linked
//! devices and ends, missed unless `answered` on the phone),
//! `POST /accounts/{phone}/logout`, `POST /drop`, `GET /stats`. Bad input is a JSON `{"error"}` with 400
//! (unreadable), 404 (unknown contact or message), 409 (a contact already
//! running) or 422 (a QR code no client shows, a code that does not
//! match).

use crate::{phone_digits, Contact, LoopbackServer};
use anyhow::Result;
use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::task::JoinHandle;
use warp::http::StatusCode;
use warp::Filter;

/// A failed call: its status and why.
struct Refusal(StatusCode, String);

type Answer = std::result::Result<(StatusCode, Value), Refusal>;

fn refuse(status: StatusCode, why: impl std::fmt::Display) -> Refusal {
    Refusal(status, why.to_string())
}

fn ok(value: Value) -> Answer {
    Ok((StatusCode::OK, value))
}

struct Control {
    server: Arc<LoopbackServer>,
    /// Running contacts by number (digits).
    contacts: Mutex<HashMap<String, Arc<Contact>>>,
}

#[derive(Deserialize)]
struct Scan {
    qr: String,
    phone: String,
}

#[derive(Deserialize)]
struct NewContact {
    phone: String,
}

#[derive(Deserialize)]
struct Write {
    to: String,
    text: String,
}

#[derive(Deserialize)]
struct Read {
    id: String,
}

#[derive(Deserialize)]
struct Code {
    phone: String,
    code: String,
}

#[derive(Deserialize)]
struct Ring {
    from: String,
    to: String,
    #[serde(default)]
    video: bool,
    #[serde(default)]
    answered: bool,
}

/// Serves the control API of `server` on 127.0.0.1:`port` (0: a free
/// port); gives the address bound and the serving task.
pub fn serve(server: Arc<LoopbackServer>, port: u16) -> Result<(SocketAddr, JoinHandle<()>)> {
    let control = Arc::new(Control {
        server,
        contacts: Mutex::default(),
    });
    let state = warp::any().map(move || control.clone());
    let body = warp::body::bytes();
    let scan = warp::path!("scan")
        .and(state.clone())
        .and(body)
        .then(|c: Arc<Control>, b: Bytes| async move { reply(c.scan(&b)) });
    let code = warp::path!("codes")
        .and(state.clone())
        .and(body)
        .then(|c: Arc<Control>, b: Bytes| async move { reply(c.enter_code(&b).await) });
    let add = warp::path!("contacts")
        .and(state.clone())
        .and(body)
        .then(|c: Arc<Control>, b: Bytes| async move { reply(c.add(&b).await) });
    let send = warp::path!("contacts" / String / "send")
        .and(state.clone())
        .and(body)
        .then(|p: String, c: Arc<Control>, b: Bytes| async move { reply(c.send(&p, &b).await) });
    let read = warp::path!("contacts" / String / "read")
        .and(state.clone())
        .and(body)
        .then(|p: String, c: Arc<Control>, b: Bytes| async move { reply(c.read(&p, &b).await) });
    let ring = warp::path!("calls")
        .and(state.clone())
        .and(body)
        .map(|c: Arc<Control>, b: Bytes| reply(c.ring(&b)));
    let logout = warp::path!("accounts" / String / "logout")
        .and(state.clone())
        .map(|p: String, c: Arc<Control>| reply(c.logout(&p)));
    let drop = warp::path!("drop").and(state.clone()).map(|c: Arc<Control>| {
        c.server.drop_connections();
        reply(ok(json!({"dropped": true})))
    });
    let received = warp::path!("contacts" / String / "received")
        .and(state.clone())
        .map(|p: String, c: Arc<Control>| reply(c.received(&p)));
    let stats = warp::path!("stats")
        .and(state)
        .map(|c: Arc<Control>| reply(ok(json!(c.server.stats()))));
    let links = scan.or(code).unify();
    let posts = warp::post().and(links.or(add).unify().or(send).unify().or(read).unify());
    let posts = posts
        .or(warp::post().and(ring.or(logout).unify().or(drop).unify()))
        .unify();
    let gets = warp::get().and(received.or(stats).unify());
    let routes = posts.or(gets).unify();
    let listener = std::net::TcpListener::bind(("127.0.0.1", port))?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let serving = warp::serve(routes).incoming(tokio::net::TcpListener::from_std(listener)?);
    Ok((addr, tokio::spawn(serving.run())))
}

fn reply(answer: Answer) -> warp::reply::WithStatus<warp::reply::Json> {
    let (status, body) = answer.unwrap_or_else(|Refusal(status, why)| (status, json!({ "error": why })));
    warp::reply::with_status(warp::reply::json(&body), status)
}

fn parse<T: DeserializeOwned>(body: &[u8]) -> std::result::Result<T, Refusal> {
    serde_json::from_slice(body).map_err(|e| refuse(StatusCode::BAD_REQUEST, format!("unreadable body: {e}")))
}

/// The digits of a number given as `+5511...`, digits, or in a path with
/// its `+` escaped (`%2B5511...`).
fn digits(phone: &str) -> std::result::Result<String, Refusal> {
    let phone = phone.strip_prefix("%2B").unwrap_or(phone);
    phone_digits(phone).map_err(|e| refuse(StatusCode::BAD_REQUEST, e))
}

impl Control {
    fn scan(&self, body: &[u8]) -> Answer {
        let scan: Scan = parse(body)?;
        self.server
            .scan(&scan.qr, &scan.phone)
            .map_err(|e| refuse(StatusCode::UNPROCESSABLE_ENTITY, format!("cannot scan: {e}")))?;
        ok(json!({"scanned": true}))
    }

    async fn enter_code(&self, body: &[u8]) -> Answer {
        let entered: Code = parse(body)?;
        self.server
            .enter_code(&entered.phone, &entered.code)
            .await
            .map_err(|e| refuse(StatusCode::UNPROCESSABLE_ENTITY, format!("cannot link: {e:#}")))?;
        ok(json!({"linked": true}))
    }

    async fn add(&self, body: &[u8]) -> Answer {
        let phone = digits(&parse::<NewContact>(body)?.phone)?;
        if self.contact(&phone).is_ok() {
            return Err(refuse(
                StatusCode::CONFLICT,
                format!("+{phone} is already running"),
            ));
        }
        let contact = self
            .server
            .start_contact(&phone)
            .await
            .map_err(|e| refuse(StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}")))?;
        let mut contacts = self.contacts.lock().expect("contacts lock");
        contacts.insert(phone.clone(), Arc::new(contact));
        Ok((StatusCode::CREATED, json!({ "phone": format!("+{phone}") })))
    }

    fn contact(&self, phone: &str) -> std::result::Result<Arc<Contact>, Refusal> {
        let contacts = self.contacts.lock().expect("contacts lock");
        let contact = contacts.get(&digits(phone)?).cloned();
        contact.ok_or_else(|| refuse(StatusCode::NOT_FOUND, format!("no contact {phone} is running")))
    }

    fn received(&self, phone: &str) -> Answer {
        let list: Vec<Value> = self
            .contact(phone)?
            .received()
            .into_iter()
            .map(|m| {
                let from = if m.from.chars().all(|c| c.is_ascii_digit()) {
                    format!("+{}", m.from)
                } else {
                    m.from
                };
                json!({"id": m.id, "from": from, "text": m.text, "timestamp": m.timestamp})
            })
            .collect();
        ok(json!(list))
    }

    async fn send(&self, phone: &str, body: &[u8]) -> Answer {
        let write: Write = parse(body)?;
        let id = self
            .contact(phone)?
            .send_text(&write.to, &write.text)
            .await
            .map_err(|e| refuse(StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}")))?;
        ok(json!({ "id": id }))
    }

    async fn read(&self, phone: &str, body: &[u8]) -> Answer {
        let read: Read = parse(body)?;
        let contact = self.contact(phone)?;
        if !contact.received().iter().any(|m| m.id == read.id) {
            return Err(refuse(
                StatusCode::NOT_FOUND,
                format!("{phone} has no message {}", read.id),
            ));
        }
        contact
            .read(&read.id)
            .await
            .map_err(|e| refuse(StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}")))?;
        ok(json!({"read": true}))
    }

    fn ring(&self, body: &[u8]) -> Answer {
        let ring: Ring = parse(body)?;
        let reason = ring.answered.then_some("accepted_elsewhere");
        let call_id = self
            .server
            .ring(&ring.from, &ring.to, ring.video, reason)
            .map_err(|e| refuse(StatusCode::BAD_REQUEST, e))?;
        ok(json!({ "callId": call_id }))
    }

    fn logout(&self, phone: &str) -> Answer {
        self.server
            .remove_devices(&digits(phone)?)
            .map_err(|e| refuse(StatusCode::BAD_REQUEST, e))?;
        ok(json!({"loggedOut": true}))
    }
}
