//! Sending to simulated contacts through the gateway's API: the number
//! check (`is_on_whatsapp`, a usync contact query) and the "typing…"
//! presence the sender shows first (issue #23), as the loopback server
//! sees them.

use crate::common::{eventually, Gateway, TestEnv};
use crate::{link, real_gateway};
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::time::Duration;
use wa_loopback::LoopbackServer;

const CONTACT: &str = "+5511944440004";
const NOT_ON_WHATSAPP: &str = "+5511955550005";
/// How long the sender types before each send (min = max: no draw).
const TYPING_MS: u64 = 300;

crate::both_backends!(typing_is_shown_to_a_registered_contact_and_unknown_numbers_fail);

async fn enable_presence(gw: &Gateway, instance: &str) {
    let presence =
        json!({"presence": {"enabled": true, "msPerChar": 1, "minMs": TYPING_MS, "maxMs": TYPING_MS}});
    let path = format!("/api/instances/{instance}/settings");
    let (status, body) = gw.call(Method::PUT, &path, Some(presence)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// The server knows `CONTACT` as a WhatsApp user and not the other number:
/// a send to the contact is preceded by composing, then paused, shown to
/// the contact's phone-number JID for about the set time; a send to the
/// other number fails as "not on WhatsApp", with nothing shown to it.
async fn typing_is_shown_to_a_registered_contact_and_unknown_numbers_fail(env: TestEnv) {
    let server = LoopbackServer::start().await.unwrap();
    server.add_contact(CONTACT).unwrap();
    let gw = real_gateway(&env, &server).await;
    link(&gw, &server, "wa-loop", "+5511900000001").await;
    enable_presence(&gw, "wa-loop").await;

    gw.send_text("wa-loop", CONTACT, "hello there").await;
    eventually("the contact sees typing, then a pause", || async {
        server.chat_states().len() >= 2
    })
    .await;
    let states = server.chat_states();
    let shown: Vec<(&str, &str)> = states.iter().map(|s| (s.to.as_str(), s.state.as_str())).collect();
    let jid = "5511944440004@s.whatsapp.net";
    assert_eq!(shown[..2], [(jid, "composing"), (jid, "paused")], "{states:?}");
    let typed = states[1].at - states[0].at;
    assert!(
        typed >= Duration::from_millis(TYPING_MS),
        "typing lasted {typed:?}"
    );

    let refused = gw.send_text("wa-loop", NOT_ON_WHATSAPP, "anyone there?").await;
    let path = format!("/api/messages/{refused}");
    eventually("the send to an unknown number fails", || async {
        gw.get(&path).await.1["message"]["status"] == "failed"
    })
    .await;
    let (_, failed) = gw.get(&path).await;
    let error = failed["message"]["error"].as_str().unwrap_or_default();
    assert!(error.contains("not on WhatsApp"), "{failed}");
    let to_unknown = server
        .chat_states()
        .iter()
        .filter(|s| s.to.starts_with("5511955550005"))
        .count();
    assert_eq!(
        to_unknown, 0,
        "nothing is shown to a number that is not on WhatsApp"
    );
    gw.stop().await;
}
