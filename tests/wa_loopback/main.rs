//! The gateway's real whatsapp-rust client against the loopback WhatsApp
//! server (crate `wa-loopback`), through the gateway's own HTTP API. Built
//! only with `--features wa-loopback`: WA_WS_URL and the skipped
//! certificate-chain check exist only there.

// Helpers shared by every test crate; this one uses a part of them.
#[allow(dead_code)]
#[path = "../support/mod.rs"]
mod support;

#[allow(dead_code)]
#[path = "../gateway/common/mod.rs"]
mod common;

mod contacts;
mod control;
mod crash;
mod events;
mod groups;
mod linking;
mod logout;
mod messages;
mod pairing_code;
mod provider;
mod rich;
mod routing;

use common::receiver::Receiver;
use common::{Gateway, TestEnv};
use serde_json::Value;
use std::time::Duration;
use wa_loopback::{Contact, LoopbackServer, Received};

/// The version the tests pin; not the library's default, so the server
/// sees whether WA_VERSION reached the client.
pub const PINNED_VERSION: &str = "2.3000.1023456789";

/// Starts a gateway on the real backend, connected to `server`.
pub async fn real_gateway(env: &TestEnv, server: &LoopbackServer) -> Gateway {
    real_gateway_with(env, server, &[]).await
}

/// [`real_gateway`] with `more` settings.
pub async fn real_gateway_with(env: &TestEnv, server: &LoopbackServer, more: &[(&str, String)]) -> Gateway {
    let mut settings = vec![
        ("wa-backend", "whatsapp".to_owned()),
        ("wa-ws-url", server.ws_url()),
        ("wa-version", PINNED_VERSION.to_owned()),
    ];
    settings.extend_from_slice(more);
    env.start(&settings).await
}

/// How long a reconnect (after a drop or a restart) may take.
pub const LINK_LIMIT: Duration = Duration::from_secs(40);

/// How long a fresh pairing may take from the scan to ONLINE. The client
/// waits up to 10 s for the phone's app-state key share (WHATSAPP.md); the
/// server sends it at the companion's first prekey upload, so a link that
/// waits out that grace fails here.
pub const FRESH_LINK_LIMIT: Duration = Duration::from_secs(8);

/// Creates `instance` and gives the QR code the API shows for it.
pub async fn shown_qr(gw: &Gateway, instance: &str) -> String {
    let (status, body) = gw
        .post("/api/instances", serde_json::json!({ "instanceId": instance }))
        .await;
    assert!(status.is_success(), "{status} {body}");
    let qr_path = format!("/api/wa/qr/{instance}");
    common::eventually("the instance shows a QR", || async {
        gw.get(&qr_path).await.1["code"].is_string()
    })
    .await;
    let (_, body) = gw.get(&qr_path).await;
    body["code"].as_str().unwrap().to_owned()
}

/// Starts a new gateway process on `env`'s SESSION_DIR and store (the
/// last one stopped) and waits until `instance` logged in with the stored
/// keys: ONLINE, without a new pairing ref.
pub async fn restarted_gateway(env: &TestEnv, server: &LoopbackServer, instance: &str) -> Gateway {
    let (logins, refs) = (server.stats().connections, server.issued_refs());
    let gw = real_gateway(env, server).await;
    // (On Redis the last process's ONLINE is still shown until the new one
    // takes over, so the server's login count is what tells.)
    support::eventually_within("the restarted gateway logs in", LINK_LIMIT, || async {
        server.stats().connections > logins && gw.status_of(instance).await == "ONLINE"
    })
    .await;
    assert_eq!(server.issued_refs(), refs, "no new pairing after the restart");
    gw
}

/// Waits until a freshly scanned `instance` is ONLINE.
pub async fn goes_online(gw: &Gateway, instance: &str) {
    support::eventually_within("the instance goes ONLINE", FRESH_LINK_LIMIT, || async {
        gw.status_of(instance).await == "ONLINE"
    })
    .await;
}

/// Creates `instance`, has `phone` scan the QR the API shows, and waits
/// until it is ONLINE.
pub async fn link(gw: &Gateway, server: &LoopbackServer, instance: &str, phone: &str) {
    server.scan(&shown_qr(gw, instance).await, phone).unwrap();
    goes_online(gw, instance).await;
}

