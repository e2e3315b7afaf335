//! Sign-in from inside GHL (`POST /api/panel/sso`) against an agency
//! installed through the fake GHL: GHL's user data, encrypted with the
//! app's Shared Secret as the docs have it (tests/support/ghl_user_data.rs),
//! becomes a panel token that a location's user can use for that
//! location's numbers only and an agency admin for the agency's; replayed,
//! garbled, foreign-key and not-installed sign-ins are refused clearly.

use crate::common::fake_ghl::FakeGhl;
use crate::common::{Gateway, TestEnv};
use crate::ghl::provider_key;
use crate::ghl_provider::{finish, provider_settings, LOCATION};
use crate::support::ghl_user_data::{agency_user, encrypt, location_user};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

crate::both_backends!(
    a_location_user_gets_their_locations_numbers_only_and_once,
    an_agency_admin_gets_the_agency_and_only_it,
    wrong_key_garbled_and_foreign_sign_ins_are_refused,
);

const AGENCY: &str = "co1";
const SECRET: &str = "the-apps-shared-secret";

/// A provider gateway with the Shared Secret set, AGENCY installed on
/// LOCATION (served by wa-01) and loc2 (served by wa-02).
async fn sso_gateway(env: &TestEnv, ghl: &FakeGhl) -> Gateway {
    let mut settings = provider_settings(ghl, provider_key().1, true);
    settings.push(("ghl-shared-secret", SECRET.to_owned()));
    let gw = env.start(&settings).await;
    for (instance, location) in [("wa-01", LOCATION), ("wa-02", "loc2")] {
        let (status, _) = gw.post("/api/instances", json!({ "instanceId": instance })).await;
        assert!(status.is_success(), "create {instance}: {status}");
        let route = json!({ "defaultInstanceId": instance });
        let path = format!("/api/ghl/locations/{location}");
        assert_eq!(gw.call(Method::PUT, &path, Some(route)).await.0, StatusCode::OK);
    }
    let code = ghl.company_install_code(AGENCY, &[LOCATION, "loc2"]);
    let (status, page) = ghl.install(&gw, &code).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    gw
}

/// POST /api/panel/sso with no API key.
async fn sign_in(gw: &Gateway, payload: &str) -> (StatusCode, Value) {
    let response = reqwest::Client::new()
        .post(gw.url("/api/panel/sso"))
        .json(&json!({ "payload": payload }))
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or_default())
}

/// A call with the panel token instead of the key.
async fn as_panel(gw: &Gateway, token: &str, path: &str) -> (StatusCode, Value) {
    let response = reqwest::Client::new()
        .get(gw.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or_default())
}

async fn listed(gw: &Gateway, token: &str) -> Vec<String> {
    let (status, body) = as_panel(gw, token, "/api/instances").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let all = body["instances"].as_array().unwrap();
    all.iter()
        .map(|i| i["instanceId"].as_str().unwrap().to_owned())
        .collect()
}

