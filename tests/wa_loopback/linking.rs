//! Linking by QR through the gateway's API, against the loopback server.

use crate::common::TestEnv;
use crate::support::eventually_within;
use crate::{goes_online, real_gateway, restarted_gateway, shown_qr, LINK_LIMIT, PINNED_VERSION};
use wa_loopback::LoopbackServer;

crate::both_backends!(linked_by_qr_it_goes_online_and_comes_back_after_a_drop_and_a_restart);

/// The client gets through the Noise XX handshake (the loopback chain is
/// accepted only because of the feature) and announces the pinned
/// WA_VERSION; the QR the API shows is built from the server's
/// `pair-device` refs; a phone scanning it links the instance, which goes
/// ONLINE with the phone's number and keeps its keys in its own folder;
/// after the server drops the connection, and after a gateway restart, it
/// is back ONLINE without a scan.
async fn linked_by_qr_it_goes_online_and_comes_back_after_a_drop_and_a_restart(env: TestEnv) {
    let server = LoopbackServer::start().await.unwrap();
    let gw = real_gateway(&env, &server).await;
    let qr = &shown_qr(&gw, "wa-loop").await;
    let refs = server.issued_refs();
    let first_ref = qr.split(',').next().unwrap();
    assert!(refs.iter().any(|r| r == first_ref), "{qr} not from {refs:?}");
    assert_eq!(server.client_versions(), [PINNED_VERSION]);
    assert_eq!(gw.status_of("wa-loop").await, "PAIRING");

    server.scan(qr, "+5511900000001").unwrap();
    goes_online(&gw, "wa-loop").await;
    let (_, status) = gw.get("/api/wa/status/wa-loop").await;
    assert_eq!(status["connectedNumber"], "+5511900000001", "{status}");
    let store = env.dir.path().join("instances/wa-loop/whatsapp.db");
    assert!(store.metadata().unwrap().len() > 0, "{}", store.display());
    let stats = server.stats();
    assert!(stats.xx_handshakes >= 2, "pairing, then login: {stats:?}");
    assert!(server.client_versions().iter().all(|v| v == PINNED_VERSION));

    // The server drops every connection: the client comes back by itself
    // with Noise IK (the server key it cached), and no new QR is needed.
    let before = server.stats();
    server.drop_connections();
    eventually_within("the instance reconnects by IK", LINK_LIMIT, || async {
        server.stats().ik_handshakes > before.ik_handshakes && gw.status_of("wa-loop").await == "ONLINE"
    })
    .await;
    assert_eq!(server.issued_refs(), refs, "no new pairing");
    gw.stop().await;

    // A new gateway process on the same SESSION_DIR and store logs in with
    // the stored keys.
    restarted_gateway(&env, &server, "wa-loop").await.stop().await;
}