/// A gateway linked as `linked` (instance `wa-loop`), forwarding inbound
/// messages to `receiver`, fetching media from and posting webhooks to
/// 127.0.0.1, with `more` settings, and a contact for `contact`, linked
/// side by side.
pub async fn linked_pair(
    env: &TestEnv,
    server: &LoopbackServer,
    receiver: &Receiver,
    (linked, contact): (&str, &str),
    more: &[(&str, String)],
) -> (Gateway, Contact) {
    let mut settings = vec![
        ("ghl-inbound-url", receiver.url()),
        ("allow-private-media-urls", "true".to_owned()),
        ("allow-private-webhook-urls", "true".to_owned()),
    ];
    settings.extend_from_slice(more);
    let gw = real_gateway_with(env, server, &settings).await;
    let (contact, ()) = tokio::join!(
        server.start_contact(contact),
        link(&gw, server, "wa-loop", linked)
    );
    (gw, contact.unwrap())
}

/// The message `id` once the contact decrypted it.
pub async fn decrypted(contact: &Contact, id: &str) -> Received {
    decrypted_where(contact, |m| m.id == id).await
}

/// The first message the contact decrypted that `matches`, once there is one.
pub async fn decrypted_where(contact: &Contact, matches: impl Fn(&Received) -> bool) -> Received {
    common::eventually("the contact decrypts the message", || async {
        contact.received().iter().any(&matches)
    })
    .await;
    contact.received().into_iter().find(|m| matches(m)).unwrap()
}

/// The webhook body of inbound message `id`, once it came, checking that
/// it came once.
pub async fn forwarded_once(receiver: &Receiver, id: &str) -> Value {
    forwarded_where(receiver, |body| body["messageId"] == id).await
}

/// The one webhook body that `matches`, once it came, checking a moment
/// later that no second one did.
pub async fn forwarded_where(receiver: &Receiver, matches: impl Fn(&Value) -> bool) -> Value {
    common::eventually("the webhook gets the message", || async {
        receiver.received().iter().any(|r| matches(&r.body))
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let forwarded: Vec<Value> = receiver
        .received()
        .into_iter()
        .map(|r| r.body)
        .filter(|body| matches(body))
        .collect();
    assert_eq!(forwarded.len(), 1, "once: {forwarded:?}");
    forwarded.into_iter().next().unwrap()
}

/// The settings of a gateway binary run as a child process on the real
/// backend against `server`, with the test's store.
pub fn child_settings(env: &TestEnv, server: &LoopbackServer) -> Vec<(&'static str, String)> {
    let mut vars = vec![
        ("API_KEY", common::KEY.to_owned()),
        ("WA_BACKEND", "whatsapp".to_owned()),
        ("WA_WS_URL", server.ws_url()),
        ("WA_VERSION", PINNED_VERSION.to_owned()),
    ];
    if !env.prefix().is_empty() {
        vars.push(("REDIS_URL", common::redis_url()));
        vars.push(("REDIS_PREFIX", env.prefix()));
    }
    vars
}

/// The location the multi-number tests route, its default number (wa-01)
/// and its second one (wa-02).
pub const LOCATION: &str = "loc1";
pub const DEFAULT: &str = "+5511900000001";
pub const SECOND: &str = "+5511900000002";

/// Links wa-01 as `DEFAULT` and wa-02 as `SECOND`, routes `LOCATION` to
/// both (wa-01 its default), and starts a contact for `contact`.
pub async fn two_numbers_and_a_contact(gw: &Gateway, server: &LoopbackServer, contact: &str) -> Contact {
    let (contact, (), ()) = tokio::join!(
        server.start_contact(contact),
        link(gw, server, "wa-01", DEFAULT),
        link(gw, server, "wa-02", SECOND),
    );
    let route = serde_json::json!({ "defaultInstanceId": "wa-01", "instanceIds": ["wa-02"] });
    let path = format!("/api/ghl/locations/{LOCATION}");
    let (status, body) = gw.call(reqwest::Method::PUT, &path, Some(route)).await;
    assert_eq!(status, reqwest::StatusCode::OK, "{body}");
    contact.unwrap()
}
