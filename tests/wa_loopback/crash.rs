//! kill -9 of the gateway process in the middle of a burst of sends to a
//! contact that is a real whatsapp-rust client: after a restart on the same
//! SESSION_DIR (no new scan) every accepted message reaches the contact
//! once, with the id the gateway gave it at accept time. The message in
//! flight at the kill may have reached WhatsApp before the gateway stored
//! that it was sent: it goes again with the same id, and the contact's
//! client, as WhatsApp's apps do, shows it once; no other message may go
//! twice.

use crate::common::{TestEnv, KEY};
use crate::support::api::Api;
use crate::support::eventually_within;
use crate::support::process::{GatewayProcess, Launch};
use crate::{FRESH_LINK_LIMIT, LINK_LIMIT};
use reqwest::StatusCode;
use serde_json::json;
use std::collections::BTreeMap;
use std::time::Duration;
use wa_loopback::{Contact, LoopbackServer};

const LINKED: &str = "+5511900000001";
const CONTACT: &str = "+5511966660006";
const BURST: usize = 20;

crate::both_backends!(killed_mid_burst_every_accepted_message_reaches_the_contact_once);

/// The gateway binary (built with this target's features) on the real
/// backend against `server`, with the test's store; a pause of 100 ms
/// before each text spreads the burst over two seconds, so the kill lands
/// inside it.
fn gateway(env: &TestEnv, server: &LoopbackServer) -> GatewayProcess {
    let mut vars = crate::child_settings(env, server);
    vars.extend([
        ("TEXT_DELAY_MS", "100".to_owned()),
        ("TEXT_DELAY_MS_MAX", "100".to_owned()),
        ("SEND_RETRY_BASE_MS", "50".to_owned()),
        ("LEASE_MS", "1500".to_owned()),
    ]);
    Launch::binary(env.dir.path()).vars(vars).spawn()
}

async fn killed_mid_burst_every_accepted_message_reaches_the_contact_once(env: TestEnv) {
    let server = LoopbackServer::start().await.unwrap();
    let process = gateway(&env, &server);
    let api = Api::answering(&process.base_url(), KEY).await;
    let (contact, ()) = tokio::join!(server.start_contact(CONTACT), link(&api, &server));
    let contact = contact.unwrap();

    let mut accepted = Vec::new();
    for n in 0..BURST {
        let body = json!({ "instanceId": "wa-loop", "to": CONTACT, "message": format!("burst {n}") });
        let (status, reply) = api.post("/api/send", body).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{reply}");
        accepted.push(reply["id"].as_str().unwrap().to_owned());
    }
    eventually_within("the contact gets the first messages", LINK_LIMIT, || async {
        contact.received().len() >= 3
    })
    .await;
    process.kill();
    let before_restart = contact.received().len();
    assert!(
        before_restart < BURST,
        "the kill came after the burst: {before_restart}"
    );

    let refs = server.issued_refs();
    let process = gateway(&env, &server);
    let api = Api::answering(&process.base_url(), KEY).await;
    eventually_within(
        "every accepted message reaches the contact",
        LINK_LIMIT,
        || async { contact.received().len() >= BURST },
    )
    .await;
    // Late copies would come right after the last one.
    tokio::time::sleep(Duration::from_millis(500)).await;
    each_once(&contact, &accepted);
    assert!(
        contact.redelivered() <= 1,
        "{} copies: only the one in flight may go again",
        contact.redelivered()
    );
    assert_eq!(server.issued_refs(), refs, "no new pairing after the kill");
    for id in &accepted {
        let (_, body) = api.get(&format!("/api/messages/{id}")).await;
        let status = &body["message"]["status"];
        assert!(
            ["sent", "delivered", "read"].contains(&status.as_str().unwrap_or_default()),
            "{id}: {body}"
        );
    }
}

/// Every id in `accepted` was decrypted by the contact exactly once, with
/// its own text, and nothing else was.
fn each_once(contact: &Contact, accepted: &[String]) {
    let mut copies: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for got in contact.received() {
        copies
            .entry(got.id)
            .or_default()
            .push(got.text.unwrap_or_default());
    }
    for (n, id) in accepted.iter().enumerate() {
        let texts = copies.remove(id).unwrap_or_default();
        assert_eq!(texts, [format!("burst {n}")], "message {n} ({id})");
    }
    assert!(copies.is_empty(), "not accepted: {copies:?}");
}

/// Creates the instance, has the linked phone scan the QR the API shows,
/// and waits until it is ONLINE.
async fn link(api: &Api, server: &LoopbackServer) {
    let (status, body) = api
        .post("/api/instances", json!({ "instanceId": "wa-loop" }))
        .await;
    assert!(status.is_success(), "{status} {body}");
    eventually_within("the instance shows a QR", LINK_LIMIT, || async {
        api.get("/api/wa/qr/wa-loop").await.1["code"].is_string()
    })
    .await;
    let qr = api.get("/api/wa/qr/wa-loop").await.1["code"]
        .as_str()
        .unwrap()
        .to_owned();
    server.scan(&qr, LINKED).unwrap();
    eventually_within("the instance goes ONLINE", FRESH_LINK_LIMIT, || async {
        api.instance("wa-loop").await["detailedStatus"] == "ONLINE"
    })
    .await;
}
