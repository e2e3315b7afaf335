//! What the GHL Conversation Provider keeps: the marketplace app's settings,
//! OAuth tokens per location (and per agency for company installs), and
//! which GHL message each outbound WhatsApp message answers, with the last
//! status reported for it, and single-use marks that expire (OAuth `state`s
//! the gateway issued, app webhook ids already obeyed), shared by every
//! process on the store. Secrets arrive here already sealed.

use super::StoreResult;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// Whose token it is: one GHL location, or an agency (company install).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TokenOwnerKind {
    Location,
    Company,
}

/// One OAuth grant, as stored; both tokens sealed by the secret box.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredToken {
    /// The location id, or the company id for an agency token.
    pub owner_id: String,
    pub kind: TokenOwnerKind,
    pub company_id: Option<String>,
    pub access_token: String,
    /// Absent for a location token made from an agency's without one.
    pub refresh_token: Option<String>,
    pub expires_at_ms: i64,
    pub scope: String,
    /// Grows by one with every replacement; replacements compare it.
    pub version: u64,
    pub updated_at_ms: i64,
}

/// The GHL message an outbound WhatsApp message was sent for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GhlLink {
    pub location_id: String,
    pub ghl_message_id: String,
    /// 0 for the text (or the first part); attachments follow.
    pub part: u32,
}

#[async_trait]
pub trait GhlState: Send + Sync {
    /// The app's settings as one sealed document, if saved.
    async fn ghl_app(&self) -> StoreResult<Option<String>>;
    async fn set_ghl_app(&self, sealed: &str) -> StoreResult<()>;
    async fn token(&self, owner_id: &str) -> StoreResult<Option<StoredToken>>;
    async fn tokens(&self) -> StoreResult<Vec<StoredToken>>;
    /// Stores `token` only while the stored one still has `expected_version`
    /// (`None`: whatever is stored, as a fresh install does); the stored
    /// copy's version becomes one more than the replaced one's. Returns
    /// false when another writer got there first.
    async fn replace_token(&self, token: &StoredToken, expected_version: Option<u64>) -> StoreResult<bool>;
    /// Returns false when there was no such token.
    async fn remove_token(&self, owner_id: &str) -> StoreResult<bool>;
    async fn link_message(&self, message_id: &str, link: &GhlLink) -> StoreResult<()>;
    async fn message_link(&self, message_id: &str) -> StoreResult<Option<GhlLink>>;
    /// The rank of the last status reported for a GHL message.
    async fn reported_rank(&self, ghl_message_id: &str) -> StoreResult<Option<u8>>;
    /// Notes that a status of `rank` was reported for a GHL message, when it
    /// is beyond the last one noted; false when it would not move forward.
    async fn advance_reported(&self, ghl_message_id: &str, rank: u8) -> StoreResult<bool>;
    /// Notes `mark` for `ttl_ms`; false (and nothing changed) when it is
    /// noted already and not yet expired.
    async fn note_once(&self, mark: &str, ttl_ms: i64) -> StoreResult<bool>;
    /// Removes `mark`; true when it was noted and not yet expired, so each
    /// noted mark is taken at most once.
    async fn take_once(&self, mark: &str) -> StoreResult<bool>;
}

/// Whether a stored token with `stored_version` may be replaced by a
/// writer that read `expected` (shared by the backends).
pub fn version_matches(stored_version: Option<u64>, expected: Option<u64>) -> bool {
    match expected {
        None => true,
        Some(expected) => stored_version == Some(expected),
    }
}
