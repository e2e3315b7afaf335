//! GHL Conversation Provider mode against a local fake GHL API: installs
//! (location and agency), tokens sealed at rest and refreshed before they
//! expire, status updates back to GHL (through the 403 GHL gives right
//! after a send), and inbound messages into Conversations with contacts
//! found or made, media uploaded, converted or linked.

use crate::common::fake_ghl::FakeGhl;
pub use crate::common::provider::{finish, provider_settings, signed_delivery, PROVIDER_ID};
use crate::common::{eventually, Gateway, TestEnv};
use crate::ghl::{deliver, provider_key};
use base64::Engine;
use ed25519_dalek::Signer;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;
use warp::Filter;

crate::both_backends!(
    an_agency_install_gives_every_location_a_sealed_token,
    app_events_add_later_locations_and_forget_uninstalled_ones,
    provider_sends_report_their_statuses_forward_only,
    a_delivery_that_cannot_be_sent_is_reported_failed,
    inbound_messages_reach_conversations,
    media_is_uploaded_converted_or_linked,
    an_expiring_token_is_refreshed_before_it_is_used,
    inbound_waits_for_the_provider_id_then_goes_in,
    installs_and_route_changes_apply_from_the_next_inbound,
);

pub const LOCATION: &str = "loc1";
/// A gateway in provider mode against `ghl`, with wa-01 serving LOCATION.
pub async fn provider_gateway(env: &TestEnv, ghl: &FakeGhl, public_key: String, provider: bool) -> Gateway {
    let settings = provider_settings(ghl, public_key, provider);
    let gw = env.start(&settings).await;
    gw.linked_instance("wa-01", "+15550000001").await;
    let route = json!({ "defaultInstanceId": "wa-01" });
    let path = format!("/api/ghl/locations/{LOCATION}");
    let (status, _) = gw.call(reqwest::Method::PUT, &path, Some(route)).await;
    assert_eq!(status, StatusCode::OK);
    gw
}

async fn simulate_inbound(gw: &Gateway, body: Value) {
    let (status, reply) = gw.post("/api/sim/wa-01/inbound", body).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
}

/// A provider gateway with LOCATION installed.
async fn installed_gateway(env: &TestEnv, ghl: &FakeGhl, provider: bool) -> Gateway {
    let gw = provider_gateway(env, ghl, provider_key().1, provider).await;
    let (status, page) = ghl.install(&gw, &ghl.location_install_code(LOCATION)).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    gw
}

async fn an_agency_install_gives_every_location_a_sealed_token(env: TestEnv) {
    let ghl = FakeGhl::start().await;
    let gw = provider_gateway(&env, &ghl, provider_key().1, true).await;
    let unknown_code = format!("code=not-a-code&state={}", gw.install_state().await);
    let (status, page) = gw.ghl_callback(&unknown_code).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{page}");

    let code = ghl.company_install_code("co1", &["loc1", "loc2"]);
    let (status, page) = ghl.install(&gw, &code).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("loc1") && page.contains("loc2"), "{page}");
    assert_eq!(connection_ids(&gw).await, ["co1", "loc1", "loc2"]);
    let (_, listed) = gw.get("/api/ghl/connections").await;
    assert!(!listed.to_string().contains("accessToken"));

    let stored = env.open_stores().await.ghl.tokens().await.unwrap();
    for token in &stored {
        assert!(token.access_token.starts_with("v1:"), "sealed at rest");
        assert!(token
            .refresh_token
            .as_deref()
            .is_none_or(|r| r.starts_with("v1:")));
    }
    let (_, app) = gw.get("/api/ghl/app").await;
    assert_eq!(app["hasClientSecret"], true);
    assert_eq!(app["secretsEncrypted"], true);
    assert!(app["installUrl"].as_str().unwrap().contains("chooselocation"));
    gw.stop().await;
}

