//! What GHL's unauthenticated doors let in: the OAuth callback acts only on
//! a `state` the gateway issued (once, across a restart and on any process
//! sharing the store), app webhooks only when they are for this app, fresh
//! and not seen before, and the Delivery URL never sends for a location no
//! route serves.

use crate::common::fake_ghl::FakeGhl;
use crate::common::{eventually, TestEnv};
use crate::ghl::{deliver, provider_key};
use crate::ghl_provider::{
    app_event, connection_ids, finish, provider_gateway, provider_settings, signed_delivery, LOCATION,
};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

crate::both_backends!(
    the_oauth_callback_acts_only_on_a_state_it_issued_once,
    app_events_for_another_app_stale_or_seen_before_are_not_obeyed,
    a_delivery_for_a_location_without_a_route_is_refused,
    single_use_marks_expire_and_are_taken_once,
);

fn token_exchanges(ghl: &FakeGhl) -> usize {
    let requests = ghl.requests().into_iter();
    requests.filter(|r| r.path == "/oauth/token").count()
}

async fn the_oauth_callback_acts_only_on_a_state_it_issued_once(env: TestEnv) {
    let ghl = FakeGhl::start().await;
    let gw = provider_gateway(&env, &ghl, provider_key().1, true).await;
    let code = ghl.location_install_code(LOCATION);
    let forged = "A".repeat(32);
    for (query, wanted) in [
        (format!("code={code}"), StatusCode::BAD_REQUEST),
        (format!("code={code}&state="), StatusCode::BAD_REQUEST),
        (format!("code={code}&state={forged}"), StatusCode::FORBIDDEN),
        (format!("code={code}&state=short"), StatusCode::FORBIDDEN),
    ] {
        let (status, page) = gw.ghl_callback(&query).await;
        assert_eq!(status, wanted, "{query}: {page}");
    }
    assert_eq!(token_exchanges(&ghl), 0, "nothing reached GHL");

    // The link is made before a restart (another process, on Redis) and
    // redeemed after it.
    let redirect = ghl.consent(&gw.install_url().await, &code);
    gw.stop().await;
    let gw = env.start(&provider_settings(&ghl, provider_key().1, true)).await;
    let (status, page) = gw.ghl_callback(&redirect).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(connection_ids(&gw).await, [LOCATION]);
    let again = ghl.location_install_code(LOCATION);
    let state = redirect.split("&state=").nth(1).unwrap();
    let (status, page) = gw.ghl_callback(&format!("code={again}&state={state}")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "used once: {page}");
    assert_eq!(token_exchanges(&ghl), 1);
    finish(gw, &ghl).await;
}

async fn app_events_for_another_app_stale_or_seen_before_are_not_obeyed(env: TestEnv) {
    let ghl = FakeGhl::start().await;
    let (signing, public) = provider_key();
    let gw = provider_gateway(&env, &ghl, public.clone(), true).await;
    assert_eq!(
        ghl.install(&gw, &ghl.location_install_code(LOCATION)).await.0,
        StatusCode::OK
    );
    let post = |gw: &crate::common::Gateway, event: &Value| {
        let (text, signature) = signed_delivery(&signing, event);
        let request = gw.http.post(gw.url("/ghl/webhooks"));
        let request = request.header("x-ghl-signature", signature.unwrap()).body(text);
        async move {
            let response = request.send().await.unwrap();
            let status = response.status();
            (status, response.json::<Value>().await.unwrap_or_default())
        }
    };
    let uninstall =
        app_event(json!({ "type": "UNINSTALL", "appId": FakeGhl::APP_ID, "locationId": LOCATION }));
    let mut other_app = uninstall.clone();
    other_app["appId"] = json!("another-app");
    let mut stale = uninstall.clone();
    stale["timestamp"] = json!((chrono::Utc::now() - chrono::Duration::minutes(6)).to_rfc3339());
    let mut early = uninstall.clone();
    early["timestamp"] = json!((chrono::Utc::now() + chrono::Duration::minutes(6)).to_rfc3339());
    let mut undated = uninstall.clone();
    undated.as_object_mut().unwrap().remove("timestamp");
    let mut unnamed = uninstall.clone();
    unnamed.as_object_mut().unwrap().remove("webhookId");
    for (event, status, code) in [
        (&other_app, StatusCode::FORBIDDEN, "wrong_app"),
        (&stale, StatusCode::BAD_REQUEST, "stale_event"),
        (&early, StatusCode::BAD_REQUEST, "stale_event"),
        (&undated, StatusCode::BAD_REQUEST, "stale_event"),
        (&unnamed, StatusCode::BAD_REQUEST, "missing_field"),
    ] {
        let (got, reply) = post(&gw, event).await;
        assert_eq!(
            (got, reply["code"].as_str()),
            (status, Some(code)),
            "{event}: {reply}"
        );
    }
    assert_eq!(connection_ids(&gw).await, [LOCATION], "nothing was forgotten");

    let (status, reply) = post(&gw, &uninstall).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert!(connection_ids(&gw).await.is_empty());
    assert_eq!(
        ghl.install(&gw, &ghl.location_install_code(LOCATION)).await.0,
        StatusCode::OK
    );
    // The same signed body again, after a restart (another process, on Redis).
    gw.stop().await;
    let gw = env.start(&provider_settings(&ghl, public, true)).await;
    let (status, reply) = post(&gw, &uninstall).await;
    assert_eq!(
        (status, reply["outcome"].as_str()),
        (StatusCode::OK, Some("already handled")),
        "{reply}"
    );
    assert_eq!(connection_ids(&gw).await, [LOCATION], "the replay was not obeyed");
    finish(gw, &ghl).await;
}

