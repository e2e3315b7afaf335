//! A fake GoHighLevel API on 127.0.0.1:0 for integration tests, built from
//! GHL's own documentation (GoHighLevel/highlevel-api-docs; each rule names
//! its file): OAuth installs through the documented install URL, tokens
//! holding exactly the scopes it asked for, agency installs and location
//! tokens, contacts, conversations, uploads, inbound messages and status
//! updates, Custom Menu Links; and the app's INSTALL/UNINSTALL webhooks in their documented
//! shapes. It records every request and every check that failed
//! (`problems`).

mod contacts;
mod conversations;
mod http;
mod menus;
mod messages;
mod oauth;
mod state;

pub use http::SeenRequest;
pub use state::Upload;

use crate::common::Gateway;
use bytes::Bytes;
use http::Reply;
use serde_json::{json, Value};
use state::{new_id, Grant, State, UserType};
use std::sync::{Arc, Mutex, MutexGuard};
use warp::http::{HeaderMap, Method};
use warp::path::FullPath;
use warp::Filter;

/// The company behind a Location install.
const LOCATION_INSTALL_COMPANY: &str = "fake-company";

#[derive(Clone)]
pub struct FakeGhl {
    state: Arc<Mutex<State>>,
}

impl FakeGhl {
    /// The marketplace app's id; client ids are "<appId>-<suffix>".
    pub const APP_ID: &'static str = "6578278e879ad2646715ba9c";
    pub const CLIENT_ID: &'static str = "6578278e879ad2646715ba9c-abc123def";
    pub const CLIENT_SECRET: &'static str = "fake-ghl-client-secret";
    /// GHL's access tokens last a day (less a second).
    pub const TOKEN_LIFETIME_SECS: u64 = 86399;

    pub async fn start() -> Self {
        let state = Arc::new(Mutex::new(State::new(Self::TOKEN_LIFETIME_SECS)));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        state.lock().unwrap().base_url = format!("http://{addr}");
        tokio::spawn(warp::serve(Self::routes(state.clone())).incoming(listener).run());
        Self { state }
    }