pub async fn connection_ids(gw: &Gateway) -> Vec<String> {
    let (_, listed) = gw.get("/api/ghl/connections").await;
    let all = listed["connections"].as_array().cloned().unwrap_or_default();
    all.iter()
        .map(|c| c["id"].as_str().unwrap_or_default().to_owned())
        .collect()
}

async fn app_events_add_later_locations_and_forget_uninstalled_ones(env: TestEnv) {
    let ghl = FakeGhl::start().await;
    let (signing, public) = provider_key();
    let gw = provider_gateway(&env, &ghl, public, true).await;
    let code = ghl.company_install_code("co1", &["loc1"]);
    assert_eq!(ghl.install(&gw, &code).await.0, StatusCode::OK);
    ghl.install_in_company("co1", "loc2");
    let post_event = |event: Value| {
        let (text, signature) = signed_delivery(&signing, &app_event(event));
        let request = gw
            .http
            .post(gw.url("/ghl/webhooks"))
            .header("content-type", "application/json");
        request
            .header("x-ghl-signature", signature.unwrap())
            .body(text)
            .send()
    };
    let added = json!({ "type": "INSTALL", "appId": FakeGhl::APP_ID, "installType": "Location",
                        "locationId": "loc2", "companyId": "co1" });
    assert_eq!(post_event(added).await.unwrap().status(), StatusCode::OK);
    assert_eq!(connection_ids(&gw).await, ["co1", "loc1", "loc2"]);
    let removed = ghl.location_uninstall_event("loc1");
    assert_eq!(post_event(removed).await.unwrap().status(), StatusCode::OK);
    assert_eq!(connection_ids(&gw).await, ["co1", "loc2"]);
    let unsigned = gw
        .http
        .post(gw.url("/ghl/webhooks"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), StatusCode::UNAUTHORIZED);
    finish(gw, &ghl).await;
}

async fn provider_sends_report_their_statuses_forward_only(env: TestEnv) {
    let ghl = FakeGhl::start().await;
    let (signing, public) = provider_key();
    let gw = provider_gateway(&env, &ghl, public, true).await;
    let code = ghl.location_install_code(LOCATION);
    assert_eq!(ghl.install(&gw, &code).await.0, StatusCode::OK);
    let contact = ghl.add_contact(LOCATION, "+5511999999999");
    let message = ghl.add_outbound_message(LOCATION, &contact);
    ghl.forbid_next_status_updates(&message, 2);

    let body = json!({
        "contactId": contact, "locationId": LOCATION, "messageId": message, "type": "SMS",
        "phone": "+5511999999999", "message": "from the inbox",
    })
    .to_string();
    let signature =
        base64::engine::general_purpose::STANDARD.encode(signing.sign(body.as_bytes()).to_bytes());
    let (status, reply) = deliver(&gw, &body, Some(signature)).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    eventually("GHL hears that it was read", || async {
        ghl.statuses(&message).last().map(String::as_str) == Some("read")
    })
    .await;
    // Forward only: a status the 403s held back is skipped once a later one
    // went through (the fake notes any backward move as a problem).
    let heard = ghl.statuses(&message);
    let order = ["pending", "delivered", "read"];
    let ranks: Vec<_> = heard.iter().map(|s| order.iter().position(|o| o == s)).collect();
    assert!(ranks.windows(2).all(|w| w[0] < w[1]), "{heard:?}");
    let puts = ghl.requests().into_iter().filter(|r| r.method == "PUT").count();
    assert_eq!(puts, heard.len() + 2, "the two 403s were retried");
    finish(gw, &ghl).await;
}

/// An app webhook body as GHL sends it: with the time it was sent and an
/// id of its own (docs/oauth/WebhookAuthentication.md in
/// GoHighLevel/highlevel-api-docs).
pub fn app_event(mut event: Value) -> Value {
    event["timestamp"] = json!(chrono::Utc::now().to_rfc3339());
    event["webhookId"] = json!(uuid::Uuid::new_v4().to_string());
    event
}

