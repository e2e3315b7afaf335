//! The fake GHL API itself (tests/gateway/common/fake_ghl), driven with
//! plain reqwest: OAuth, version and token checks, and GHL's traps.

use crate::common::fake_ghl::{FakeGhl, SeenRequest, Upload};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const CONTACTS: &str = "2021-07-28";
const CONVERSATIONS: &str = "2021-04-15";

struct Ghl {
    fake: FakeGhl,
    http: reqwest::Client,
}

impl Ghl {
    async fn start() -> Self {
        Self {
            fake: FakeGhl::start().await,
            http: reqwest::Client::new(),
        }
    }

    async fn reply(response: reqwest::Response) -> (StatusCode, Value) {
        let status = response.status();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    /// POST /oauth/token with our client's id and secret.
    async fn oauth(&self, form: &[(&str, &str)]) -> (StatusCode, Value) {
        let mut form = form.to_vec();
        form.extend([
            ("client_id", FakeGhl::CLIENT_ID),
            ("client_secret", FakeGhl::CLIENT_SECRET),
        ]);
        let url = format!("{}/oauth/token", self.fake.base_url());
        Self::reply(self.http.post(url).form(&form).send().await.unwrap()).await
    }

    async fn exchange_code(&self, code: &str, user_type: &str) -> Value {
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("user_type", user_type),
        ];
        let (status, body) = self.oauth(&form).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    async fn refresh(&self, refresh_token: &str) -> (StatusCode, Value) {
        self.oauth(&[("grant_type", "refresh_token"), ("refresh_token", refresh_token)])
            .await
    }

    /// An access token of a freshly installed location.
    async fn location_token(&self, location_id: &str) -> String {
        let code = self.fake.location_install_code(location_id);
        let body = self.exchange_code(&code, "Location").await;
        body["access_token"].as_str().unwrap().to_owned()
    }

    fn request(&self, method: Method, path: &str, token: &str, version: &str) -> reqwest::RequestBuilder {
        let url = format!("{}{path}", self.fake.base_url());
        self.http
            .request(method, url)
            .bearer_auth(token)
            .header("Version", version)
    }

    async fn get(
        &self,
        path: &str,
        token: &str,
        version: &str,
        query: &[(&str, &str)],
    ) -> (StatusCode, Value) {
        let request = self.request(Method::GET, path, token, version).query(query);
        Self::reply(request.send().await.unwrap()).await
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        token: &str,
        version: &str,
        body: Value,
    ) -> (StatusCode, Value) {
        let request = self.request(method, path, token, version).json(&body);
        Self::reply(request.send().await.unwrap()).await
    }

    async fn post(&self, path: &str, token: &str, version: &str, body: Value) -> (StatusCode, Value) {
        self.send(Method::POST, path, token, version, body).await
    }

    /// POST /conversations/messages/upload with one file.
    async fn upload(&self, token: &str, ids: [&str; 3], file: (&str, &str, &[u8])) -> (StatusCode, Value) {
        let names = ["conversationId", "contactId", "locationId"];
        let (content_type, body) = multipart(&names.into_iter().zip(ids).collect::<Vec<_>>(), file);
        let request = self
            .request(
                Method::POST,
                "/conversations/messages/upload",
                token,
                CONVERSATIONS,
            )
            .header("content-type", content_type)
            .body(body);
        Self::reply(request.send().await.unwrap()).await
    }

    /// Problems containing `part`.
    fn problems_with(&self, part: &str) -> usize {
        self.fake.problems().iter().filter(|p| p.contains(part)).count()
    }
}

/// A multipart/form-data body: text fields, then a `fileAttachment`.
fn multipart(
    fields: &[(&str, &str)],
    (filename, content_type, bytes): (&str, &str, &[u8]),
) -> (String, Vec<u8>) {
    let boundary = "fake-ghl-boundary";
    let mut body = Vec::new();
    for (name, value) in fields {
        let part =
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n");
        body.extend(part.into_bytes());
    }
    let head = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"fileAttachment\"; \
         filename=\"{filename}\"\r\nContent-Type: {content_type}\r\n\r\n"
    );
    body.extend(head.into_bytes());
    body.extend(bytes);
    body.extend(format!("\r\n--{boundary}--\r\n").into_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[tokio::test]
async fn a_location_install_gives_tokens_whose_refresh_tokens_work_once() {
    let ghl = Ghl::start().await;
    let code = ghl.fake.location_install_code("loc1");
    let first = ghl.exchange_code(&code, "Location").await;
    assert_eq!(first["token_type"], "Bearer");
    assert_eq!(first["userType"], "Location");
    assert_eq!(first["locationId"], "loc1");
    assert_eq!(first["expires_in"], FakeGhl::TOKEN_LIFETIME_SECS);
    let used = ghl
        .oauth(&[("grant_type", "authorization_code"), ("code", &code)])
        .await;
    assert_eq!(
        used,
        (StatusCode::BAD_REQUEST, json!({ "error": "invalid_grant" }))
    );

    let old_refresh = first["refresh_token"].as_str().unwrap();
    let (status, second) = ghl.refresh(old_refresh).await;
    assert_eq!(status, StatusCode::OK, "{second}");
    assert_eq!(second["locationId"], "loc1");
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    assert_ne!(second["access_token"], first["access_token"]);
    assert_eq!(ghl.fake.refresh_count("loc1"), 1);
    let reused = ghl.refresh(old_refresh).await;
    assert_eq!(
        reused,
        (StatusCode::BAD_REQUEST, json!({ "error": "invalid_grant" }))
    );
    assert_eq!(ghl.fake.refresh_count("loc1"), 1);
    assert_eq!(ghl.problems_with("refresh token reused"), 1);
    assert_eq!(ghl.problems_with("already used code"), 1);

    let seen: Vec<SeenRequest> = ghl.fake.requests();
    let form = seen[0].form.as_ref().expect("the token request is form-encoded");
    assert_eq!(form["grant_type"], "authorization_code");
    assert_eq!(form["client_id"], FakeGhl::CLIENT_ID);
    assert_eq!(
        (seen[0].method.as_str(), seen[0].path.as_str()),
        ("POST", "/oauth/token")
    );
}

#[tokio::test]
async fn a_wrong_client_secret_is_an_invalid_client() {
    let ghl = Ghl::start().await;
    let code = ghl.fake.location_install_code("loc1");
    let url = format!("{}/oauth/token", ghl.fake.base_url());
    let mut form = vec![
        ("client_id", FakeGhl::CLIENT_ID),
        ("grant_type", "authorization_code"),
    ];
    let (status, _) = Ghl::reply(ghl.http.post(&url).form(&form).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "no secret");
    form.extend([("code", code.as_str()), ("client_secret", "nope")]);
    let reply = Ghl::reply(ghl.http.post(&url).form(&form).send().await.unwrap()).await;
    assert_eq!(
        reply,
        (StatusCode::UNAUTHORIZED, json!({ "error": "invalid_client" }))
    );
    assert_eq!(ghl.fake.problems().len(), 2, "{:?}", ghl.fake.problems());
}

#[tokio::test]
async fn an_expired_token_is_refused_until_refreshed() {
    let ghl = Ghl::start().await;
    ghl.fake.set_token_lifetime(0);
    let code = ghl.fake.location_install_code("loc1");
    let tokens = ghl.exchange_code(&code, "Location").await;
    assert_eq!(tokens["expires_in"], 0);
    let query = [("locationId", "loc1"), ("number", "+15551234567")];
    let token = tokens["access_token"].as_str().unwrap();
    let (status, body) = ghl
        .get("/contacts/search/duplicate", token, CONTACTS, &query)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body, json!({ "statusCode": 401, "message": "Invalid JWT" }));
    assert!(ghl.fake.problems().is_empty(), "expiry is normal life");

    ghl.fake.set_token_lifetime(3600);
    let (_, fresh) = ghl.refresh(tokens["refresh_token"].as_str().unwrap()).await;
    let token = fresh["access_token"].as_str().unwrap();
    let (status, body) = ghl
        .get("/contacts/search/duplicate", token, CONTACTS, &query)
        .await;
    assert_eq!((status, body), (StatusCode::OK, json!({ "contact": null })));
}

#[tokio::test]
async fn a_company_install_lists_its_locations_and_mints_their_tokens() {
    let ghl = Ghl::start().await;
    let code = ghl.fake.company_install_code("agency1", &["loc1", "loc2"]);
    let company = ghl.exchange_code(&code, "Company").await;
    assert_eq!(
        (&company["userType"], &company["companyId"]),
        (&json!("Company"), &json!("agency1"))
    );
    assert!(company.get("locationId").is_none());
    let token = company["access_token"].as_str().unwrap();
    let query = [
        ("companyId", "agency1"),
        ("appId", FakeGhl::APP_ID),
        ("isInstalled", "true"),
    ];
    let (status, body) = ghl
        .get("/oauth/installedLocations", token, "2021-07-28", &query)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (body["count"].clone(), body["locations"][1]["_id"].clone()),
        (json!(2), json!("loc2"))
    );