    fn routes(
        state: Arc<Mutex<State>>,
    ) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
        let raw_query = warp::query::raw().or(warp::any().map(String::new)).unify();
        warp::method()
            .and(warp::path::full())
            .and(raw_query)
            .and(warp::header::headers_cloned())
            .and(warp::body::bytes())
            .map(
                move |method: Method, path: FullPath, query: String, headers: HeaderMap, body: Bytes| {
                    let req = SeenRequest::new(&method, path.as_str(), &query, &headers, &body);
                    handle(&mut state.lock().unwrap(), req).into_response()
                },
            )
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap()
    }

    /// "http://127.0.0.1:PORT": where GHL's API base URL should point.
    pub fn base_url(&self) -> String {
        self.state().base_url.clone()
    }

    /// A one-time code for a Location install, good once the admin
    /// consents through an install URL ([`Self::consent`]).
    pub fn location_install_code(&self, location_id: &str) -> String {
        self.new_code(Grant {
            user_type: UserType::Location,
            company_id: LOCATION_INSTALL_COMPANY.to_owned(),
            location_id: Some(location_id.to_owned()),
            scopes: Vec::new(),
        })
    }

    /// A one-time code for a Company (agency) install covering `locations`.
    pub fn company_install_code(&self, company_id: &str, locations: &[&str]) -> String {
        let installed = locations.iter().map(|id| id.to_string()).collect();
        self.state()
            .company_locations
            .insert(company_id.to_owned(), installed);
        self.new_code(Grant {
            user_type: UserType::Company,
            company_id: company_id.to_owned(),
            location_id: None,
            scopes: Vec::new(),
        })
    }

    /// The app reaches one more of the agency's locations (installed to
    /// future locations); returns the INSTALL webhook GHL sends for it,
    /// which then has no `companyId` and no `userId` (docs/webhook
    /// events/AppInstall.md).
    pub fn install_in_company(&self, company_id: &str, location_id: &str) -> Value {
        self.state()
            .company_locations
            .entry(company_id.to_owned())
            .or_default()
            .push(location_id.to_owned());
        app_webhook(json!({ "type": "INSTALL", "appId": Self::APP_ID, "locationId": location_id }))
    }

    /// The INSTALL webhook of a Location-level install (docs/webhook
    /// events/AppInstall.md, non-whitelabelled example).
    pub fn location_install_event(&self, company_id: &str, location_id: &str) -> Value {
        app_webhook(json!({
            "type": "INSTALL", "appId": Self::APP_ID, "locationId": location_id,
            "companyId": company_id, "userId": "fake-user", "planId": "fake-plan",
            "trial": {}, "isWhitelabelCompany": false, "whitelabelDetails": {},
            "companyName": "Fake Agency",
        }))
    }

    /// The UNINSTALL webhook of a location (docs/webhook events/AppUninstall.md).
    pub fn location_uninstall_event(&self, location_id: &str) -> Value {
        app_webhook(json!({ "type": "UNINSTALL", "appId": Self::APP_ID, "locationId": location_id }))
    }

    /// The UNINSTALL webhook of an agency (docs/webhook events/AppUninstall.md):
    /// no `locationId`.
    pub fn agency_uninstall_event(&self, company_id: &str) -> Value {
        app_webhook(json!({ "type": "UNINSTALL", "appId": Self::APP_ID, "companyId": company_id }))
    }

    /// Sends an app webhook to `url` as GHL does: JSON, signed with
    /// `X-GHL-Signature` (Ed25519 over the raw body) by `signing`.
    pub async fn send_webhook(
        &self,
        url: &str,
        signing: &ed25519_dalek::SigningKey,
        event: &Value,
    ) -> (reqwest::StatusCode, Value) {
        use base64::Engine;
        use ed25519_dalek::Signer;
        let text = event.to_string();
        let signature = signing.sign(text.as_bytes()).to_bytes();
        let response = reqwest::Client::new()
            .post(url)
            .header("content-type", "application/json")
            .header(
                "x-ghl-signature",
                base64::engine::general_purpose::STANDARD.encode(signature),
            )
            .body(text)
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or_default())
    }

    /// The admin opens `install_url` and consents to `code`'s install: the
    /// URL must be GHL's authorize URL for this app (docs/oauth/Authorization.md),
    /// and the code's tokens get exactly the scopes it asks for. Returns the
    /// query of GHL's redirect back (`code=..&state=..`).
    pub fn consent(&self, install_url: &str, code: &str) -> String {
        let consented = self.try_consent(install_url, code);
        consented.unwrap_or_else(|problem| panic!("the fake GHL refused the install URL: {problem}"))
    }

    /// [`Self::consent`], or why GHL would not show its consent page.
    pub fn try_consent(&self, install_url: &str, code: &str) -> Result<String, String> {
        oauth::consent(&mut self.state(), install_url, code)
    }

    /// Installs through the gateway as an admin does: opens a fresh
    /// install URL from GET /api/ghl/app, consents to `code`, and follows
    /// GHL's redirect back to the gateway.
    pub async fn install(&self, gw: &Gateway, code: &str) -> (reqwest::StatusCode, String) {
        let query = self.consent(&gw.install_url().await, code);
        gw.ghl_callback(&query).await
    }

    fn new_code(&self, grant: Grant) -> String {
        let code = new_id("fake-code-");
        self.state().unconsented_codes.insert(code.clone(), grant);
        code
    }

    /// GHL goes down (every call answered 503) or comes back.
    pub fn set_down(&self, down: bool) {
        self.state().down = down;
    }

    /// The `expires_in` of tokens issued from now on (0: dead on arrival).
    /// Expiry follows tokio's clock, so a paused test clock can be advanced past it.
    pub fn set_token_lifetime(&self, secs: u64) {
        self.state().token_lifetime = secs;
    }

    /// The next `times` status updates of the message get a 403, as GHL
    /// answers for a few seconds right after a send.
    pub fn forbid_next_status_updates(&self, message_id: &str, times: usize) {
        self.state()
            .forbidden_updates
            .insert(message_id.to_owned(), times);
    }

    /// A contact that already exists in the location; returns its id.
    pub fn add_contact(&self, location_id: &str, phone: &str) -> String {
        self.state().add_contact(location_id, phone, None)
    }

    /// A contact as GHL shows it: id, phone, locationId, name, tags.
    pub fn contact(&self, contact_id: &str) -> Option<Value> {
        let state = self.state();
        let found = state.contacts.iter().find(|c| c.id == contact_id);
        found.map(contacts::contact_json)
    }

    /// A message a GHL user sent to the contact (what the provider's
    /// outbound webhook carries); returns its id, for status updates.
    pub fn add_outbound_message(&self, location_id: &str, contact_id: &str) -> String {
        let mut state = self.state();
        let conversation_id = match state.conversation_of(contact_id) {
            Some(conversation) => conversation.id.clone(),
            None => state.add_conversation(location_id, contact_id),
        };
        state.add_message(location_id, &conversation_id)
    }

    /// The contact's conversation, made as GHL makes one (once per contact).
    pub fn add_conversation(&self, location_id: &str, contact_id: &str) -> String {
        self.state().add_conversation(location_id, contact_id)
    }

    /// The contact's conversation, if it has one.
    pub fn conversation_of(&self, contact_id: &str) -> Option<String> {
        let state = self.state();
        state.conversation_of(contact_id).map(|c| c.id.clone())
    }

    /// Every request received, in order.
    pub fn requests(&self) -> Vec<SeenRequest> {
        self.state().requests.clone()
    }

    /// The bodies of accepted POST /conversations/messages/inbound calls.
    pub fn inbound_messages(&self) -> Vec<Value> {
        self.state().inbound.clone()
    }

    /// The altIds sent again (answered with the first message, not stored twice).
    pub fn repeated_alt_ids(&self) -> Vec<String> {
        self.state().repeated_alt_ids.clone()
    }

    /// The accepted statuses of a message, in order.
    pub fn statuses(&self, message_id: &str) -> Vec<String> {
        let state = self.state();
        let message = state.messages.get(message_id);
        message
            .map(|message| message.statuses.clone())
            .unwrap_or_default()
    }

    pub fn uploads(&self) -> Vec<Upload> {
        self.state().uploads.clone()
    }

    /// Location tokens minted from an agency token for `location_id`.
    pub fn location_tokens_made(&self, location_id: &str) -> usize {
        let state = self.state();
        state.location_tokens_made.get(location_id).copied().unwrap_or(0)
    }

    /// Successful refreshes of the location's tokens (a company's, by its id).
    pub fn refresh_count(&self, location_id: &str) -> usize {
        self.state().refreshes.get(location_id).copied().unwrap_or(0)
    }

    /// The bodies of `company_id`'s Custom Menu Links.
    pub fn menus(&self, company_id: &str) -> Vec<Value> {
        let state = self.state();
        let of_company = state.menus.iter().filter(|m| m.company_id == company_id);
        of_company.map(|m| m.body.clone()).collect()
    }

    /// Every check that failed, in words; a well-behaved client leaves it empty.
    pub fn problems(&self) -> Vec<String> {
        self.state().problems.clone()
    }
}

