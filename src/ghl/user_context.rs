//! Who opened the panel inside GHL. A page GHL frames asks its parent for
//! the user's context (`REQUEST_USER_DATA`) and gets it encrypted with the
//! marketplace app's Shared Secret; only the backend may open it.
//! GoHighLevel/highlevel-api-docs, `docs/marketplace modules/
//! shared_secret_customJS_customPages.md`: the backend runs
//! `CryptoJS.AES.decrypt(payload, sharedSecret)`, which is CryptoJS's
//! passphrase format: base64 of `"Salted__"`, an 8-byte salt and the
//! ciphertext; key and IV from OpenSSL's EVP_BytesToKey (MD5, one round)
//! over the passphrase and salt; AES-256-CBC with PKCS#7 padding. The same
//! file gives the decrypted fields (`userId`, `companyId`, `role`, `type`,
//! `activeLocation` in a location's context only, `userName`, `email`).
//! The format carries no MAC and no time: a wrong key shows as bad padding
//! or text that is not the documented JSON, and replays are the caller's
//! to refuse (see `api::panel::sso`).

use aes::Aes256;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockModeDecrypt, KeyIvInit};
use md5::{Digest, Md5};
use serde::Deserialize;

const MAGIC: &[u8] = b"Salted__";
const SALT_LEN: usize = 8;
const KEY_LEN: usize = 32;
const IV_LEN: usize = 16;
const BLOCK: usize = 16;

/// The user GHL vouches for (fields as documented).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserContext {
    pub user_id: String,
    pub company_id: String,
    /// "admin" or "user".
    pub role: String,
    /// "agency" or "location": where the user belongs.
    #[serde(rename = "type")]
    pub kind: String,
    /// The sub-account the user has open, when they are inside one.
    #[serde(default)]
    pub active_location: Option<String>,
    #[serde(default)]
    pub user_name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ContextError {
    /// Not CryptoJS's passphrase format at all.
    #[error(
        "the payload is not GHL's encrypted user data (base64 of \"Salted__\", salt and whole AES blocks)"
    )]
    Malformed,
    /// Well formed, but it does not open to the documented JSON with this
    /// Shared Secret: sealed with another key, or tampered with.
    #[error("the payload does not open with this app's Shared Secret")]
    NotOurs,
}

/// The salted ciphertext's raw bytes, if `payload` has CryptoJS's shape
/// (what replay marks are taken of, whatever its base64 spelling).
pub fn envelope(payload: &str) -> Result<Vec<u8>, ContextError> {
    let raw = STANDARD
        .decode(payload.trim())
        .map_err(|_| ContextError::Malformed)?;
    let body_len = raw.len().saturating_sub(MAGIC.len() + SALT_LEN);
    if !raw.starts_with(MAGIC) || body_len == 0 || body_len % BLOCK != 0 {
        return Err(ContextError::Malformed);
    }
    Ok(raw)
}

/// Opens GHL's encrypted user data with the app's Shared Secret.
pub fn decrypt(payload: &str, shared_secret: &str) -> Result<UserContext, ContextError> {
    let raw = envelope(payload)?;
    let (salt, ciphertext) = raw[MAGIC.len()..].split_at(SALT_LEN);
    let (key, iv) = bytes_to_key(shared_secret.as_bytes(), salt);
    let mut buffer = ciphertext.to_vec();
    let plain = cbc::Decryptor::<Aes256>::new_from_slices(&key, &iv)
        .expect("EVP_BytesToKey gives a 32-byte key and a 16-byte IV")
        .decrypt_padded::<Pkcs7>(&mut buffer)
        .map_err(|_| ContextError::NotOurs)?;
    let user: UserContext = serde_json::from_slice(plain).map_err(|_| ContextError::NotOurs)?;
    let blank = [&user.user_id, &user.company_id, &user.role, &user.kind];
    if blank.iter().any(|field| field.trim().is_empty()) {
        return Err(ContextError::NotOurs);
    }
    Ok(user)
}

