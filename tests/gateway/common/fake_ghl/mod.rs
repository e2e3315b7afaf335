//! A fake GoHighLevel API on 127.0.0.1:0 for integration tests: OAuth
//! installs and tokens, contacts, conversations, uploads, inbound messages
//! and status updates, answering as GHL does (traps included), and
//! recording every request and every check that failed (`problems`).

mod contacts;
mod conversations;
mod http;
mod messages;
mod oauth;
mod state;

pub use http::SeenRequest;
pub use state::Upload;

use bytes::Bytes;
use http::Reply;
use serde_json::Value;
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
        let incoming = tokio_stream::wrappers::TcpListenerStream::new(listener);
        tokio::spawn(warp::serve(Self::routes(state.clone())).run_incoming(incoming));
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

    /// A one-time code, as GHL's redirect after a Location install.
    pub fn location_install_code(&self, location_id: &str) -> String {
        self.new_code(Grant {
            user_type: UserType::Location,
            company_id: LOCATION_INSTALL_COMPANY.to_owned(),
            location_id: Some(location_id.to_owned()),
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
        })
    }

    /// The agency installs the app on one more of its locations.
    pub fn install_in_company(&self, company_id: &str, location_id: &str) {
        self.state()
            .company_locations
            .entry(company_id.to_owned())
            .or_default()
            .push(location_id.to_owned());
    }

    fn new_code(&self, grant: Grant) -> String {
        let code = new_id("fake-code-");
        self.state().codes.insert(code.clone(), grant);
        code
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

    /// Successful refreshes of the location's tokens (a company's, by its id).
    pub fn refresh_count(&self, location_id: &str) -> usize {
        self.state().refreshes.get(location_id).copied().unwrap_or(0)
    }

    /// Every check that failed, in words; a well-behaved client leaves it empty.
    pub fn problems(&self) -> Vec<String> {
        self.state().problems.clone()
    }
}

fn handle(state: &mut State, req: SeenRequest) -> Reply {
    state.requests.push(req.clone());
    let path = req.path.trim_matches('/');
    let segments: Vec<&str> = path.split('/').collect();
    let outcome = match (req.method.as_str(), segments.as_slice()) {
        ("POST", ["oauth", "token"]) => oauth::token(state, &req),
        ("GET", ["oauth", "installedLocations"]) => oauth::installed_locations(state, &req),
        ("POST", ["oauth", "locationToken"]) => oauth::location_token(state, &req),
        ("GET", ["contacts", "search", "duplicate"]) => contacts::search_duplicate(state, &req),
        ("POST", ["contacts", "upsert"]) => contacts::upsert(state, &req),
        ("GET", ["conversations", "search"]) => conversations::search(state, &req),
        ("POST", ["conversations"]) => conversations::create(state, &req),
        ("POST", ["conversations", "messages", "upload"]) => conversations::upload(state, &req),
        ("POST", ["conversations", "messages", "inbound"]) => messages::inbound(state, &req),
        ("PUT", ["conversations", "messages", id, "status"]) => messages::status(state, &req, id),
        ("GET", ["files", _, _]) => conversations::file(state, &req),
        _ => Err(state.reject(
            format!("{}: no such endpoint", req.line()),
            Reply::error(404, "Not Found"),
        )),
    };
    outcome.unwrap_or_else(|reply| reply)
}
