//! Tickets for the event stream. A browser's EventSource cannot send
//! headers, so the stream's credential rides in its URL, and URLs land in
//! proxy, tunnel and CDN logs. What rides there is therefore never the API
//! key or a panel link but a ticket: asked for with the caller's headers
//! (`POST /api/events/ticket`), good for one stream opened within
//! `LIFETIME_S`, and carrying the caller's access (every instance for the
//! key; a panel link's instances and expiry for a link). Tickets are
//! signed like panel links, so any process sharing the API key takes them;
//! each process takes a ticket once.

use crate::api::auth::Access;
use crate::api::panel::token::{Claims, PanelTokens};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Marks (and versions) a ticket, so a panel link is never taken for one.
const PREFIX: &str = "wge1.";
/// How long a ticket may wait before its stream is opened.
pub const LIFETIME_S: i64 = 30;

#[derive(Serialize, Deserialize)]
struct Ticket {
    /// When the ticket can no longer open a stream, seconds since the epoch.
    #[serde(rename = "exp")]
    expires_at: i64,
    /// Random: tells one ticket from another, so each is taken once.
    #[serde(rename = "n")]
    nonce: String,
    /// The panel link the ticket was asked with; absent: the API key.
    #[serde(rename = "lnk", default, skip_serializing_if = "Option::is_none")]
    link: Option<Claims>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TicketError {
    #[error("the event ticket is not valid; ask for a new one")]
    Invalid,
    #[error("the event ticket has expired; ask for a new one")]
    Expired,
    #[error("the event ticket was used already; ask for a new one")]
    Used,
}

/// Issues tickets and takes each once.
pub struct Tickets {
    tokens: Arc<PanelTokens>,
    /// Nonces taken, with their tickets' expiry; pruned as they expire.
    taken: Mutex<HashMap<String, i64>>,
}

impl Tickets {
    pub fn new(tokens: Arc<PanelTokens>) -> Self {
        Self {
            tokens,
            taken: Mutex::default(),
        }
    }

    /// A ticket for `access`, and when it expires.
    pub fn issue(&self, access: &Access, now_s: i64) -> (String, i64) {
        let expires_at = now_s + LIFETIME_S;
        let link = match access {
            Access::Key => None,
            Access::Panel(claims) => Some(claims.clone()),
        };
        let ticket = Ticket {
            expires_at,
            nonce: uuid::Uuid::new_v4().simple().to_string(),
            link,
        };
        (self.tokens.seal(PREFIX, &ticket), expires_at)
    }

    /// The access a ticket carries, taking it: a second use is refused.
    pub fn redeem(&self, offered: &str, now_s: i64) -> Result<Access, TicketError> {
        let ticket: Ticket = self
            .tokens
            .open(PREFIX, offered.trim())
            .map_err(|_| TicketError::Invalid)?;
        let link_expired = ticket.link.as_ref().is_some_and(|link| link.expires_at <= now_s);
        if ticket.expires_at <= now_s || link_expired {
            return Err(TicketError::Expired);
        }
        let mut taken = self.taken.lock().expect("the ticket list is never poisoned");
        taken.retain(|_, expires_at| *expires_at > now_s);
        if taken.insert(ticket.nonce, ticket.expires_at).is_some() {
            return Err(TicketError::Used);
        }
        Ok(ticket.link.map_or(Access::Key, Access::Panel))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::InstanceId;

    fn tickets() -> Tickets {
        Tickets::new(Arc::new(PanelTokens::from_api_key("the-api-key-1")))
    }

    #[test]
    fn a_ticket_opens_one_stream_with_the_access_it_was_asked_with() {
        let tickets = tickets();
        let (ticket, expires_at) = tickets.issue(&Access::Key, 1_000);
        assert_eq!(expires_at, 1_000 + LIFETIME_S);
        assert!(matches!(tickets.redeem(&ticket, 1_001), Ok(Access::Key)));
        assert_eq!(tickets.redeem(&ticket, 1_002).unwrap_err(), TicketError::Used);

        let link = Claims {
            expires_at: 5_000,
            instances: Some(vec![InstanceId::parse("wa-01").unwrap()]),
        };
        let (scoped, _) = tickets.issue(&Access::Panel(link.clone()), 1_000);
        match tickets.redeem(&scoped, 1_001) {
            Ok(Access::Panel(claims)) => assert_eq!(claims, link),
            other => panic!("a link's ticket keeps the link's scope: {other:?}"),
        }
    }

    #[test]
    fn late_forged_and_foreign_tickets_are_refused() {
        let tickets = tickets();
        let (ticket, expires_at) = tickets.issue(&Access::Key, 1_000);
        assert_eq!(
            tickets.redeem(&ticket, expires_at).unwrap_err(),
            TicketError::Expired
        );
        let other = Tickets::new(Arc::new(PanelTokens::from_api_key("another-key")));
        assert_eq!(other.redeem(&ticket, 1_001).unwrap_err(), TicketError::Invalid);
        let link = PanelTokens::from_api_key("the-api-key-1").sign(&Claims {
            expires_at: 5_000,
            instances: None,
        });
        assert_eq!(
            tickets.redeem(&link, 1_001).unwrap_err(),
            TicketError::Invalid,
            "a panel link is no ticket"
        );
    }

    #[test]
    fn a_ticket_of_an_expired_link_opens_nothing() {
        let tickets = tickets();
        let link = Claims {
            expires_at: 1_010,
            instances: None,
        };
        let (ticket, _) = tickets.issue(&Access::Panel(link), 1_000);
        assert_eq!(tickets.redeem(&ticket, 1_010).unwrap_err(), TicketError::Expired);
    }

    #[test]
    fn taken_tickets_are_forgotten_once_expired() {
        let tickets = tickets();
        for now in 0..100 {
            let (ticket, _) = tickets.issue(&Access::Key, now);
            tickets.redeem(&ticket, now).unwrap();
        }
        assert!(tickets.taken.lock().unwrap().len() <= LIFETIME_S as usize + 1);
    }
}
