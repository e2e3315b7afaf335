//! The fake's API checks (Version, token, fields, rate) and its contacts,
//! conversations, messages and uploads, traps included.

use super::{Ghl, CONTACTS, CONVERSATIONS};
use crate::common::fake_ghl::Upload;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

#[tokio::test]
async fn calls_need_their_version_a_token_of_their_location_and_their_fields() {
    let ghl = Ghl::start().await;
    let token = ghl.location_token("loc1").await;
    let contact = json!({ "locationId": "loc1", "phone": "+15551234567" });
    let (status, _) = ghl
        .post("/contacts/upsert", &token, CONVERSATIONS, contact.clone())
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "the conversations version on contacts"
    );
    let elsewhere = json!({ "locationId": "loc2", "phone": "+15551234567" });
    let (status, _) = ghl.post("/contacts/upsert", &token, CONTACTS, elsewhere).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "loc1's token on loc2");
    let (status, body) = ghl.post("/contacts/upsert", "made-up", CONTACTS, contact).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let (status, body) = ghl
        .post(
            "/contacts/upsert",
            &token,
            CONTACTS,
            json!({ "locationId": "loc1" }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["message"], json!(["phone should not be empty"]));
    let unencoded_plus = "/contacts/search/duplicate?locationId=loc1&number=+15551234567";
    let (status, _) = ghl.get(unencoded_plus, &token, CONTACTS, &[]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "+ arrives as a space");
    let problems = ghl.fake.problems();
    assert_eq!(problems.len(), 5, "{problems:?}");
    assert!(
        problems[0].contains("Version header Some(\"2021-04-15\")"),
        "{problems:?}"
    );
}

#[tokio::test]
async fn contacts_are_one_per_phone_and_conversations_one_per_contact() {
    let ghl = Ghl::start().await;
    let token = ghl.location_token("loc1").await;
    let known = ghl.fake.add_contact("loc1", "+15551234567");
    let query = [("locationId", "loc1"), ("number", "+15551234567")];
    let (_, found) = ghl
        .get("/contacts/search/duplicate", &token, CONTACTS, &query)
        .await;
    assert_eq!(found["contact"]["id"], known.as_str());
    let upsert = json!({ "locationId": "loc1", "phone": "+15551234567", "name": "Ana", "tags": ["wa"] });
    let (_, same) = ghl.post("/contacts/upsert", &token, CONTACTS, upsert).await;
    assert_eq!(
        (&same["new"], &same["contact"]["id"]),
        (&json!(false), &json!(known))
    );
    assert_eq!(same["contact"]["name"], "Ana");
    let other = json!({ "locationId": "loc1", "phone": "+15557654321" });
    let (_, created) = ghl.post("/contacts/upsert", &token, CONTACTS, other).await;
    assert_eq!(created["new"], true);

    let query = [("locationId", "loc1"), ("contactId", known.as_str())];
    let (_, none) = ghl
        .get("/conversations/search", &token, CONVERSATIONS, &query)
        .await;
    assert_eq!(none["total"], 0);
    let conversation = json!({ "locationId": "loc1", "contactId": known });
    let (status, made) = ghl
        .post("/conversations/", &token, CONVERSATIONS, conversation.clone())
        .await;
    assert_eq!(
        (status, &made["success"]),
        (StatusCode::OK, &json!(true)),
        "{made}"
    );
    let (status, _) = ghl
        .post("/conversations/", &token, CONVERSATIONS, conversation)
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "a second conversation for the contact"
    );
    let (_, one) = ghl
        .get("/conversations/search", &token, CONVERSATIONS, &query)
        .await;
    assert_eq!(
        (&one["total"], &one["conversations"][0]["id"]),
        (&json!(1), &made["conversation"]["id"])
    );
    assert_eq!(ghl.fake.problems().len(), 1, "{:?}", ghl.fake.problems());

    let seen = ghl.fake.requests();
    let upsert = seen.iter().find(|r| r.path == "/contacts/upsert").unwrap();
    assert_eq!(upsert.json.as_ref().unwrap()["tags"], json!(["wa"]));
    assert_eq!(upsert.headers["version"], CONTACTS);
    assert!(!upsert.body.is_empty());
    let search = seen
        .iter()
        .find(|r| r.path == "/contacts/search/duplicate")
        .unwrap();
    assert_eq!(search.query["number"], "+15551234567");
}

fn inbound(conversation_id: &str, contact_id: &str, alt_id: &str) -> Value {
    json!({
        "type": "SMS", "conversationId": conversation_id, "contactId": contact_id,
        "conversationProviderId": "provider1",
        "message": "hola", "direction": "inbound", "altId": alt_id,
    })
}