async fn a_delivery_that_cannot_be_sent_is_reported_failed(env: TestEnv) {
    let ghl = FakeGhl::start().await;
    let (signing, public) = provider_key();
    let gw = provider_gateway(&env, &ghl, public, true).await;
    assert_eq!(
        ghl.install(&gw, &ghl.location_install_code(LOCATION)).await.0,
        StatusCode::OK
    );
    let contact = ghl.add_contact(LOCATION, "+5511999999999");
    let message = ghl.add_outbound_message(LOCATION, &contact);
    let body = json!({ "contactId": contact, "locationId": LOCATION, "messageId": message, "type": "SMS",
                       "phone": "12345", "message": "to nowhere" });
    let (text, signature) = signed_delivery(&signing, &body);
    let (status, reply) = deliver(&gw, &text, signature).await;
    assert_eq!(
        (status, reply["success"].as_bool()),
        (StatusCode::OK, Some(false)),
        "{reply}"
    );
    eventually("GHL hears it failed", || async {
        ghl.statuses(&message) == ["failed"]
    })
    .await;
    let update = ghl
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.method == "PUT")
        .unwrap();
    let error = update.json.unwrap()["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(error.contains("12345"), "the reason reaches GHL: {error}");
    assert!(gw.sim_sent("wa-01").await.is_empty());
    finish(gw, &ghl).await;
}

async fn inbound_messages_reach_conversations(env: TestEnv) {
    let ghl = FakeGhl::start().await;
    let gw = installed_gateway(&env, &ghl, true).await;
    // Brazil: GHL has the number without the ninth digit WhatsApp reports.
    let known = ghl.add_contact(LOCATION, "+551187654321");
    simulate_inbound(
        &gw,
        json!({ "from": "+5511987654321", "text": "hola", "id": "WA1" }),
    )
    .await;
    simulate_inbound(
        &gw,
        json!({ "from": "+14155550123", "text": "new here", "pushName": "Ana", "id": "WA2" }),
    )
    .await;
    simulate_inbound(
        &gw,
        json!({ "from": "+14155550123", "text": "typed on the phone", "fromMe": true, "id": "WA3" }),
    )
    .await;
    eventually("three messages are in GHL", || async {
        ghl.inbound_messages().len() == 3
    })
    .await;
    let by_alt = |alt: &str| {
        ghl.inbound_messages()
            .into_iter()
            .find(|m| m["altId"] == alt)
            .unwrap_or_else(|| panic!("no message {alt}"))
    };
    let first = by_alt("WA1");
    assert_eq!(
        (first["contactId"].as_str(), first["direction"].as_str()),
        (Some(known.as_str()), Some("inbound"))
    );
    assert_eq!(first["conversationProviderId"], PROVIDER_ID);
    let (second, third) = (by_alt("WA2"), by_alt("WA3"));
    assert_eq!(
        second["contactId"], third["contactId"],
        "the new contact was made once"
    );
    assert_eq!(third["direction"], "outbound");
    // The gateway's own send, echoed back by WhatsApp as typed on the phone.
    let sent = gw.send_text("wa-01", "+14155550123", "from the gateway").await;
    simulate_inbound(
        &gw,
        json!({ "from": "+14155550123", "text": "from the gateway", "fromMe": true, "id": sent }),
    )
    .await;
    simulate_inbound(
        &gw,
        json!({ "from": "+14155550123", "text": "after the echo", "id": "WA4" }),
    )
    .await;
    eventually("every job has run", || async {
        let (_, pending) = gw.get("/api/forwards?status=pending").await;
        pending["count"] == 0 && ghl.inbound_messages().iter().any(|m| m["altId"] == "WA4")
    })
    .await;
    assert_eq!(ghl.inbound_messages().len(), 4);
    assert!(
        ghl.inbound_messages().iter().all(|m| m["altId"] != sent.as_str()),
        "no echo"
    );
    let upserts = ghl
        .requests()
        .into_iter()
        .filter(|r| r.path == "/contacts/upsert")
        .count();
    assert_eq!(upserts, 1);
    finish(gw, &ghl).await;
}

