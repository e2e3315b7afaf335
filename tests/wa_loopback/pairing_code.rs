//! Linking by phone-number code through the gateway's API, against the
//! loopback server, whose phone types the code the gateway shows.

use crate::common::TestEnv;
use crate::{goes_online, real_gateway, restarted_gateway, shown_qr};
use wa_loopback::LoopbackServer;

crate::both_backends!(linked_by_code_it_goes_online_and_logs_in_again_after_a_restart);

const PHONE: &str = "+5511900000001";

/// The gateway asks for a code for `PHONE` (`POST /api/wa/pair-code/{id}`);
/// the phone typing a wrong code links nothing, the right one links the
/// instance, which goes ONLINE with that number; a new gateway process on
/// the same SESSION_DIR logs in with the stored keys, without pairing.
async fn linked_by_code_it_goes_online_and_logs_in_again_after_a_restart(env: TestEnv) {
    let server = LoopbackServer::start().await.unwrap();
    let gw = real_gateway(&env, &server).await;
    shown_qr(&gw, "wa-loop").await;
    let (status, body) = gw
        .post("/api/wa/pair-code/wa-loop", serde_json::json!({ "phone": PHONE }))
        .await;
    assert!(status.is_success(), "{status} {body}");
    let code = body["pairCode"].as_str().unwrap().to_owned();
    assert_eq!(code.len(), 8, "{body}");

    // The companion's key bundle does not open under a wrong code: the
    // server sends nothing, and the instance is still pairing.
    let wrong = wrong_code(&code);
    let refused = server.enter_code(PHONE, &wrong).await.unwrap_err();
    assert!(refused.to_string().contains("does not open"), "{refused:#}");
    assert_eq!(gw.status_of("wa-loop").await, "PAIRING");

    server.enter_code(PHONE, &code).await.unwrap();
    goes_online(&gw, "wa-loop").await;
    let (_, status) = gw.get("/api/wa/status/wa-loop").await;
    assert_eq!(status["connectedNumber"], PHONE, "{status}");
    gw.stop().await;
    restarted_gateway(&env, &server, "wa-loop").await.stop().await;
}

/// `code` with its first character changed to another of the code alphabet.
pub(crate) fn wrong_code(code: &str) -> String {
    let first = if code.starts_with('Z') { 'Y' } else { 'Z' };
    format!("{first}{}", &code[1..])
}