#[tokio::test]
async fn inbound_messages_are_one_per_alt_id_and_need_every_required_field() {
    let ghl = Ghl::start().await;
    let token = ghl.location_token("loc1").await;
    let contact = ghl.fake.add_contact("loc1", "+15551234567");
    let conversation = ghl.fake.add_conversation("loc1", &contact);
    let path = "/conversations/messages/inbound";
    let body = inbound(&conversation, &contact, "wa-1");
    let (status, first) = ghl.post(path, &token, CONVERSATIONS, body.clone()).await;
    assert_eq!(
        (status, &first["success"]),
        (StatusCode::OK, &json!(true)),
        "{first}"
    );
    assert_eq!(first["conversationId"], conversation.as_str());
    let (_, again) = ghl.post(path, &token, CONVERSATIONS, body.clone()).await;
    assert_eq!(again, first);
    assert_eq!(ghl.fake.repeated_alt_ids(), ["wa-1"]);
    assert!(ghl.fake.problems().is_empty(), "{:?}", ghl.fake.problems());

    for field in ["type", "conversationId", "contactId", "conversationProviderId"] {
        let mut lacking = inbound(&conversation, &contact, "wa-2");
        lacking.as_object_mut().unwrap().remove(field);
        let (status, reply) = ghl.post(path, &token, CONVERSATIONS, lacking).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "without {field}");
        assert_eq!(reply["message"], json!([format!("{field} should not be empty")]));
    }
    let stranger = ghl.fake.add_contact("loc1", "+15557654321");
    let (status, _) = ghl
        .post(
            path,
            &token,
            CONVERSATIONS,
            inbound(&conversation, &stranger, "wa-3"),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "another contact's conversation");
    assert_eq!(ghl.fake.inbound_messages(), [body]);
    assert_eq!(ghl.fake.problems().len(), 5, "{:?}", ghl.fake.problems());
}

#[tokio::test]
async fn status_updates_get_the_scripted_403s_then_are_kept_in_order() {
    let ghl = Ghl::start().await;
    let token = ghl.location_token("loc1").await;
    let contact = ghl.fake.add_contact("loc1", "+15551234567");
    let message = ghl.fake.add_outbound_message("loc1", &contact);
    ghl.fake.forbid_next_status_updates(&message, 2);
    let path = format!("/conversations/messages/{message}/status");
    let update = |status: &str| json!({ "status": status });
    for _ in 0..2 {
        let (status, body) = ghl
            .send(Method::PUT, &path, &token, CONVERSATIONS, update("pending"))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(body["message"], "The token does not have access to this location");
    }
    for status in ["pending", "delivered", "pending"] {
        let (code, body) = ghl
            .send(Method::PUT, &path, &token, CONVERSATIONS, update(status))
            .await;
        assert_eq!(code, StatusCode::OK, "{body}");
        assert_eq!(body["messageId"], message.as_str());
    }
    assert_eq!(ghl.fake.statuses(&message), ["pending", "delivered", "pending"]);
    let problems = ghl.fake.problems();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].contains("status pending after Some(\"delivered\")"),
        "{problems:?}"
    );
}

#[tokio::test]
async fn uploads_take_only_ghl_file_types_and_are_served_back() {
    let ghl = Ghl::start().await;
    let token = ghl.location_token("loc1").await;
    let contact = ghl.fake.add_contact("loc1", "+15551234567");
    let (_, made) = ghl
        .post(
            "/conversations/",
            &token,
            CONVERSATIONS,
            json!({ "locationId": "loc1", "contactId": contact }),
        )
        .await;
    let conversation = made["conversation"]["id"].as_str().unwrap().to_owned();
    let wrong = ["conv-nope", contact.as_str(), "loc1"];
    let (status, _) = ghl
        .upload(&token, wrong, ("photo.jpg", "image/jpeg", b"\xff\xd8jpeg"))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "an unknown conversation");
    let ids = [conversation.as_str(), contact.as_str(), "loc1"];
    let (status, body) = ghl
        .upload(&token, ids, ("photo.jpg", "image/jpeg", b"\xff\xd8jpeg"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let url = body["uploadedFiles"]["photo.jpg"].as_str().unwrap();
    assert!(
        url.starts_with(&format!("{}/files/", ghl.fake.base_url())),
        "{url}"
    );
    let served = ghl.http.get(url).send().await.unwrap().bytes().await.unwrap();
    assert_eq!(served.as_ref(), b"\xff\xd8jpeg");

    let (status, body) = ghl.upload(&token, ids, ("voice.ogg", "audio/ogg", b"OggS")).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(body, json!({ "status": 415, "message": "Unsupported file type" }));
    let uploads: Vec<Upload> = ghl.fake.uploads();
    assert_eq!(uploads.len(), 1);
    let upload = &uploads[0];
    assert_eq!(
        (upload.filename.as_str(), upload.content_type.as_deref()),
        ("photo.jpg", Some("image/jpeg"))
    );
    assert_eq!(
        (upload.bytes.as_slice(), upload.url.as_str()),
        (b"\xff\xd8jpeg".as_slice(), url)
    );
    let owners = (&upload.location_id, &upload.contact_id, &upload.conversation_id);
    assert_eq!(owners, (&"loc1".to_owned(), &contact, &conversation));
    assert_eq!(ghl.problems_with("unsupported file"), 1);
    assert_eq!(ghl.problems_with("no conversation conv-nope"), 1);
}

#[tokio::test]
async fn over_100_calls_in_10_seconds_for_a_location_is_a_problem() {
    let ghl = Ghl::start().await;
    let token = ghl.location_token("loc1").await;
    let query = [("locationId", "loc1"), ("number", "+15551234567")];
    for _ in 0..100 {
        ghl.get("/contacts/search/duplicate", &token, CONTACTS, &query)
            .await;
    }
    assert!(ghl.fake.problems().is_empty());
    ghl.get("/contacts/search/duplicate", &token, CONTACTS, &query)
        .await;
    assert_eq!(ghl.fake.problems(), ["location loc1: over 100 requests in 10 s"]);
}