async fn a_location_user_gets_their_locations_numbers_only_and_once(env: TestEnv) {
    let ghl = FakeGhl::start().await;
    let gw = sso_gateway(&env, &ghl).await;
    let payload = encrypt(&location_user(AGENCY, LOCATION), SECRET);
    let (status, signed) = sign_in(&gw, &payload).await;
    assert_eq!(status, StatusCode::CREATED, "{signed}");
    assert_eq!(
        (&signed["reach"], &signed["locationId"], &signed["instances"]),
        (&json!("location"), &json!(LOCATION), &json!(["wa-01"]))
    );
    assert_eq!(signed["openOn"], "wa-01");
    let token = signed["token"].as_str().unwrap();
    assert_eq!(listed(&gw, token).await, ["wa-01"]);
    let (status, _) = as_panel(&gw, token, "/api/wa/qr/wa-02").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "another location's number");

    let (status, replay) = sign_in(&gw, &payload).await;
    assert_eq!(
        (status, replay["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("sso_replayed")),
        "{replay}"
    );
    let mut agency_user_inside = agency_user(AGENCY, "user");
    agency_user_inside["activeLocation"] = json!("loc2");
    let (status, signed) = sign_in(&gw, &encrypt(&agency_user_inside, SECRET)).await;
    assert_eq!(status, StatusCode::CREATED, "{signed}");
    assert_eq!(
        signed["instances"],
        json!(["wa-02"]),
        "an agency user: the open location"
    );
    finish(gw, &ghl).await;
}

async fn an_agency_admin_gets_the_agency_and_only_it(env: TestEnv) {
    let ghl = FakeGhl::start().await;
    let gw = sso_gateway(&env, &ghl).await;
    let admin = || encrypt(&agency_user(AGENCY, "admin"), SECRET);
    let (status, signed) = sign_in(&gw, &admin()).await;
    assert_eq!(status, StatusCode::CREATED, "{signed}");
    assert_eq!(
        (&signed["reach"], &signed["instances"]),
        (&json!("agency"), &Value::Null)
    );
    let token = signed["token"].as_str().unwrap();
    assert_eq!(listed(&gw, token).await, ["wa-01", "wa-02"]);

    // Another agency's location on the same gateway: the admin's reach narrows.
    let (status, _) = gw.post("/api/instances", json!({ "instanceId": "wa-09" })).await;
    assert!(status.is_success());
    let route = json!({ "defaultInstanceId": "wa-09" });
    assert_eq!(
        gw.call(Method::PUT, "/api/ghl/locations/loc9", Some(route))
            .await
            .0,
        StatusCode::OK
    );
    let (status, page) = ghl.install(&gw, &ghl.location_install_code("loc9")).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let (_, signed) = sign_in(&gw, &admin()).await;
    assert_eq!(signed["instances"], json!(["wa-01", "wa-02"]));
    assert_eq!(
        listed(&gw, signed["token"].as_str().unwrap()).await,
        ["wa-01", "wa-02"]
    );

    let mut inside = agency_user(AGENCY, "admin");
    inside["activeLocation"] = json!("loc2");
    let (_, signed) = sign_in(&gw, &encrypt(&inside, SECRET)).await;
    assert_eq!(
        (&signed["reach"], &signed["openOn"]),
        (&json!("agency"), &json!("wa-02")),
        "an admin inside a sub-account: the agency, open on its number"
    );

    let (status, refused) = sign_in(&gw, &encrypt(&agency_user(AGENCY, "user"), SECRET)).await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("choose_location")),
        "an agency user outside any sub-account: {refused}"
    );
    finish(gw, &ghl).await;
}

async fn wrong_key_garbled_and_foreign_sign_ins_are_refused(env: TestEnv) {
    let ghl = FakeGhl::start().await;
    let gw = sso_gateway(&env, &ghl).await;
    let refusals = [
        (
            encrypt(&location_user(AGENCY, LOCATION), "another-secret"),
            StatusCode::UNAUTHORIZED,
            "sso_rejected",
        ),
        (
            "not even base64!".to_owned(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_payload",
        ),
        (
            "U2FsdGVkX18AAAAAAAAAAAAB".to_owned(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_payload",
        ),
        (
            encrypt(&json!({ "hello": "world" }), SECRET),
            StatusCode::UNAUTHORIZED,
            "sso_rejected",
        ),
        (
            encrypt(&location_user("co2", LOCATION), SECRET),
            StatusCode::FORBIDDEN,
            "not_installed",
        ),
        (
            encrypt(&location_user(AGENCY, "loc7"), SECRET),
            StatusCode::FORBIDDEN,
            "not_installed",
        ),
        (
            encrypt(&agency_user("co2", "admin"), SECRET),
            StatusCode::FORBIDDEN,
            "not_installed",
        ),
    ];
    for (payload, status, code) in refusals {
        let (got, body) = sign_in(&gw, &payload).await;
        assert_eq!((got, body["code"].as_str()), (status, Some(code)), "{body}");
        assert!(body["error"].as_str().is_some_and(|e| !e.is_empty()), "{body}");
    }
    let response = reqwest::Client::new()
        .post(gw.url("/api/panel/sso"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST, "no payload");
    let (status, body) = sign_in(&gw, &"A".repeat(300 * 1024)).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("body_too_large")),
        "{body}"
    );
    let (_, info) = gw.get("/api/panel/sso").await;
    assert_eq!(info["enabled"], true);
    finish(gw, &ghl).await;
}

#[tokio::test]
async fn without_the_shared_secret_sign_in_from_ghl_is_off() {
    let env = TestEnv::embedded();
    let gw = env.start(&[]).await;
    let info: Value = reqwest::get(gw.url("/api/panel/sso"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["enabled"], false);
    assert!(info["frameAncestors"]
        .as_array()
        .unwrap()
        .contains(&json!("https://app.gohighlevel.com")));
    let (status, body) = sign_in(&gw, &encrypt(&location_user(AGENCY, LOCATION), SECRET)).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("sso_off"))
    );
    gw.stop().await;
}
