//! Secrets at rest: OAuth tokens and the GHL app's client secret are sealed
//! with AES-256-GCM under a key derived from SECRETS_KEY before they reach
//! the store. Without SECRETS_KEY they are kept as marked plain text, so
//! setting the key later still reads them (and seals them on next write).
//! Secrets never appear in logs: [`SecretText`] hides its content.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use sha2::{Digest, Sha256};

const SEALED_PREFIX: &str = "v1:";
const PLAIN_PREFIX: &str = "plain:";
const NONCE_LEN: usize = 12;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SecretError {
    #[error("a stored secret is encrypted but SECRETS_KEY is not set")]
    KeyMissing,
    #[error("a stored secret does not open with this SECRETS_KEY (was the key changed?)")]
    WrongKey,
    #[error("a stored secret is not in a known format")]
    Malformed,
}

/// Seals and opens secrets; `None` key means "keep them as plain text".
#[derive(Clone)]
pub struct SecretBox {
    cipher: Option<Aes256Gcm>,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretBox")
            .field("encrypts", &self.cipher.is_some())
            .finish()
    }
}

impl SecretBox {
    /// A box for SECRETS_KEY (any long random string; its SHA-256 is the key).
    pub fn new(secrets_key: Option<&str>) -> Self {
        let cipher = secrets_key.map(|passphrase| {
            let digest = Sha256::digest(passphrase.as_bytes());
            let key = Key::<Aes256Gcm>::try_from(digest.as_slice()).expect("SHA-256 is 32 bytes");
            Aes256Gcm::new(&key)
        });
        Self { cipher }
    }

    pub fn encrypts(&self) -> bool {
        self.cipher.is_some()
    }

    /// The value as it is stored.
    pub fn seal(&self, secret: &str) -> String {
        let Some(cipher) = &self.cipher else {
            return format!("{PLAIN_PREFIX}{secret}");
        };
        let nonce_bytes: [u8; NONCE_LEN] = rand::random();
        let nonce = Nonce::from(nonce_bytes);
        let sealed = cipher
            .encrypt(&nonce, secret.as_bytes())
            .expect("AES-GCM encrypts any length a token has");
        let mut out = nonce_bytes.to_vec();
        out.extend_from_slice(&sealed);
        format!("{SEALED_PREFIX}{}", B64.encode(out))
    }

    /// The secret a stored value holds.
    pub fn open(&self, stored: &str) -> Result<String, SecretError> {
        if let Some(plain) = stored.strip_prefix(PLAIN_PREFIX) {
            return Ok(plain.to_owned());
        }
        let encoded = stored.strip_prefix(SEALED_PREFIX).ok_or(SecretError::Malformed)?;
        let cipher = self.cipher.as_ref().ok_or(SecretError::KeyMissing)?;
        let bytes = B64.decode(encoded).map_err(|_| SecretError::Malformed)?;
        if bytes.len() <= NONCE_LEN {
            return Err(SecretError::Malformed);
        }
        let (nonce_bytes, sealed) = bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_from(nonce_bytes).map_err(|_| SecretError::Malformed)?;
        let opened = cipher
            .decrypt(&nonce, sealed)
            .map_err(|_| SecretError::WrongKey)?;
        String::from_utf8(opened).map_err(|_| SecretError::Malformed)
    }
}

/// A secret in memory: usable, never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretText(String);

impl SecretText {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Settings read a secret straight into this type, so a printed
/// configuration never shows it.
impl From<String> for SecretText {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl std::fmt::Debug for SecretText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretText(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_with_the_same_key_only() {
        let sealed = SecretBox::new(Some("correct horse battery staple")).seal("token-123");
        assert!(sealed.starts_with("v1:") && !sealed.contains("token-123"));
        let same = SecretBox::new(Some("correct horse battery staple"));
        assert_eq!(same.open(&sealed).unwrap(), "token-123");
        let other = SecretBox::new(Some("another key entirely"));
        assert_eq!(other.open(&sealed), Err(SecretError::WrongKey));
        assert_eq!(SecretBox::new(None).open(&sealed), Err(SecretError::KeyMissing));
    }

    #[test]
    fn each_seal_uses_a_fresh_nonce() {
        let secrets = SecretBox::new(Some("k".repeat(32).as_str()));
        assert_ne!(secrets.seal("same"), secrets.seal("same"));
    }

    #[test]
    fn plain_values_stay_readable_once_a_key_is_set() {
        let stored = SecretBox::new(None).seal("token-123");
        assert_eq!(stored, "plain:token-123");
        assert_eq!(
            SecretBox::new(Some("later key")).open(&stored).unwrap(),
            "token-123"
        );
    }

    #[test]
    fn damaged_values_are_refused_not_misread() {
        let secrets = SecretBox::new(Some("k"));
        assert_eq!(secrets.open("token-123"), Err(SecretError::Malformed));
        assert_eq!(secrets.open("v1:%%%"), Err(SecretError::Malformed));
        let mut sealed = secrets.seal("token-123");
        sealed.pop();
        sealed.push('A');
        assert!(secrets.open(&sealed).is_err());
    }

    #[test]
    fn secrets_do_not_print() {
        assert_eq!(format!("{:?}", SecretText::new("abc")), "SecretText(..)");
    }
}
