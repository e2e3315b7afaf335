//! Linking by phone-number code through the gateway's API, against the
//! loopback server, whose phone types the code the gateway shows.

use crate::common::{TestEnv, KEY};
use crate::support::api::Api;
use crate::support::eventually_within;
use crate::support::process::Launch;
use crate::{child_settings, goes_online, real_gateway, restarted_gateway, shown_qr, FRESH_LINK_LIMIT};
use wa_loopback::LoopbackServer;

crate::both_backends!(
    linked_by_code_it_goes_online_and_logs_in_again_after_a_restart,
    the_code_never_reaches_the_log,
);

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

/// The gateway binary, logging at debug level (RUST_LOG=debug), links by
/// code: whatsapp-rust logs the code itself at info, yet no line of the
/// process's output carries it, while its debug lines are there.
async fn the_code_never_reaches_the_log(env: TestEnv) {
    let server = LoopbackServer::start().await.unwrap();
    let log_path = env.dir.path().join("gateway.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let mut vars = child_settings(&env, &server);
    vars.push(("RUST_LOG", "debug".to_owned()));
    let process = Launch::binary(env.dir.path()).vars(vars).log_to(log).spawn();
    let api = Api::answering(&process.base_url(), KEY).await;
    let (status, body) = api
        .post("/api/instances", serde_json::json!({ "instanceId": "wa-log" }))
        .await;
    assert!(status.is_success(), "{status} {body}");
    let code = eventually_code(&api).await;
    server.enter_code(PHONE, &code).await.unwrap();
    eventually_within("the instance goes ONLINE", FRESH_LINK_LIMIT, || async {
        api.get("/api/wa/status/wa-log").await.1["detailedStatus"] == "ONLINE"
    })
    .await;
    drop(process);
    let logged = std::fs::read_to_string(&log_path).unwrap();
    assert!(
        logged.contains("Client/PairCode"),
        "whatsapp-rust's pairing lines are logged"
    );
    assert!(logged.contains("DEBUG"), "at debug level");
    assert!(!logged.contains(&code), "the code {code} is in the log");
}

/// The code the gateway shows for `PHONE`, once the instance shows a QR
/// code (it can then be linked either way).
async fn eventually_code(api: &Api) -> String {
    eventually_within("the instance shows a QR", FRESH_LINK_LIMIT, || async {
        api.get("/api/wa/qr/wa-log").await.1["code"].is_string()
    })
    .await;
    let phone = serde_json::json!({ "phone": PHONE });
    let (status, body) = api.post("/api/wa/pair-code/wa-log", phone).await;
    assert!(status.is_success(), "{status} {body}");
    body["pairCode"].as_str().unwrap().to_owned()
}
