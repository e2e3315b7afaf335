//! Agency (company) installs as GHL's documentation has them, against the
//! fake GHL built from it: every sub-account of a big agency gets a token
//! (installedLocations is paged), location tokens made from the agency's
//! (no refresh token) renew through it, a location the app reaches later
//! (INSTALL without companyId) gets one, an agency UNINSTALL forgets them
//! all, replayed or foreign webhooks change nothing, webhooks that fail
//! for now are answered 429 (the only answer GHL re-sends), and inbound
//! messages reach GHL with every field it requires.

use crate::common::fake_ghl::FakeGhl;
use crate::common::{eventually, Gateway, TestEnv};
use crate::ghl::provider_key;
use crate::ghl_provider::{connection_ids, finish, provider_gateway, LOCATION};
use ed25519_dalek::SigningKey;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

crate::both_backends!(
    an_agency_with_45_sub_accounts_gets_a_token_for_every_one,
    a_location_token_renews_through_its_agency_after_expiry,
    a_location_installed_later_gets_a_token,
    an_agency_uninstall_forgets_all_of_its_locations,
    a_replayed_or_foreign_webhook_changes_nothing,
    an_install_that_fails_for_now_is_answered_429_and_taken_when_sent_again,
    an_inbound_message_reaches_ghl_with_every_required_field,
);

const AGENCY: &str = "co1";

/// A provider gateway with AGENCY installed on `locations`, and the key
/// GHL signs its webhooks with.
async fn agency_gateway(env: &TestEnv, ghl: &FakeGhl, locations: &[&str]) -> (Gateway, SigningKey) {
    let (signing, public) = provider_key();
    let gw = provider_gateway(env, ghl, public, true).await;
    let code = ghl.company_install_code(AGENCY, locations);
    let (status, page) = ghl.install(&gw, &code).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    (gw, signing)
}

