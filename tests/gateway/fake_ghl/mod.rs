//! The fake GHL API itself (tests/gateway/common/fake_ghl), driven with
//! plain reqwest: OAuth, version and token checks, and GHL's traps. This
//! file holds the small client the tests use.

mod api;
mod oauth;

use crate::common::fake_ghl::FakeGhl;
use reqwest::{Method, StatusCode};
use serde_json::Value;

const OAUTH: &str = "2021-07-28";
const CONTACTS: &str = "2021-07-28";
const CONVERSATIONS: &str = "2021-04-15";
/// The scopes provider mode asks for (docs/oauth/Scopes.md).
const SCOPES: &str = "conversations/message.write conversations/message.readonly conversations.readonly \
                      conversations.write contacts.readonly contacts.write locations.readonly \
                      oauth.readonly oauth.write";

/// An install URL as docs/oauth/Authorization.md spells it, asking for `scopes`.
fn install_url(host: &str, scopes: &str) -> String {
    let params = [
        ("response_type", "code"),
        ("redirect_uri", "https://gw.example/ghl/oauth/callback"),
        ("client_id", FakeGhl::CLIENT_ID),
        ("scope", scopes),
    ];
    let base = format!("https://{host}/v2/oauth/chooselocation");
    reqwest::Url::parse_with_params(&base, &params)
        .unwrap()
        .to_string()
}

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
        self.exchange_scoped(code, user_type, SCOPES).await
    }

    /// Consents to `code` through an install URL asking for `scopes`, then
    /// exchanges it.
    async fn exchange_scoped(&self, code: &str, user_type: &str, scopes: &str) -> Value {
        self.fake
            .consent(&install_url("marketplace.gohighlevel.com", scopes), code);
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

    /// POST /oauth/locationToken: a location's token minted from a Company token.
    async fn location_token_of(&self, company_token: &str, ids: [&str; 2]) -> (StatusCode, Value) {
        let form = [("companyId", ids[0]), ("locationId", ids[1])];
        let request = self.request(Method::POST, "/oauth/locationToken", company_token, OAUTH);
        Self::reply(request.form(&form).send().await.unwrap()).await
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