    let minted = ghl.location_token_of(token, "loc2").await;
    assert_eq!(minted.0, StatusCode::OK, "{}", minted.1);
    assert_eq!(
        (&minted.1["userType"], &minted.1["locationId"]),
        (&json!("Location"), &json!("loc2"))
    );
    assert!(minted.1["refresh_token"].is_string());
    let (status, _) = ghl.location_token_of(token, "loc3").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(ghl.fake.problems().len(), 1, "{:?}", ghl.fake.problems());
}

impl Ghl {
    async fn location_token_of(&self, company_token: &str, location_id: &str) -> (StatusCode, Value) {
        let form = [("companyId", "agency1"), ("locationId", location_id)];
        let request = self.request(Method::POST, "/oauth/locationToken", company_token, "2021-07-28");
        Self::reply(request.form(&form).send().await.unwrap()).await
    }
}

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

fn inbound(contact_id: &str, alt_id: &str) -> Value {
    json!({
        "type": "SMS", "contactId": contact_id, "conversationProviderId": "provider1",
        "message": "hola", "direction": "inbound", "altId": alt_id,
    })
}

#[tokio::test]
async fn inbound_messages_are_one_per_alt_id_and_need_a_provider() {
    let ghl = Ghl::start().await;
    let token = ghl.location_token("loc1").await;
    let contact = ghl.fake.add_contact("loc1", "+15551234567");
    let path = "/conversations/messages/inbound";
    let (status, first) = ghl
        .post(path, &token, CONVERSATIONS, inbound(&contact, "wa-1"))
        .await;
    assert_eq!(
        (status, &first["success"]),
        (StatusCode::OK, &json!(true)),
        "{first}"
    );
    assert_eq!(first["message"], "Message queued");
    let (_, again) = ghl
        .post(path, &token, CONVERSATIONS, inbound(&contact, "wa-1"))
        .await;
    assert_eq!(again, first);
    assert_eq!(ghl.fake.repeated_alt_ids(), ["wa-1"]);
    assert!(ghl.fake.problems().is_empty(), "{:?}", ghl.fake.problems());

    let mut orphan = inbound(&contact, "wa-2");
    orphan.as_object_mut().unwrap().remove("conversationProviderId");
    let request = ghl
        .request(Method::POST, path, &token, CONVERSATIONS)
        .json(&orphan);
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(response.text().await.unwrap(), "", "GHL's trap: 201 and nothing");
    assert_eq!(ghl.fake.inbound_messages(), [inbound(&contact, "wa-1")]);
    assert_eq!(ghl.problems_with("no conversationProviderId"), 1);
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