/// An app webhook body: GHL adds the time it was sent and an id of its
/// own (docs/oauth/WebhookAuthentication.md).
fn app_webhook(mut event: Value) -> Value {
    event["timestamp"] = json!(chrono::Utc::now().to_rfc3339());
    event["webhookId"] = json!(new_id("wh-"));
    event
}

fn handle(state: &mut State, req: SeenRequest) -> Reply {
    state.requests.push(req.clone());
    if state.down {
        return Reply::error(503, "Service Unavailable");
    }
    let path = req.path.trim_matches('/');
    let segments: Vec<&str> = path.split('/').collect();
    let outcome = match (req.method.as_str(), segments.as_slice()) {
        ("POST", ["oauth", "token"]) => oauth::token(state, &req),
        ("GET", ["oauth", "installedLocations"]) => oauth::installed_locations(state, &req),
        ("POST", ["oauth", "locationToken"]) => oauth::location_token(state, &req),
        ("GET", ["contacts", "search", "duplicate"]) => contacts::search_duplicate(state, &req),
        ("POST", ["contacts", "upsert"]) => contacts::upsert(state, &req),
        ("POST", ["contacts"]) => contacts::create(state, &req),
        ("GET", ["conversations", "search"]) => conversations::search(state, &req),
        ("POST", ["conversations"]) => conversations::create(state, &req),
        ("POST", ["conversations", "messages", "upload"]) => conversations::upload(state, &req),
        ("POST", ["conversations", "messages", "inbound"]) => messages::inbound(state, &req),
        ("PUT", ["conversations", "messages", id, "status"]) => messages::status(state, &req, id),
        ("GET", ["files", _, _]) => conversations::file(state, &req),
        ("GET", ["custom-menus"]) => menus::list(state, &req),
        ("POST", ["custom-menus"]) => menus::create(state, &req),
        ("DELETE", ["custom-menus", id]) => menus::delete(state, &req, id),
        _ => Err(state.reject(
            format!("{}: no such endpoint", req.line()),
            Reply::error(404, "Not Found"),
        )),
    };
    outcome.unwrap_or_else(|reply| reply)
}
