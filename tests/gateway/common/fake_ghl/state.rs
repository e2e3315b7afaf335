//! What the fake GHL knows (installs, tokens, contacts, conversations,
//! messages, uploads) and the checks every endpoint shares: Version
//! header, bearer token, location access, required fields, rate limit.

use super::http::{Reply, SeenRequest};
use std::collections::{HashMap, HashSet};
use std::time::Duration;
use tokio::time::Instant;

/// The versions GHL's API groups expect in the `Version` header.
pub(super) const OAUTH_VERSION: &str = "2021-07-28";
pub(super) const CONTACTS_VERSION: &str = "2021-07-28";
pub(super) const CONVERSATIONS_VERSION: &str = "2021-04-15";

const RATE_WINDOW: Duration = Duration::from_secs(10);
const RATE_LIMIT: usize = 100;

#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum UserType {
    Location,
    Company,
}

impl UserType {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Self::Location => "Location",
            Self::Company => "Company",
        }
    }
}

/// Who a code or token speaks for.
#[derive(Clone, Debug)]
pub(super) struct Grant {
    pub user_type: UserType,
    pub company_id: String,
    pub location_id: Option<String>,
    /// Exactly the scopes the install URL asked for (docs/oauth/Scopes.md:
    /// a token reaches only the endpoints of its scopes).
    pub scopes: Vec<String>,
}

impl Grant {
    /// The location, or the company for a Company grant.
    pub(super) fn subject(&self) -> &str {
        self.location_id.as_deref().unwrap_or(&self.company_id)
    }
}

pub(super) struct Contact {
    pub id: String,
    pub location_id: String,
    /// Empty for a contact made without one (Create Contact needs none).
    pub phone: String,
    pub name: Option<String>,
    pub tags: Vec<String>,
}

pub(super) struct Conversation {
    pub id: String,
    pub location_id: String,
    pub contact_id: String,
}

pub(super) struct Message {
    pub location_id: String,
    pub conversation_id: String,
    pub statuses: Vec<String>,
}

/// A file posted to /conversations/messages/upload.
#[derive(Clone, Debug)]
pub struct Upload {
    pub filename: String,
    pub content_type: Option<String>,
    pub bytes: Vec<u8>,
    pub location_id: String,
    pub contact_id: String,
    pub conversation_id: String,
    /// Where the fake serves it, as returned in `uploadedFiles`.
    pub url: String,
}

#[derive(Default)]
pub(super) struct State {
    pub base_url: String,
    pub token_lifetime: u64,
    /// Codes the admin has not yet consented to through an install URL.
    pub unconsented_codes: HashMap<String, Grant>,
    pub codes: HashMap<String, Grant>,
    pub access_tokens: HashMap<String, (Grant, Instant)>,
    pub refresh_tokens: HashMap<String, Grant>,
    pub spent_refresh_tokens: HashSet<String>,
    pub refreshes: HashMap<String, usize>,
    /// Location tokens minted from agency tokens, per location.
    pub location_tokens_made: HashMap<String, usize>,
    pub company_locations: HashMap<String, Vec<String>>,
    pub contacts: Vec<Contact>,
    pub conversations: Vec<Conversation>,
    pub messages: HashMap<String, Message>,
    pub alt_ids: HashMap<(String, String), (String, String)>,
    pub repeated_alt_ids: Vec<String>,
    pub inbound: Vec<serde_json::Value>,
    pub forbidden_updates: HashMap<String, usize>,
    pub uploads: Vec<Upload>,
    pub menus: Vec<super::menus::Menu>,
    pub requests: Vec<SeenRequest>,
    /// GHL is down: every call gets a 503.
    pub down: bool,
    pub problems: Vec<String>,
    rate: HashMap<String, (Instant, usize)>,
}

pub(super) fn new_id(prefix: &str) -> String {
    format!("{prefix}{}", uuid::Uuid::new_v4().simple())
}

impl State {
    pub(super) fn new(token_lifetime: u64) -> Self {
        Self {
            token_lifetime,
            ..Self::default()
        }
    }

    /// Records a failed check and passes its reply on.
    pub(super) fn reject(&mut self, problem: String, reply: Reply) -> Reply {
        self.problems.push(problem);
        reply
    }

    pub(super) fn check_version(&mut self, req: &SeenRequest, wanted: &str) -> Result<(), Reply> {
        match req.header("version") {
            Some(version) if version == wanted => Ok(()),
            got => Err(self.reject(
                format!("{}: Version header {got:?}, wanted {wanted}", req.line()),
                Reply::error(400, "Version header was not found or is invalid"),
            )),
        }
    }

    /// The grant behind the request's bearer token, if issued and not expired.
    pub(super) fn bearer(&mut self, req: &SeenRequest) -> Result<Grant, Reply> {
        let token = req
            .header("authorization")
            .and_then(|value| value.strip_prefix("Bearer "));
        match token.and_then(|token| self.access_tokens.get(token)) {
            Some((grant, expires)) if Instant::now() < *expires => Ok(grant.clone()),
            // An expired token is normal life: the client should refresh.
            Some(_) => Err(Reply::invalid_jwt()),
            None => Err(self.reject(
                format!("{}: no bearer token the fake issued", req.line()),
                Reply::invalid_jwt(),
            )),
        }
    }

