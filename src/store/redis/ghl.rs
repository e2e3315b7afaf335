//! GHL provider state in Redis: the app's sealed settings, tokens in one
//! hash with their versions beside them (replaced by a script that checks
//! the version), message links and reported statuses that expire once no
//! receipt can still arrive, and single-use marks (SET NX with their
//! expiry, taken by DEL).

use super::{scripts, unavailable, RedisStore};
use crate::store::{GhlLink, GhlState, StoreError, StoreResult, StoredToken};
use crate::support::clock::now_ms;
use async_trait::async_trait;
use redis::AsyncCommands;

/// How long a message link and its reported status are kept, in seconds.
const LINK_TTL_SECS: u64 = 30 * 24 * 3600;

fn decode<T: serde::de::DeserializeOwned>(json: &str) -> StoreResult<T> {
    serde_json::from_str(json).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// A stored token with the version kept beside it.
fn with_version(json: &str, version: Option<u64>) -> StoreResult<StoredToken> {
    let mut token: StoredToken = decode(json)?;
    token.version = version.unwrap_or(token.version);
    Ok(token)
}

#[async_trait]
impl GhlState for RedisStore {
    async fn ghl_app(&self) -> StoreResult<Option<String>> {
        let mut conn = self.conn().await?;
        conn.get(self.keys.ghl_app()).await.map_err(unavailable)
    }

    async fn set_ghl_app(&self, sealed: &str) -> StoreResult<()> {
        let mut conn = self.conn().await?;
        conn.set(self.keys.ghl_app(), sealed).await.map_err(unavailable)
    }

    async fn token(&self, owner_id: &str) -> StoreResult<Option<StoredToken>> {
        let mut conn = self.conn().await?;
        let (json, version): (Option<String>, Option<u64>) = redis::pipe()
            .hget(self.keys.ghl_tokens(), owner_id)
            .hget(self.keys.ghl_token_versions(), owner_id)
            .query_async(&mut conn)
            .await
            .map_err(unavailable)?;
        json.map(|json| with_version(&json, version)).transpose()
    }

    async fn tokens(&self) -> StoreResult<Vec<StoredToken>> {
        let mut conn = self.conn().await?;
        let (all, versions): (Vec<(String, String)>, std::collections::HashMap<String, u64>) = redis::pipe()
            .hgetall(self.keys.ghl_tokens())
            .hgetall(self.keys.ghl_token_versions())
            .query_async(&mut conn)
            .await
            .map_err(unavailable)?;
        let mut tokens = all
            .iter()
            .map(|(owner, json)| with_version(json, versions.get(owner).copied()))
            .collect::<StoreResult<Vec<_>>>()?;
        tokens.sort_by(|a, b| a.owner_id.cmp(&b.owner_id));
        Ok(tokens)
    }

    async fn replace_token(&self, token: &StoredToken, expected_version: Option<u64>) -> StoreResult<bool> {
        let mut stored = token.clone();
        stored.updated_at_ms = now_ms();
        let json = serde_json::to_string(&stored).expect("plain data serialises");
        let mut conn = self.conn().await?;
        let version: u64 = scripts::REPLACE_TOKEN
            .key(self.keys.ghl_tokens())
            .key(self.keys.ghl_token_versions())
            .key(self.keys.routing_generation())
            .arg(&token.owner_id)
            .arg(expected_version.map(|v| v.to_string()).unwrap_or_default())
            .arg(json)
            .invoke_async(&mut conn)
            .await
            .map_err(unavailable)?;
        Ok(version > 0)
    }

    async fn remove_token(&self, owner_id: &str) -> StoreResult<bool> {
        let mut conn = self.conn().await?;
        let (removed, _, _): (u64, u64, u64) = redis::pipe()
            .atomic()
            .hdel(self.keys.ghl_tokens(), owner_id)
            .hdel(self.keys.ghl_token_versions(), owner_id)
            .incr(self.keys.routing_generation(), 1)
            .query_async(&mut conn)
            .await
            .map_err(unavailable)?;
        Ok(removed > 0)
    }

    async fn link_message(&self, message_id: &str, link: &GhlLink) -> StoreResult<()> {
        let json = serde_json::to_string(link).expect("plain data serialises");
        let mut conn = self.conn().await?;
        conn.set_ex(self.keys.ghl_link(message_id), json, LINK_TTL_SECS)
            .await
            .map_err(unavailable)
    }

    async fn message_link(&self, message_id: &str) -> StoreResult<Option<GhlLink>> {
        let mut conn = self.conn().await?;
        let json: Option<String> = conn
            .get(self.keys.ghl_link(message_id))
            .await
            .map_err(unavailable)?;
        json.as_deref().map(decode).transpose()
    }

    async fn reported_rank(&self, ghl_message_id: &str) -> StoreResult<Option<u8>> {
        let mut conn = self.conn().await?;
        conn.get(self.keys.ghl_reported(ghl_message_id))
            .await
            .map_err(unavailable)
    }

    async fn advance_reported(&self, ghl_message_id: &str, rank: u8) -> StoreResult<bool> {
        let mut conn = self.conn().await?;
        let moved: i64 = scripts::ADVANCE_REPORTED
            .key(self.keys.ghl_reported(ghl_message_id))
            .arg(rank)
            .arg(LINK_TTL_SECS)
            .invoke_async(&mut conn)
            .await
            .map_err(unavailable)?;
        Ok(moved == 1)
    }

    async fn note_once(&self, mark: &str, ttl_ms: i64) -> StoreResult<bool> {
        let mut conn = self.conn().await?;
        let options = redis::SetOptions::default()
            .conditional_set(redis::ExistenceCheck::NX)
            .with_expiration(redis::SetExpiry::PX(ttl_ms.max(1) as u64));
        let noted: Option<String> = conn
            .set_options(self.keys.ghl_mark(mark), 1, options)
            .await
            .map_err(unavailable)?;
        Ok(noted.is_some())
    }

    async fn take_once(&self, mark: &str) -> StoreResult<bool> {
        let mut conn = self.conn().await?;
        let taken: u64 = conn.del(self.keys.ghl_mark(mark)).await.map_err(unavailable)?;
        Ok(taken > 0)
    }
}
