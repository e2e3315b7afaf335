//! Signed panel links: a token that opens the panel (and the API it uses)
//! without the API key, until it expires, optionally for some instances
//! only. A token is `wgp1.<claims>.<tag>`: base64url JSON claims and an
//! HMAC-SHA256 tag over `wgp1.<claims>`. The signing key is derived from the
//! API key, so changing API_KEY revokes every link at once. Other short
//! tokens of the gateway (the event stream's tickets) are sealed the same
//! way under a prefix of their own.

use crate::domain::InstanceId;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Marks (and versions) the token format.
const PREFIX: &str = "wgp1.";
/// Domain separation: the derived key signs panel links and nothing else.
const KEY_LABEL: &[u8] = b"wagate panel-link signing key v1";

/// What a panel token allows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// When the token stops working, seconds since the epoch.
    #[serde(rename = "exp")]
    pub expires_at: i64,
    /// The only instances the token may touch; absent: every instance.
    #[serde(rename = "ins", default, skip_serializing_if = "Option::is_none")]
    pub instances: Option<Vec<InstanceId>>,
}

impl Claims {
    /// May this token touch the instance?
    pub fn allows(&self, id: &InstanceId) -> bool {
        self.instances.as_ref().is_none_or(|list| list.contains(id))
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("the panel link is not valid")]
    Malformed,
    #[error("the panel link was not signed by this gateway (or its API key changed)")]
    BadSignature,
    #[error("the panel link has expired; ask for a new one")]
    Expired,
}

/// Signs and checks panel tokens with a key derived from the API key.
pub struct PanelTokens {
    key: Vec<u8>,
}

impl PanelTokens {
    pub fn from_api_key(api_key: &str) -> Self {
        let mut mac = new_mac(api_key.as_bytes());
        mac.update(KEY_LABEL);
        Self {
            key: mac.finalize().into_bytes().to_vec(),
        }
    }

    /// Does this credential look like a panel token (rather than an API key)?
    pub fn is_token(credential: &str) -> bool {
        credential.starts_with(PREFIX)
    }

    pub fn sign(&self, claims: &Claims) -> String {
        self.seal(PREFIX, claims)
    }

    /// The token's claims, if it is genuine and unexpired at `now_s`.
    pub fn verify(&self, token: &str, now_s: i64) -> Result<Claims, TokenError> {
        let claims: Claims = self.open(PREFIX, token)?;
        if claims.expires_at <= now_s {
            return Err(TokenError::Expired);
        }
        Ok(claims)
    }

    /// `payload` as JSON under `prefix` (which says what kind of token it
    /// is, so one kind is never taken for another), signed.
    pub fn seal(&self, prefix: &str, payload: &impl Serialize) -> String {
        let json = serde_json::to_vec(payload).expect("token payloads serialize");
        let signed = format!("{prefix}{}", URL_SAFE_NO_PAD.encode(json));
        let tag = self.tag(signed.as_bytes()).finalize().into_bytes();
        format!("{signed}.{}", URL_SAFE_NO_PAD.encode(tag))
    }

    /// The payload of a token sealed under `prefix`, if its signature holds.
    pub fn open<T: DeserializeOwned>(&self, prefix: &str, token: &str) -> Result<T, TokenError> {
        let (signed, tag) = token.rsplit_once('.').ok_or(TokenError::Malformed)?;
        let payload = signed.strip_prefix(prefix).ok_or(TokenError::Malformed)?;
        let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| TokenError::Malformed)?;
        self.tag(signed.as_bytes())
            .verify_slice(&tag)
            .map_err(|_| TokenError::BadSignature)?;
        let json = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| TokenError::Malformed)?;
        serde_json::from_slice(&json).map_err(|_| TokenError::Malformed)
    }

    fn tag(&self, signed: &[u8]) -> HmacSha256 {
        let mut mac = new_mac(&self.key);
        mac.update(signed);
        mac
    }
}

fn new_mac(key: &[u8]) -> HmacSha256 {
    <HmacSha256 as KeyInit>::new_from_slice(key).expect("HMAC takes keys of any length")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(raw: &str) -> InstanceId {
        InstanceId::parse(raw).unwrap()
    }

    fn scoped(expires_at: i64) -> Claims {
        Claims {
            expires_at,
            instances: Some(vec![id("wa-01")]),
        }
    }

    #[test]
    fn a_signed_token_verifies_to_its_claims() {
        let tokens = PanelTokens::from_api_key("the-api-key-1");
        let token = tokens.sign(&scoped(2_000));
        assert!(PanelTokens::is_token(&token));
        assert_eq!(tokens.verify(&token, 1_999).unwrap(), scoped(2_000));
    }

    #[test]
    fn expired_tokens_are_refused() {
        let tokens = PanelTokens::from_api_key("the-api-key-1");
        let token = tokens.sign(&scoped(2_000));
        assert_eq!(tokens.verify(&token, 2_000), Err(TokenError::Expired));
    }

    #[test]
    fn another_api_key_or_a_changed_payload_breaks_the_signature() {
        let tokens = PanelTokens::from_api_key("the-api-key-1");
        let token = tokens.sign(&scoped(2_000));
        let other = PanelTokens::from_api_key("the-api-key-2");
        assert_eq!(other.verify(&token, 0), Err(TokenError::BadSignature));

        let wider = tokens.sign(&Claims {
            expires_at: 2_000,
            instances: None,
        });
        let (wider_payload, _) = wider.rsplit_once('.').unwrap();
        let (_, tag) = token.rsplit_once('.').unwrap();
        let forged = format!("{wider_payload}.{tag}");
        assert_eq!(tokens.verify(&forged, 0), Err(TokenError::BadSignature));
    }

    #[test]
    fn junk_is_malformed() {
        let tokens = PanelTokens::from_api_key("the-api-key-1");
        for junk in ["", "wgp1.", "wgp1.abc", "nope.abc", "wgp1.***.***"] {
            assert_eq!(tokens.verify(junk, 0), Err(TokenError::Malformed), "{junk:?}");
        }
    }

    #[test]
    fn scope_limits_instances_and_no_scope_allows_all() {
        assert!(scoped(1).allows(&id("wa-01")));
        assert!(!scoped(1).allows(&id("wa-02")));
        let open = Claims {
            expires_at: 1,
            instances: None,
        };
        assert!(open.allows(&id("wa-02")));
    }
}