    /// The bearer's grant, if it holds `scope`: the scope each endpoint
    /// needs is the one docs/oauth/Scopes.md (and the operation's
    /// `security` in apps/*.json) names; without it GHL answers 401.
    pub(super) fn scoped(&mut self, req: &SeenRequest, scope: &str) -> Result<Grant, Reply> {
        let grant = self.bearer(req)?;
        if grant.scopes.iter().any(|granted| granted == scope) {
            return Ok(grant);
        }
        Err(self.reject(
            format!(
                "{}: the token lacks scope {scope} (has {:?})",
                req.line(),
                grant.scopes
            ),
            Reply::error(401, "The token is not authorized for this scope."),
        ))
    }

    /// A Company token for `company_id`.
    pub(super) fn company_bearer(&mut self, req: &SeenRequest, company_id: &str) -> Result<Grant, Reply> {
        let grant = self.bearer(req)?;
        if grant.user_type == UserType::Company && grant.company_id == company_id {
            return Ok(grant);
        }
        Err(self.reject(
            format!(
                "{}: needs a Company token of {company_id}, got {grant:?}",
                req.line()
            ),
            Reply::invalid_jwt(),
        ))
    }

    /// A Location token for `location_id`; counts the call against its rate limit.
    pub(super) fn location_bearer(&mut self, req: &SeenRequest, location_id: &str) -> Result<(), Reply> {
        let grant = self.bearer(req)?;
        if grant.location_id.as_deref() != Some(location_id) {
            return Err(self.reject(
                format!(
                    "{}: needs a token of location {location_id}, got {grant:?}",
                    req.line()
                ),
                Reply::invalid_jwt(),
            ));
        }
        self.count_call(location_id);
        Ok(())
    }

    fn count_call(&mut self, location_id: &str) {
        let now = Instant::now();
        let (start, count) = self.rate.entry(location_id.to_owned()).or_insert((now, 0));
        if now.duration_since(*start) >= RATE_WINDOW {
            (*start, *count) = (now, 0);
        }
        *count += 1;
        if *count == RATE_LIMIT + 1 {
            self.problems.push(format!(
                "location {location_id}: over {RATE_LIMIT} requests in 10 s"
            ));
        }
    }

    /// The named fields, non-empty, or a 422 naming the missing ones.
    pub(super) fn require<const N: usize>(
        &mut self,
        req: &SeenRequest,
        fields: &HashMap<String, String>,
        names: [&str; N],
    ) -> Result<[String; N], Reply> {
        let value = |name: &str| fields.get(name).filter(|value| !value.is_empty()).cloned();
        let missing: Vec<String> = names
            .iter()
            .filter(|name| value(name).is_none())
            .map(|name| format!("{name} should not be empty"))
            .collect();
        if missing.is_empty() {
            return Ok(names.map(|name| value(name).unwrap_or_default()));
        }
        Err(self.reject(
            format!("{}: {}", req.line(), missing.join(", ")),
            Reply::error(422, missing),
        ))
    }

    pub(super) fn contact(&self, contact_id: &str) -> Option<&Contact> {
        self.contacts.iter().find(|contact| contact.id == contact_id)
    }

    /// The contact, if it exists in the location, else a 400.
    pub(super) fn contact_in(
        &mut self,
        req: &SeenRequest,
        location_id: &str,
        contact_id: &str,
    ) -> Result<(), Reply> {
        match self.contact(contact_id) {
            Some(contact) if contact.location_id == location_id => Ok(()),
            _ => Err(self.reject(
                format!(
                    "{}: no contact {contact_id} in location {location_id}",
                    req.line()
                ),
                Reply::error(400, "Contact not found"),
            )),
        }
    }

    pub(super) fn conversation_of(&self, contact_id: &str) -> Option<&Conversation> {
        self.conversations
            .iter()
            .find(|conversation| conversation.contact_id == contact_id)
    }

    pub(super) fn add_contact(&mut self, location_id: &str, phone: &str, name: Option<String>) -> String {
        let id = new_id("contact-");
        self.contacts.push(Contact {
            id: id.clone(),
            location_id: location_id.to_owned(),
            phone: phone.to_owned(),
            name,
            tags: Vec::new(),
        });
        id
    }

    pub(super) fn add_conversation(&mut self, location_id: &str, contact_id: &str) -> String {
        let id = new_id("conv-");
        self.conversations.push(Conversation {
            id: id.clone(),
            location_id: location_id.to_owned(),
            contact_id: contact_id.to_owned(),
        });
        id
    }

    pub(super) fn add_message(&mut self, location_id: &str, conversation_id: &str) -> String {
        let id = new_id("msg-");
        let message = Message {
            location_id: location_id.to_owned(),
            conversation_id: conversation_id.to_owned(),
            statuses: Vec::new(),
        };
        self.messages.insert(id.clone(), message);
        id
    }
}

/// GHL wants E.164: "+" and 8 to 15 digits. A "+" sent unencoded in a
/// query arrives as a space, which this catches.
pub(super) fn is_e164(phone: &str) -> bool {
    phone
        .strip_prefix('+')
        .is_some_and(|digits| (8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()))
}
