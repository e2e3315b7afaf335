//! GHL's side of provider mode, shared by the test crates: the key GHL
//! signs its webhooks and Delivery URL requests with, a signed request,
//! sending it to the gateway, an agent's reply from the inbox, the settings of a provider gateway against
//! the fake GHL API, and the check that the fake saw nothing amiss.

use super::fake_ghl::FakeGhl;
use super::Gateway;
use base64::Engine;
use ed25519_dalek::{Signer, SigningKey};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// The conversation provider id the gateway is given.
pub const PROVIDER_ID: &str = "provider-1";

/// Provider mode's settings against `ghl`.
pub fn provider_settings(ghl: &FakeGhl, public_key: String, provider: bool) -> Vec<(&'static str, String)> {
    let mut settings = vec![
        ("ghl-api-base", ghl.base_url()),
        ("ghl-client-id", FakeGhl::CLIENT_ID.to_owned()),
        ("ghl-client-secret", FakeGhl::CLIENT_SECRET.to_owned()),
        (
            "ghl-redirect-uri",
            "https://gw.example/ghl/oauth/callback".to_owned(),
        ),
        ("secrets-key", "a test secrets key of some length".to_owned()),
        ("ghl-webhook-public-key", public_key),
        ("allow-private-media-urls", "true".to_owned()),
    ];
    if provider {
        settings.push(("ghl-conversation-provider-id", PROVIDER_ID.to_owned()));
    }
    settings
}

/// A test signing key and its public key as GHL_WEBHOOK_PUBLIC_KEY takes it
/// (SPKI DER: the RFC 8410 prefix, then the 32 key bytes; base64).
pub fn provider_key() -> (SigningKey, String) {
    provider_key_of(9)
}

/// Another signing key (made from `seed`) and its public key.
pub fn provider_key_of(seed: u8) -> (SigningKey, String) {
    let signing = SigningKey::from_bytes(&[seed; 32]);
    let mut der = vec![
        0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
    ];
    der.extend_from_slice(signing.verifying_key().as_bytes());
    (signing, base64::engine::general_purpose::STANDARD.encode(der))
}

/// GHL's Delivery URL request for `message`, signed with `signing`.
pub fn signed_delivery(signing: &SigningKey, body: &Value) -> (String, Option<String>) {
    let text = body.to_string();
    let signature = signing.sign(text.as_bytes()).to_bytes();
    (
        text,
        Some(base64::engine::general_purpose::STANDARD.encode(signature)),
    )
}

/// POSTs `body` to the gateway's Delivery URL, with `signature` as GHL's
/// `X-GHL-Signature`.
pub async fn deliver(gw: &Gateway, body: &str, signature: Option<String>) -> (StatusCode, Value) {
    let mut request = gw
        .http
        .post(gw.url("/ghl/provider/outbound"))
        .header("content-type", "application/json");
    if let Some(signature) = signature {
        request = request.header("X-GHL-Signature", signature);
    }
    let response = request.body(body.to_owned()).send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or_default())
}

/// Checks the fake GHL saw nothing amiss, and stops the gateway.
pub async fn finish(gw: Gateway, ghl: &FakeGhl) {
    assert!(
        ghl.problems().is_empty(),
        "the fake GHL saw: {:?}",
        ghl.problems()
    );
    gw.stop().await;
}

/// An agent's reply from the Conversations inbox: GHL's signed Delivery
/// URL request (`type: "SMS"`) for a new outbound message of `contact_id`
/// in `location`, with `more` fields (such as the contact's `phone`), which
/// the gateway must take. Gives GHL's message id.
pub async fn inbox_reply(
    gw: &Gateway,
    ghl: &FakeGhl,
    signing: &SigningKey,
    (location, contact_id): (&str, &str),
    text: &str,
    more: Value,
) -> String {
    let message = ghl.add_outbound_message(location, contact_id);
    let mut reply = json!({ "contactId": contact_id, "locationId": location, "messageId": message,
                            "type": "SMS", "message": text });
    if let (Some(reply), Some(more)) = (reply.as_object_mut(), more.as_object()) {
        reply.extend(more.clone());
    }
    let (body, signature) = signed_delivery(signing, &reply);
    let (status, answer) = deliver(gw, &body, signature).await;
    assert_eq!(
        (status, &answer["success"]),
        (StatusCode::OK, &json!(true)),
        "{answer}"
    );
    message
}