async fn a_delivery_for_a_location_without_a_route_is_refused(env: TestEnv) {
    let ghl = FakeGhl::start().await;
    let (signing, public) = provider_key();
    // wa-01, the only instance, serves LOCATION; "loc9" installed the app
    // but has no route, "loc0" has neither.
    let gw = provider_gateway(&env, &ghl, public, true).await;
    let code = ghl.company_install_code("co1", &[LOCATION, "loc9"]);
    assert_eq!(ghl.install(&gw, &code).await.0, StatusCode::OK);
    let contact = ghl.add_contact("loc9", "+5511999999999");
    let message = ghl.add_outbound_message("loc9", &contact);
    let body = json!({ "contactId": contact, "locationId": "loc9", "messageId": message, "type": "SMS",
                       "phone": "+5511999999999", "message": "through whichever number" });
    let (text, signature) = signed_delivery(&signing, &body);
    let (status, reply) = deliver(&gw, &text, signature).await;
    assert_eq!(
        (status, reply["code"].as_str(), reply["reportedToGhl"].as_str()),
        (StatusCode::OK, Some("location_not_routed"), Some("failed")),
        "{reply}"
    );
    eventually("GHL hears it failed", || async {
        ghl.statuses(&message) == ["failed"]
    })
    .await;

    let body = json!({ "contactId": "c0", "locationId": "loc0", "messageId": "m0", "type": "SMS",
                       "phone": "+5511999999999", "message": "from nowhere" });
    let (text, signature) = signed_delivery(&signing, &body);
    let (status, reply) = deliver(&gw, &text, signature).await;
    assert_eq!(
        (status, reply["code"].as_str(), reply["field"].as_str()),
        (
            StatusCode::NOT_FOUND,
            Some("location_not_routed"),
            Some("locationId")
        ),
        "{reply}"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(gw.sim_sent("wa-01").await.is_empty(), "nothing went out");
    finish(gw, &ghl).await;
}

async fn single_use_marks_expire_and_are_taken_once(env: TestEnv) {
    let ghl = env.open_stores().await.ghl;
    assert!(ghl.note_once("m1", 60_000).await.unwrap());
    assert!(!ghl.note_once("m1", 60_000).await.unwrap(), "noted already");
    assert!(ghl.take_once("m1").await.unwrap());
    assert!(!ghl.take_once("m1").await.unwrap(), "taken once");
    assert!(!ghl.take_once("never").await.unwrap());

    assert!(ghl.note_once("short", 100).await.unwrap());
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert!(!ghl.take_once("short").await.unwrap(), "expired");
    assert!(
        ghl.note_once("short", 100).await.unwrap(),
        "noted anew once expired"
    );
}
