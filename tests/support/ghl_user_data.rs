//! GHL's side of sign-in from a framed page: the user data GHL hands the
//! page, encrypted as the docs' backend example expects to decrypt it
//! (GoHighLevel/highlevel-api-docs, "docs/marketplace modules/
//! shared_secret_customJS_customPages.md": `CryptoJS.AES.encrypt(JSON,
//! sharedSecret)`). Written here apart from the gateway's decryption, from
//! CryptoJS's passphrase format: base64 of "Salted__", a random 8-byte
//! salt and AES-256-CBC (PKCS#7) under OpenSSL's EVP_BytesToKey (MD5).

use aes::Aes256;
use base64::Engine;
use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockModeEncrypt, KeyIvInit};
use md5::{Digest, Md5};
use serde_json::{json, Value};

/// `user` encrypted with `secret` the CryptoJS way.
pub fn encrypt(user: &Value, secret: &str) -> String {
    let salt: [u8; 8] = rand::random();
    let mut derived = Vec::new();
    let mut block = Vec::new();
    while derived.len() < 48 {
        block = Md5::new()
            .chain_update(&block)
            .chain_update(secret.as_bytes())
            .chain_update(salt)
            .finalize()
            .to_vec();
        derived.extend_from_slice(&block);
    }
    let plain = user.to_string().into_bytes();
    let mut buffer = plain.clone();
    buffer.resize(plain.len() + 16, 0);
    let sealed = cbc::Encryptor::<Aes256>::new_from_slices(&derived[..32], &derived[32..48])
        .unwrap()
        .encrypt_padded::<Pkcs7>(&mut buffer, plain.len())
        .unwrap()
        .to_vec();
    let mut out = b"Salted__".to_vec();
    out.extend_from_slice(&salt);
    out.extend_from_slice(&sealed);
    base64::engine::general_purpose::STANDARD.encode(out)
}

/// A sub-account user's context (docs: "Location Context").
pub fn location_user(company: &str, location: &str) -> Value {
    json!({
        "userId": "user-loc", "companyId": company, "role": "user", "type": "location",
        "activeLocation": location, "userName": "Lena Location", "email": "lena@example.com",
    })
}

/// An agency user's context (docs: "Agency Context"), with `role`.
pub fn agency_user(company: &str, role: &str) -> Value {
    json!({
        "userId": "user-agency", "companyId": company, "role": role, "type": "agency",
        "userName": "Ada Agency", "email": "ada@example.com",
    })
}
