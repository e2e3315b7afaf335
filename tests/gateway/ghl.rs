//! GHL workflow mode: the standard Webhook action's body, location and
//! contact routing, and signed forwards to GHL_INBOUND_URL.

pub use crate::common::provider::{deliver, provider_key, provider_key_of};
use crate::common::receiver::Receiver;
use crate::common::{eventually, Gateway, TestEnv};
use base64::Engine;
use ed25519_dalek::Signer;
use reqwest::{Method, StatusCode};
use serde_json::json;

crate::both_backends!(
    the_standard_webhook_body_is_understood,
    locations_route_sends_to_their_instances_and_contacts_to_theirs,
    forwards_are_signed_when_a_secret_is_set,
    the_provider_delivery_url_takes_only_signed_requests_and_sends_each_part_once,
);

async fn two_instances(env: &TestEnv, extra: &[(&str, String)]) -> Gateway {
    let gw = env.start(extra).await;
    gw.linked_instance("wa-01", "+15550000001").await;
    gw.linked_instance("wa-02", "+15550000002").await;
    gw
}

async fn the_standard_webhook_body_is_understood(env: TestEnv) {
    let gw = two_instances(&env, &[]).await;
    let body = json!({
        "contact_id": "c1", "full_name": "Ana", "phone": "+51 987 654 321",
        "location": { "id": "loc1", "name": "Agency" },
        "workflow": { "id": "w1", "name": "Welcome" },
        "customData": { "instanceId": "wa-02", "message": "Hello from a workflow" },
    });
    let (status, reply) = gw.post("/api/ghl/outbound", body).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{reply}");
    eventually("it goes out through wa-02", || async {
        gw.sim_sent("wa-02").await.len() == 1
    })
    .await;
    let sent = &gw.sim_sent("wa-02").await[0];
    assert_eq!(
        (sent["to"].as_str(), sent["text"].as_str()),
        (Some("+51987654321"), Some("Hello from a workflow"))
    );
    assert!(gw.sim_sent("wa-01").await.is_empty());
    gw.stop().await;
}

async fn locations_route_sends_to_their_instances_and_contacts_to_theirs(env: TestEnv) {
    let gw = two_instances(&env, &[]).await;
    let route = json!({ "defaultInstanceId": "wa-01", "instanceIds": ["wa-02"] });
    let (status, reply) = gw.call(Method::PUT, "/api/ghl/locations/loc1", Some(route)).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!(reply["location"]["instanceIds"], json!(["wa-01", "wa-02"]));
    let contact = json!({ "instanceId": "wa-02" });
    let (status, reply) = gw
        .call(Method::PUT, "/api/ghl/locations/loc1/contacts/c2", Some(contact))
        .await;
    assert_eq!(status, StatusCode::OK, "{reply}");

    for (contact, text) in [("c1", "to the default"), ("c2", "to the contact's own")] {
        let body = json!({ "contact_id": contact, "phone": "+5511999999999", "location": { "id": "loc1" },
                           "customData": { "message": text } });
        assert_eq!(gw.post("/api/ghl/outbound", body).await.0, StatusCode::ACCEPTED);
    }
    eventually("both went out", || async {
        gw.sim_sent("wa-01").await.len() == 1 && gw.sim_sent("wa-02").await.len() == 1
    })
    .await;
    assert_eq!(gw.sim_sent("wa-01").await[0]["text"], "to the default");
    assert_eq!(gw.sim_sent("wa-02").await[0]["text"], "to the contact's own");

    let unknown = json!({ "phone": "+5511999999999", "locationId": "nowhere", "message": "x" });
    let (status, reply) = gw.post("/api/ghl/outbound", unknown).await;
    assert_eq!(
        (status, reply["field"].as_str()),
        (StatusCode::NOT_FOUND, Some("locationId")),
        "{reply}"
    );
    let stranger = json!({ "instanceId": "wa-09" });
    let (status, _) = gw
        .call(Method::PUT, "/api/ghl/locations/loc1/contacts/c3", Some(stranger))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (_, listed) = gw.get("/api/ghl/locations").await;
    assert_eq!(listed["locations"][0]["defaultInstanceId"], "wa-01");
    assert_eq!(
        gw.call(Method::DELETE, "/api/ghl/locations/loc1", None).await.0,
        StatusCode::OK
    );
    assert_eq!(
        gw.call(Method::DELETE, "/api/ghl/locations/loc1", None).await.0,
        StatusCode::NOT_FOUND
    );
    gw.stop().await;
}

async fn forwards_are_signed_when_a_secret_is_set(env: TestEnv) {
    let receiver = Receiver::start().await;
    let extra = [
        ("ghl-inbound-url", receiver.url()),
        ("webhook-secret", "whsec_test".to_owned()),
    ];
    let gw = env.start(&extra).await;
    gw.linked_instance("wa-01", "+15550000001").await;
    gw.post(
        "/api/sim/wa-01/inbound",
        json!({ "from": "+5511999999999", "text": "signed" }),
    )
    .await;
    eventually("the receiver got it", || async { receiver.received().len() == 1 }).await;
    let got = &receiver.received()[0];
    assert!(got.signed_with("whsec_test"), "signed with WEBHOOK_SECRET");
    assert!(!got.signed_with("whsec_other"));
    gw.stop().await;
}

async fn the_provider_delivery_url_takes_only_signed_requests_and_sends_each_part_once(env: TestEnv) {
    let (signing, public) = provider_key();
    let gw = env.start(&[("ghl-webhook-public-key", public)]).await;
    gw.linked_instance("wa-01", "+15550000001").await;
    let route = json!({ "defaultInstanceId": "wa-01" });
    assert_eq!(
        gw.call(Method::PUT, "/api/ghl/locations/loc1", Some(route))
            .await
            .0,
        StatusCode::OK
    );
    let body = json!({
        "contactId": "c1", "locationId": "loc1", "messageId": "ghl-m1", "type": "SMS",
        "phone": "+5511999999999", "message": "from the inbox",
        "attachments": ["https://files.example/photo.jpg"], "conversationProviderId": "p1",
    })
    .to_string();
    let sign = |text: &str| {
        Some(base64::engine::general_purpose::STANDARD.encode(signing.sign(text.as_bytes()).to_bytes()))
    };
    assert_eq!(deliver(&gw, &body, None).await.0, StatusCode::UNAUTHORIZED);
    let forged = body.replace("from the inbox", "forged");
    assert_eq!(
        deliver(&gw, &forged, sign(&body)).await.0,
        StatusCode::UNAUTHORIZED
    );
    for _ in 0..2 {
        let (status, reply) = deliver(&gw, &body, sign(&body)).await;
        assert_eq!(status, StatusCode::OK, "{reply}");
        assert_eq!(reply["queued"].as_array().unwrap().len(), 2);
    }
    eventually("the text and the photo arrive", || async {
        gw.sim_sent("wa-01").await.len() == 2
    })
    .await;
    let sent = gw.sim_sent("wa-01").await;
    assert_eq!(
        (sent[0]["type"].as_str(), sent[0]["text"].as_str()),
        (Some("text"), Some("from the inbox"))
    );
    assert_eq!(
        (sent[1]["type"].as_str(), sent[1]["mediaUrl"].as_str()),
        (Some("image"), Some("https://files.example/photo.jpg"))
    );
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(
        gw.sim_sent("wa-01").await.len(),
        2,
        "GHL's retry sent nothing twice"
    );
    gw.stop().await;
}
