//! GHL's webhook signatures: `X-GHL-Signature` is a base64 Ed25519
//! signature over the raw request body, checked against GHL's public key
//! (SubjectPublicKeyInfo, base64 DER; GHL_WEBHOOK_PUBLIC_KEY for tests or
//! a rotated key).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ed25519_dalek::pkcs8::DecodePublicKey;
use ed25519_dalek::{Signature, Verifier, VerifyingKey};

/// GHL's published Ed25519 webhook key (SPKI, base64 DER).
pub const GHL_PUBLIC_KEY: &str = "MCowBQYDK2VwAyEAi2HR1srL4o18O8BRa7gVJY7G7bupbN3H9AwJrHCDiOg=";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SignatureError {
    #[error("the request carries no X-GHL-Signature")]
    Missing,
    #[error("X-GHL-Signature is not a base64 Ed25519 signature")]
    Malformed,
    #[error("X-GHL-Signature does not match the body")]
    Mismatch,
}

#[derive(Clone)]
pub struct GhlVerifier {
    key: VerifyingKey,
}

impl GhlVerifier {
    /// Reads a public key in SPKI form, base64 DER.
    pub fn from_spki_base64(spki: &str) -> Result<Self, String> {
        let der = STANDARD
            .decode(spki.trim())
            .map_err(|e| format!("not base64: {e}"))?;
        let key =
            VerifyingKey::from_public_key_der(&der).map_err(|e| format!("not an Ed25519 public key: {e}"))?;
        Ok(Self { key })
    }

    /// Checks `signature` (the header's value) against the raw `body`.
    pub fn verify(&self, body: &[u8], signature: Option<&str>) -> Result<(), SignatureError> {
        let encoded = signature
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or(SignatureError::Missing)?;
        let bytes = STANDARD.decode(encoded).map_err(|_| SignatureError::Malformed)?;
        let signature = Signature::from_slice(&bytes).map_err(|_| SignatureError::Malformed)?;
        self.key
            .verify(body, &signature)
            .map_err(|_| SignatureError::Mismatch)
    }
}

#[cfg(test)]
pub mod tests {
    use super::*;
    use ed25519_dalek::{Signer, SigningKey};

    /// The SPKI DER prefix of every Ed25519 public key (RFC 8410).
    const SPKI_PREFIX: [u8; 12] = [
        0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
    ];

    pub fn test_key() -> (SigningKey, String) {
        let signing = SigningKey::from_bytes(&[7u8; 32]);
        let mut der = SPKI_PREFIX.to_vec();
        der.extend_from_slice(signing.verifying_key().as_bytes());
        (signing, STANDARD.encode(der))
    }

    #[test]
    fn ghls_own_key_reads() {
        assert!(GhlVerifier::from_spki_base64(GHL_PUBLIC_KEY).is_ok());
        assert!(GhlVerifier::from_spki_base64("bm90IGEga2V5").is_err());
    }

    #[test]
    fn a_signed_body_verifies_and_a_changed_one_does_not() {
        let (signing, spki) = test_key();
        let verifier = GhlVerifier::from_spki_base64(&spki).unwrap();
        let body = br#"{"messageId":"m1"}"#;
        let signature = STANDARD.encode(signing.sign(body).to_bytes());
        assert_eq!(verifier.verify(body, Some(&signature)), Ok(()));
        assert_eq!(
            verifier.verify(br#"{"messageId":"m2"}"#, Some(&signature)),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(verifier.verify(body, None), Err(SignatureError::Missing));
        assert_eq!(verifier.verify(body, Some("%%%")), Err(SignatureError::Malformed));
    }
}