async fn webhook(gw: &Gateway, ghl: &FakeGhl, signing: &SigningKey, event: &Value) -> (StatusCode, Value) {
    ghl.send_webhook(&gw.url("/ghl/webhooks"), signing, event).await
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

async fn an_agency_with_45_sub_accounts_gets_a_token_for_every_one(env: TestEnv) {
    let ghl = FakeGhl::start().await;
    let locations: Vec<String> = (0..45).map(|n| format!("sub{n:02}")).collect();
    let names: Vec<&str> = locations.iter().map(String::as_str).collect();
    let (gw, _) = agency_gateway(&env, &ghl, &names).await;
    let mut wanted = locations.clone();
    wanted.push(AGENCY.to_owned());
    assert_eq!(sorted(connection_ids(&gw).await), sorted(wanted));
    for location in &locations {
        assert_eq!(ghl.location_tokens_made(location), 1, "{location}");
    }
    let pages: Vec<String> = ghl
        .requests()
        .into_iter()
        .filter(|r| r.path == "/oauth/installedLocations")
        .map(|r| r.query.get("skip").cloned().unwrap_or_default())
        .collect();
    assert_eq!(pages, ["0", "20", "40"], "paged 20 at a time");
    finish(gw, &ghl).await;
}

async fn stored_token(env: &TestEnv, owner: &str) -> wagate::store::StoredToken {
    let stores = env.open_stores().await;
    stores.ghl.token(owner).await.unwrap().expect("a stored token")
}

async fn a_location_token_renews_through_its_agency_after_expiry(env: TestEnv) {
    let ghl = FakeGhl::start().await;
    ghl.set_token_lifetime(2);
    let (gw, _) = agency_gateway(&env, &ghl, &[LOCATION]).await;
    let made = stored_token(&env, LOCATION).await;
    assert!(made.refresh_token.is_none(), "GHL gave no refresh token");
    assert_eq!(made.company_id.as_deref(), Some(AGENCY));
    tokio::time::sleep(Duration::from_millis(2200)).await;
    let inbound = json!({ "from": "+14155550123", "text": "after expiry", "id": "E1" });
    let (status, reply) = gw.post("/api/sim/wa-01/inbound", inbound).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    eventually("the message is in GHL", || async {
        ghl.inbound_messages().len() == 1
    })
    .await;
    assert!(
        ghl.location_tokens_made(LOCATION) >= 2,
        "made again from the agency's"
    );
    assert!(stored_token(&env, LOCATION).await.version > made.version);
    finish(gw, &ghl).await;
}

async fn a_location_installed_later_gets_a_token(env: TestEnv) {
    let ghl = FakeGhl::start().await;
    let (gw, signing) = agency_gateway(&env, &ghl, &[LOCATION]).await;
    let event = ghl.install_in_company(AGENCY, "loc2");
    assert!(event.get("companyId").is_none(), "{event}");
    let (status, reply) = webhook(&gw, &ghl, &signing, &event).await;
    assert_eq!(
        (status, reply["outcome"].as_str()),
        (StatusCode::OK, Some("location loc2 added")),
        "{reply}"
    );
    assert_eq!(sorted(connection_ids(&gw).await), [AGENCY, LOCATION, "loc2"]);
    assert_eq!(
        stored_token(&env, "loc2").await.company_id.as_deref(),
        Some(AGENCY)
    );
    finish(gw, &ghl).await;
}

async fn an_agency_uninstall_forgets_all_of_its_locations(env: TestEnv) {
    let ghl = FakeGhl::start().await;
    let (gw, signing) = agency_gateway(&env, &ghl, &[LOCATION, "loc2", "loc3"]).await;
    let elsewhere = ghl.location_install_code("loc9");
    assert_eq!(ghl.install(&gw, &elsewhere).await.0, StatusCode::OK);
    assert_eq!(connection_ids(&gw).await.len(), 5);
    let event = ghl.agency_uninstall_event(AGENCY);
    let (status, reply) = webhook(&gw, &ghl, &signing, &event).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!(connection_ids(&gw).await, ["loc9"], "another agency's stays");
    finish(gw, &ghl).await;
}

async fn a_replayed_or_foreign_webhook_changes_nothing(env: TestEnv) {
    let ghl = FakeGhl::start().await;
    let (gw, signing) = agency_gateway(&env, &ghl, &[LOCATION]).await;
    let mut foreign = ghl.agency_uninstall_event(AGENCY);
    foreign["appId"] = json!("another-app");
    let (status, reply) = webhook(&gw, &ghl, &signing, &foreign).await;
    assert_eq!(
        (status, reply["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("wrong_app"))
    );
    let (stranger, _) = crate::ghl::provider_key_of(7);
    let genuine = ghl.agency_uninstall_event(AGENCY);
    let (status, _) = webhook(&gw, &ghl, &stranger, &genuine).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "not signed by GHL");
    assert_eq!(sorted(connection_ids(&gw).await), [AGENCY, LOCATION]);

    let later = ghl.install_in_company(AGENCY, "loc2");
    for _ in 0..2 {
        let (status, reply) = webhook(&gw, &ghl, &signing, &later).await;
        assert_eq!(status, StatusCode::OK, "{reply}");
    }
    assert_eq!(ghl.location_tokens_made("loc2"), 1, "the replay was not acted on");
    let (status, _) = webhook(&gw, &ghl, &signing, &genuine).await;
    assert_eq!(status, StatusCode::OK);
    assert!(connection_ids(&gw).await.is_empty());
    let (status, reply) = webhook(&gw, &ghl, &signing, &later).await;
    assert_eq!(
        (status, reply["outcome"].as_str()),
        (StatusCode::OK, Some("already handled"))
    );
    assert!(
        connection_ids(&gw).await.is_empty(),
        "the old INSTALL brought nothing back"
    );
    finish(gw, &ghl).await;
}

async fn an_install_that_fails_for_now_is_answered_429_and_taken_when_sent_again(env: TestEnv) {
    let ghl = FakeGhl::start().await;
    let (gw, signing) = agency_gateway(&env, &ghl, &[LOCATION]).await;
    let later = ghl.install_in_company(AGENCY, "loc2");
    ghl.set_down(true);
    let (status, reply) = webhook(&gw, &ghl, &signing, &later).await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "GHL re-sends only a 429: {reply}"
    );
    ghl.set_down(false);
    let (status, reply) = webhook(&gw, &ghl, &signing, &later).await;
    assert_eq!(
        (status, reply["outcome"].as_str()),
        (StatusCode::OK, Some("location loc2 added")),
        "{reply}"
    );

    // A location GHL does not list under the agency: final, so 200 with the reason.
    let stray = ghl.location_install_event(AGENCY, "loc8");
    let (status, reply) = webhook(&gw, &ghl, &signing, &stray).await;
    assert_eq!(
        (status, reply["outcome"].as_str()),
        (StatusCode::OK, Some("failed")),
        "{reply}"
    );
    assert!(
        reply["error"].as_str().unwrap().contains("Location not found"),
        "{reply}"
    );
    assert!(!connection_ids(&gw).await.contains(&"loc8".to_owned()));
    // The fake noted the refused locationToken call as a problem; that was the point.
    assert_eq!(ghl.problems().len(), 1, "{:?}", ghl.problems());
    gw.stop().await;
}

async fn an_inbound_message_reaches_ghl_with_every_required_field(env: TestEnv) {
    let ghl = FakeGhl::start().await;
    let (gw, _) = agency_gateway(&env, &ghl, &[LOCATION]).await;
    let contact = ghl.add_contact(LOCATION, "+14155550123");
    let inbound = json!({ "from": "+14155550123", "text": "hola", "id": "WA9" });
    let (status, reply) = gw.post("/api/sim/wa-01/inbound", inbound).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    eventually("the message is in GHL", || async {
        ghl.inbound_messages().len() == 1
    })
    .await;
    let message = &ghl.inbound_messages()[0];
    let conversation = ghl.conversation_of(&contact).expect("the contact's conversation");
    assert_eq!(message["type"], "SMS");
    assert_eq!(message["conversationId"], conversation.as_str());
    assert_eq!(message["contactId"], contact.as_str());
    assert!(message["conversationProviderId"]
        .as_str()
        .is_some_and(|p| !p.is_empty()));
    assert_eq!(message["altId"], "WA9");
    finish(gw, &ghl).await;
}
