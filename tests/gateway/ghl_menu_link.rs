//! The panel's Custom Menu Link, made through GHL's API (apps/custom-menus.json)
//! when an agency installs the app: once however often it installs, in the
//! documented shape, opening PUBLIC_BASE_URL/panel/ in GHL's iframe, and
//! removed by the agency's UNINSTALL; none for a location install (the
//! API takes agency tokens only) or without PUBLIC_BASE_URL.

use crate::common::fake_ghl::FakeGhl;
use crate::common::{Gateway, TestEnv};
use crate::ghl::provider_key;
use crate::ghl_provider::{finish, provider_settings, LOCATION};
use ed25519_dalek::SigningKey;
use reqwest::StatusCode;
use serde_json::json;

crate::both_backends!(
    an_agency_gets_the_panel_in_its_menu_once_until_it_uninstalls,
    no_menu_link_for_a_location_install_or_without_a_public_address,
);

const AGENCY: &str = "co1";
const PUBLIC: &str = "https://gw.example";

async fn gateway(env: &TestEnv, ghl: &FakeGhl, public: bool) -> (Gateway, SigningKey) {
    let (signing, key) = provider_key();
    let mut settings = provider_settings(ghl, key, true);
    if public {
        settings.push(("public-base-url", PUBLIC.to_owned()));
    }
    (env.start(&settings).await, signing)
}

async fn install_agency(gw: &Gateway, ghl: &FakeGhl) {
    let code = ghl.company_install_code(AGENCY, &[LOCATION]);
    let (status, page) = ghl.install(gw, &code).await;
    assert_eq!(status, StatusCode::OK, "{page}");
}

async fn an_agency_gets_the_panel_in_its_menu_once_until_it_uninstalls(env: TestEnv) {
    let ghl = FakeGhl::start().await;
    let (gw, signing) = gateway(&env, &ghl, true).await;
    install_agency(&gw, &ghl).await;
    let menus = ghl.menus(AGENCY);
    assert_eq!(menus.len(), 1, "{menus:?}");
    let menu = &menus[0];
    assert_eq!(menu["url"], format!("{PUBLIC}/panel/"));
    assert_eq!(
        (
            &menu["openMode"],
            &menu["showOnLocation"],
            &menu["showToAllLocations"]
        ),
        (&json!("iframe"), &json!(true), &json!(true))
    );
    install_agency(&gw, &ghl).await;
    assert_eq!(ghl.menus(AGENCY).len(), 1, "installing again adds no second link");

    let uninstall = ghl.agency_uninstall_event(AGENCY);
    let (status, reply) = ghl
        .send_webhook(&gw.url("/ghl/webhooks"), &signing, &uninstall)
        .await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert!(ghl.menus(AGENCY).is_empty(), "removed with the agency");
    finish(gw, &ghl).await;
}

async fn no_menu_link_for_a_location_install_or_without_a_public_address(env: TestEnv) {
    let ghl = FakeGhl::start().await;
    let (gw, _) = gateway(&env, &ghl, true).await;
    let (status, page) = ghl.install(&gw, &ghl.location_install_code("loc9")).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    gw.stop().await;

    let (gw, _) = gateway(&TestEnv::embedded(), &ghl, false).await;
    install_agency(&gw, &ghl).await;
    let asked = ghl
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/custom-menus"));
    assert_eq!(asked.count(), 0, "no menu call without PUBLIC_BASE_URL");
    finish(gw, &ghl).await;
}