/// OpenSSL's EVP_BytesToKey with MD5 and one round, as CryptoJS uses it:
/// D1 = MD5(pass ‖ salt), Dn = MD5(Dn-1 ‖ pass ‖ salt), until key and IV
/// are filled.
fn bytes_to_key(passphrase: &[u8], salt: &[u8]) -> ([u8; KEY_LEN], [u8; IV_LEN]) {
    let mut material = Vec::with_capacity(KEY_LEN + IV_LEN + 16);
    let mut previous: Vec<u8> = Vec::new();
    while material.len() < KEY_LEN + IV_LEN {
        let mut md5 = Md5::new();
        md5.update(&previous);
        md5.update(passphrase);
        md5.update(salt);
        previous = md5.finalize().to_vec();
        material.extend_from_slice(&previous);
    }
    let mut key = [0u8; KEY_LEN];
    let mut iv = [0u8; IV_LEN];
    key.copy_from_slice(&material[..KEY_LEN]);
    iv.copy_from_slice(&material[KEY_LEN..KEY_LEN + IV_LEN]);
    (key, iv)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Made with crypto-js 4 (npm), as the docs' backend example decrypts:
    /// `CryptoJS.AES.encrypt(JSON.stringify(user), "the-shared-secret").toString()`.
    const FROM_CRYPTO_JS: &str = "U2FsdGVkX19a24JLQi/+wW8Qkt7/P+rBnfAN4wtUR21g+qapxzi7ONnxX35Ctoxqf+u11okp3oRCQtpYn0M6XOyqRRjZMBJda4nV5/uGvckYF4c4HZQy2JXAQ+gl9F2pMDDRLZ6IIbKx6VTAvOJxeOhLePdSXUgAAIpZ68RiX1K5OEDAK5+YmJncvQcyZYhtwPGR9fFpEKFUK0DXW4ZzGq5gEjpN7fwn4IMij3DRQOmCggpu10ze7drL1RbdRTz7GrlFi05EGIqDsXE13oinOQ==";

    #[test]
    fn crypto_js_output_opens_to_the_documented_fields() {
        let user = decrypt(FROM_CRYPTO_JS, "the-shared-secret").unwrap();
        assert_eq!(
            user,
            UserContext {
                user_id: "MKQJ7wOVVmNOMvrnKKKK".into(),
                company_id: "GNb7aIv4rQFVb9iwNl5K".into(),
                role: "user".into(),
                kind: "location".into(),
                active_location: Some("yLKVZpNppIdYpah4RjNE".into()),
                user_name: Some("John Doe".into()),
                email: Some("johndoe@gmail.com".into()),
            }
        );
    }

    #[test]
    fn another_secret_does_not_open_it() {
        assert_eq!(
            decrypt(FROM_CRYPTO_JS, "another-secret"),
            Err(ContextError::NotOurs)
        );
    }

    #[test]
    fn a_changed_byte_does_not_open_to_the_same_user() {
        let mut raw = STANDARD.decode(FROM_CRYPTO_JS).unwrap();
        let last = raw.len() - 1;
        raw[last] ^= 1;
        let tampered = STANDARD.encode(raw);
        assert_eq!(
            decrypt(&tampered, "the-shared-secret"),
            Err(ContextError::NotOurs)
        );
    }

    #[test]
    fn what_is_not_the_format_is_malformed() {
        let short = STANDARD.encode(b"Salted__12345678");
        let ragged = STANDARD.encode(b"Salted__12345678abc");
        let unsalted = STANDARD.encode([7u8; 32]);
        for junk in ["", "not base64!", &short, &ragged, &unsalted] {
            assert_eq!(
                decrypt(junk, "the-shared-secret"),
                Err(ContextError::Malformed),
                "{junk:?}"
            );
        }
    }
}