/// Serves a JPEG, a WebP and an OGG voice note at /media/*.
async fn media_server() -> String {
    let mut webp = std::io::Cursor::new(Vec::new());
    image::RgbaImage::new(2, 2)
        .write_to(&mut webp, image::ImageFormat::WebP)
        .unwrap();
    let webp = webp.into_inner();
    let files = warp::path!("media" / String).map(move |name: String| {
        let (bytes, mime) = match name.as_str() {
            "photo.jpg" => (b"\xff\xd8\xff\xe0 not really a jpeg".to_vec(), "image/jpeg"),
            "sticker.webp" => (webp.clone(), "image/webp"),
            _ => (b"OggS voice".to_vec(), "audio/ogg"),
        };
        warp::reply::with_header(bytes, "content-type", mime)
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(warp::serve(files).incoming(listener).run());
    format!("http://{addr}/media")
}

async fn media_is_uploaded_converted_or_linked(env: TestEnv) {
    let ghl = FakeGhl::start().await;
    let gw = installed_gateway(&env, &ghl, true).await;
    let media = media_server().await;
    for (id, file, mime) in [
        ("M1", "photo.jpg", "image/jpeg"),
        ("M2", "sticker.webp", "image/webp"),
        ("M3", "voice.ogg", "audio/ogg"),
    ] {
        let body = json!({ "from": "+14155550123", "id": id, "type": if id == "M3" { "audio" } else { "image" },
                           "mediaUrl": format!("{media}/{file}"), "mimeType": mime });
        simulate_inbound(&gw, body).await;
    }
    eventually("three media messages are in GHL", || async {
        ghl.inbound_messages().len() == 3
    })
    .await;
    let uploads = ghl.uploads();
    let types: Vec<_> = uploads
        .iter()
        .map(|u| u.content_type.clone().unwrap_or_default())
        .collect();
    assert_eq!(types, ["image/jpeg", "image/png"], "the WebP went up as PNG");
    for message in ghl.inbound_messages() {
        let attachments = message["attachments"].as_array().cloned().unwrap_or_default();
        if message["altId"] == "M3" {
            assert!(attachments.is_empty());
            assert!(
                message["message"].as_str().unwrap().ends_with("/media/voice.ogg"),
                "{message}"
            );
        } else {
            assert_eq!(attachments.len(), 1, "{message}");
        }
    }
    finish(gw, &ghl).await;
}

async fn stored_token(env: &TestEnv) -> wagate::store::StoredToken {
    let stores = env.open_stores().await;
    stores
        .ghl
        .token(LOCATION)
        .await
        .unwrap()
        .expect("LOCATION's token")
}

async fn an_expiring_token_is_refreshed_before_it_is_used(env: TestEnv) {
    let ghl = FakeGhl::start().await;
    ghl.set_token_lifetime(2);
    let gw = installed_gateway(&env, &ghl, true).await;
    let before = stored_token(&env).await;
    tokio::time::sleep(Duration::from_millis(2200)).await;
    simulate_inbound(
        &gw,
        json!({ "from": "+14155550123", "text": "after expiry", "id": "E1" }),
    )
    .await;
    eventually("the message is in GHL", || async {
        ghl.inbound_messages().len() == 1
    })
    .await;
    assert!(ghl.refresh_count(LOCATION) >= 1);
    let after = stored_token(&env).await;
    assert!(after.version > before.version);
    assert_ne!(
        after.refresh_token, before.refresh_token,
        "the new refresh token replaced the old"
    );
    finish(gw, &ghl).await;
}

async fn inbound_waits_for_the_provider_id_then_goes_in(env: TestEnv) {
    let ghl = FakeGhl::start().await;
    let gw = installed_gateway(&env, &ghl, false).await;
    simulate_inbound(
        &gw,
        json!({ "from": "+14155550123", "text": "waiting", "id": "X1" }),
    )
    .await;
    let failing = || async {
        let (_, listed) = gw.get("/api/forwards?status=pending").await;
        listed["forwards"]
            .as_array()
            .and_then(|all| {
                all.iter()
                    .find(|f| f["target"] == "ghlConversation" && !f["lastError"].is_null())
            })
            .cloned()
    };
    eventually("the job fails for want of a provider id", || async {
        failing().await.is_some()
    })
    .await;
    let job = failing().await.unwrap();
    assert!(
        job["lastError"]
            .as_str()
            .unwrap()
            .contains("GHL_CONVERSATION_PROVIDER_ID"),
        "{job}"
    );
    assert!(ghl.inbound_messages().is_empty());

    let app = json!({ "conversationProviderId": PROVIDER_ID });
    let (status, reply) = gw.call(reqwest::Method::PUT, "/api/ghl/app", Some(app)).await;
    assert_eq!(
        (status, reply["conversationProviderId"].as_str()),
        (StatusCode::OK, Some(PROVIDER_ID))
    );
    let retry = format!("/api/forwards/{}/retry", job["id"].as_str().unwrap());
    // Refused (409) while a forwarder holds the job for its own next try.
    eventually("the retry is taken", || async {
        gw.post(&retry, json!({})).await.0 == StatusCode::OK
    })
    .await;
    eventually("the message is in GHL", || async {
        ghl.inbound_messages().len() == 1
    })
    .await;
    finish(gw, &ghl).await;
}

/// The gateway keeps the routing it read until a write finds it stale, so
/// an install, and then a route that moves the location to another
/// instance, must each count from the very next inbound message.
async fn installs_and_route_changes_apply_from_the_next_inbound(env: TestEnv) {
    let ghl = FakeGhl::start().await;
    let gw = provider_gateway(&env, &ghl, provider_key().1, true).await;
    let stored = |id: &'static str| {
        let gw = &gw;
        async move {
            simulate_inbound(gw, json!({ "from": "+14155550123", "text": id, "id": id })).await;
            eventually("the message is stored", || async {
                gw.get(&format!("/api/messages/{id}")).await.0 == StatusCode::OK
            })
            .await;
        }
    };
    stored("R1").await;
    let (status, page) = ghl.install(&gw, &ghl.location_install_code(LOCATION)).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    stored("R2").await;
    eventually("the message after the install is in GHL", || async {
        ghl.inbound_messages().len() == 1
    })
    .await;
    gw.linked_instance("wa-02", "+15550000002").await;
    let route = json!({ "defaultInstanceId": "wa-02" });
    let path = format!("/api/ghl/locations/{LOCATION}");
    assert_eq!(
        gw.call(reqwest::Method::PUT, &path, Some(route)).await.0,
        StatusCode::OK
    );
    stored("R3").await;
    let (_, all) = gw.get("/api/forwards?status=all").await;
    assert_eq!(all["count"], 1, "only R2 had a location to go to: {all}");
    assert_eq!(ghl.inbound_messages()[0]["altId"], "R2");
    finish(gw, &ghl).await;
}

#[tokio::test]
async fn processes_sharing_redis_share_ghls_rate_limit() {
    use wagate::ghl::shared_window::SharedWindow;
    let prefix = format!("wagate-test:{}:", uuid::Uuid::new_v4().simple());
    let pool = || wagate::store::redis::pool(&crate::common::redis_url()).unwrap();
    let (first, second) = (
        SharedWindow::new(pool(), &prefix),
        SharedWindow::new(pool(), &prefix),
    );
    let window = Duration::from_secs(10);
    for process in [&first, &second, &first] {
        assert_eq!(process.try_take("loc1", 3, window).await.unwrap(), None);
    }
    let wait = second.try_take("loc1", 3, window).await.unwrap();
    assert!(wait.is_some_and(|w| w <= window), "the fourth waits: {wait:?}");
    assert_eq!(
        second.try_take("loc2", 3, window).await.unwrap(),
        None,
        "locations apart"
    );
    crate::common::remove_redis_keys(&prefix).await;
}
