//! Sending to simulated contacts through the gateway's API: the number
//! check (`is_on_whatsapp`, a usync contact query, before a send and
//! through `GET /api/instances/{id}/contacts/{phone}`, issue #24 item 6)
//! and the "typing…" presence the sender shows first (issue #23), as the
//! loopback server sees them.

use crate::common::{eventually, Gateway, TestEnv};
use crate::{link, real_gateway};
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::time::Duration;
use wa_loopback::LoopbackServer;

const CONTACT: &str = "+5511944440004";
const NOT_ON_WHATSAPP: &str = "+5511955550005";
/// A WhatsApp user the server refuses messages to, with 463.
const REFUSED: &str = "+5511966660006";
/// How long the sender types before each send (min = max: no draw).
const TYPING_MS: u64 = 300;
/// The server stamps a chat state when it reads it: on a loaded machine
/// "composing" may be read late, after a busy moment, and "paused" right
/// after it, so the typing seen can be shorter than the typing done by
/// about that much.
const READ_SKEW_MS: u64 = 150;

crate::both_backends!(
    the_number_check_asks_whatsapp,
    typing_is_shown_to_a_registered_contact_and_unknown_numbers_fail,
    a_463_from_the_server_fails_the_send_and_blocks_new_contacts,
);

/// The message's status and error once it is settled (not queued).
pub(crate) async fn settled(gw: &Gateway, id: &str) -> (String, String) {
    let path = format!("/api/messages/{id}");
    eventually("the message is settled", || async {
        let status = gw.get(&path).await.1["message"]["status"].clone();
        status == "sent" || status == "failed"
    })
    .await;
    let (_, body) = gw.get(&path).await;
    let message = &body["message"];
    let text = |field: &str| message[field].as_str().unwrap_or_default().to_owned();
    (text("status"), text("error"))
}

/// The API's number check asks the server through the linked number: a
/// WhatsApp user is on WhatsApp with its phone-number id, another number
/// is not.
async fn the_number_check_asks_whatsapp(env: TestEnv) {
    let server = LoopbackServer::start().await.unwrap();
    server.add_contact(CONTACT).unwrap();
    let gw = real_gateway(&env, &server).await;
    link(&gw, &server, "wa-loop", "+5511900000001").await;

    let (status, body) = gw.get("/api/instances/wa-loop/contacts/+5511944440004").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["onWhatsApp"], true, "{body}");
    assert_eq!(body["jid"], "5511944440004@s.whatsapp.net", "{body}");
    let (status, body) = gw.get("/api/instances/wa-loop/contacts/5511955550005").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["onWhatsApp"], false, "{body}");
    assert!(body["jid"].is_null(), "{body}");
    gw.stop().await;
}

async fn enable_presence(gw: &Gateway, instance: &str) {
    let presence =
        json!({"presence": {"enabled": true, "msPerChar": 1, "minMs": TYPING_MS, "maxMs": TYPING_MS}});
    let path = format!("/api/instances/{instance}/settings");
    let (status, body) = gw.call(Method::PUT, &path, Some(presence)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// The server knows `CONTACT` as a WhatsApp user and not the other number:
/// a send to the contact is preceded by composing, then paused, shown to
/// the contact's phone-number JID for about the set time, once (the
/// message goes at once); a send to the other number fails as "not on
/// WhatsApp", with nothing shown to it.
async fn typing_is_shown_to_a_registered_contact_and_unknown_numbers_fail(env: TestEnv) {
    let server = LoopbackServer::start().await.unwrap();
    server.add_contact(CONTACT).unwrap();
    let gw = real_gateway(&env, &server).await;
    link(&gw, &server, "wa-loop", "+5511900000001").await;
    enable_presence(&gw, "wa-loop").await;

    let sent = gw.send_text("wa-loop", CONTACT, "hello there").await;
    assert_eq!(settled(&gw, &sent).await, ("sent".into(), String::new()));
    let states = server.chat_states();
    let shown: Vec<(&str, &str)> = states.iter().map(|s| (s.to.as_str(), s.state.as_str())).collect();
    let jid = "5511944440004@s.whatsapp.net";
    assert_eq!(shown, [(jid, "composing"), (jid, "paused")], "{states:?}");
    let typed = states[1].at - states[0].at;
    let set = Duration::from_millis(TYPING_MS);
    let least = Duration::from_millis(TYPING_MS - READ_SKEW_MS);
    assert!(typed >= least && typed < set * 10, "typing lasted {typed:?}");

    let unknown = gw.send_text("wa-loop", NOT_ON_WHATSAPP, "anyone there?").await;
    let (status, error) = settled(&gw, &unknown).await;
    assert_eq!(status, "failed", "{error}");
    assert!(error.contains("not on WhatsApp"), "{error}");
    assert_eq!(
        server.chat_states(),
        states,
        "nothing shown to a number not on WhatsApp"
    );
    gw.stop().await;
}

/// The client encrypts for the contact's phone with the bundle the server
/// serves and the server acks the message: it is sent. A message to the
/// number the server refuses is nacked with 463: the gateway fails it with
/// that reason and the instance shows the block on new contacts.
async fn a_463_from_the_server_fails_the_send_and_blocks_new_contacts(env: TestEnv) {
    let server = LoopbackServer::start().await.unwrap();
    server.add_contact(CONTACT).unwrap();
    server.refuse(REFUSED).unwrap();
    let gw = real_gateway(&env, &server).await;
    link(&gw, &server, "wa-loop", "+5511900000001").await;

    let sent = gw.send_text("wa-loop", CONTACT, "hello there").await;
    assert_eq!(settled(&gw, &sent).await, ("sent".into(), String::new()));
    let (_, one) = gw.get("/api/instances/wa-loop").await;
    assert!(one["instance"]["sending"]["newContactBlock"].is_null(), "{one}");

    let refused = gw.send_text("wa-loop", REFUSED, "hello stranger").await;
    let (status, error) = settled(&gw, &refused).await;
    assert_eq!(status, "failed", "{error}");
    assert!(error.contains("463"), "{error}");
    let (_, one) = gw.get("/api/instances/wa-loop").await;
    let block = &one["instance"]["sending"]["newContactBlock"];
    assert!(block["untilMs"].is_i64(), "{one}");
    gw.stop().await;
}
