//! The phone's side of linking with a phone number ("link with phone
//! number"): the stanzas of the `link_code_companion_reg` exchange and the
//! phone's keys for it. The companion shows an 8-character code and sends
//! its ephemeral key wrapped with it (`companion_hello`); the phone whose
//! user types the code unwraps that key, sends its own wrapped the same
//! way with its identity key (`primary_hello`), and opens the key bundle
//! the companion answers with (`companion_finish`), which gives both the
//! ADV secret that keys `pair-success` (`pairing.rs`). Each rule is
//! whatsapp-rust 0.7's companion side (wacore `pair_code.rs`,
//! `PairCodeUtils`; whatsapp-rust `pair_code.rs`), run here in reverse.

use anyhow::{anyhow, bail, ensure, Context, Result};
use wacore_binary::builder::NodeBuilder;
use wacore_binary::{Node, NodeContent};
use wacore_libsignal::crypto::aes_256_gcm_decrypt;
use wacore_libsignal::protocol::{KeyPair, PublicKey};
use whatsapp_rust::wacore::crypto::hkdf_sha256_into;
use whatsapp_rust::wacore::pair_code::PairCodeUtils;

/// The IQ's and the notification's child (wacore `build_companion_hello_iq`,
/// whatsapp-rust `handle_pair_code_notification`).
const REG: &str = "link_code_companion_reg";

/// `HKDF` info of the key bundle's key (wacore `prepare_key_bundle`).
const BUNDLE_KEY_INFO: &[u8] = b"link_code_pairing_key_bundle_encryption_key";

/// What a companion asks for in stage 1 (wacore `build_companion_hello_iq`):
/// the number whose phone may link it, its ephemeral key wrapped with the
/// code (`salt(32) || iv(16) || AES-256-CTR ciphertext(32)`) and its Noise
/// static key (`companion_server_auth_key_pub`).
#[derive(Clone)]
pub struct Hello {
    pub phone: String,
    pub wrapped_ephemeral: [u8; 80],
    pub noise_pub: [u8; 32],
}

/// What a companion answers the phone with in stage 2 (wacore
/// `build_companion_finish_iq`).
pub struct Finish {
    pub wrapped_bundle: Vec<u8>,
    pub identity_pub: [u8; 32],
    pub pairing_ref: Vec<u8>,
}

pub enum Stage {
    Hello(Hello),
    Finish(Finish),
}

/// The stage of an `<iq xmlns="md"><link_code_companion_reg stage>`;
/// `None` for any other IQ, an error for one that lacks a part.
pub fn read(iq: &Node) -> Option<Result<Stage>> {
    let reg = iq.get_optional_child(REG)?;
    let attr = |name: &str| reg.attrs.get(name).map(|v| v.to_string()).unwrap_or_default();
    let phone: String = attr("jid").chars().take_while(|c| *c != '@').collect();
    Some(match attr("stage").as_str() {
        "companion_hello" => read_hello(reg, phone).map(Stage::Hello),
        "companion_finish" => read_finish(reg).map(Stage::Finish),
        other => Err(anyhow!("no link code stage {other:?}")),
    })
}

fn read_hello(reg: &Node, phone: String) -> Result<Hello> {
    Ok(Hello {
        phone,
        wrapped_ephemeral: fixed(reg, "link_code_pairing_wrapped_companion_ephemeral_pub")?,
        noise_pub: fixed(reg, "companion_server_auth_key_pub")?,
    })
}

fn read_finish(reg: &Node) -> Result<Finish> {
    Ok(Finish {
        wrapped_bundle: bytes(reg, "link_code_pairing_wrapped_key_bundle")?.to_vec(),
        identity_pub: fixed(reg, "companion_identity_public")?,
        pairing_ref: bytes(reg, "link_code_pairing_ref")?.to_vec(),
    })
}

/// The answer to `companion_hello`: the ref the phone will echo
/// (wacore `parse_companion_hello_response`:
/// `<link_code_companion_reg><link_code_pairing_ref>`).
pub fn hello_answer(id: &str, pairing_ref: &[u8]) -> Node {
    let reg = NodeBuilder::new(REG)
        .children([NodeBuilder::new("link_code_pairing_ref")
            .bytes(pairing_ref.to_vec())
            .build()])
        .build();
    crate::iq::result(id, [reg])
}

/// The phone's `primary_hello`, as whatsapp-rust `handle_primary_hello`
/// reads it: its ephemeral key wrapped with the code (80 bytes), its
/// identity key in the clear, and the companion's ref echoed.
pub fn primary_hello(pairing_ref: &[u8], wrapped_ephemeral: [u8; 80], identity_pub: &[u8]) -> Node {
    let child = |tag: &'static str, bytes: Vec<u8>| NodeBuilder::new(tag).bytes(bytes).build();
    NodeBuilder::new("notification")
        .attr("from", crate::connection::SERVER)
        .attr("type", REG)
        .attr("id", crate::connection::new_id())
        .attr("t", crate::unix_now().to_string())
        .children([NodeBuilder::new(REG)
            .attr("stage", "primary_hello")
            .children([
                child(
                    "link_code_pairing_wrapped_primary_ephemeral_pub",
                    wrapped_ephemeral.to_vec(),
                ),
                child("primary_identity_pub", identity_pub.to_vec()),
                child("link_code_pairing_ref", pairing_ref.to_vec()),
            ])
            .build()])
        .build()
}

/// The phone once its user typed a code: its ephemeral key for this link,
/// the companion's as unwrapped with the typed code, and its own wrapped
/// with it for `primary_hello`.
pub struct Typed {
    ephemeral: KeyPair,
    companion_ephemeral: PublicKey,
    pub wrapped_ephemeral: [u8; 80],
}

/// Both wrappings are wacore's `encrypt_ephemeral_pub`: AES-256-CTR under
/// PBKDF2-SHA256(code, salt, 2^17 rounds), so the companion's
/// `decrypt_primary_ephemeral_pub` unwraps either side's. The key is derived
/// from the upper-case code (`pair_with_code` upper-cases a custom one). A
/// wrong code unwraps to a wrong key without an error (wacore test
/// `test_decrypt_with_wrong_code_produces_garbage`): it shows only when the
/// bundle does not open (`Typed::open`). Slow on purpose: run it off the
/// async threads.
pub fn type_code(code: &str, wrapped_companion: &[u8; 80]) -> Result<Typed> {
    let code = code.to_ascii_uppercase();
    ensure!(
        PairCodeUtils::validate_code(&code),
        "{code:?} is not a pairing code"
    );
    let companion = PairCodeUtils::decrypt_primary_ephemeral_pub(wrapped_companion, &code)?;
    let ephemeral = KeyPair::generate(&mut rand::rng());
    let own: [u8; 32] = ephemeral.public_key.public_key_bytes().try_into()?;
    Ok(Typed {
        wrapped_ephemeral: PairCodeUtils::encrypt_ephemeral_pub(&own, &code),
        companion_ephemeral: PublicKey::from_djb_public_key_bytes(&companion)?,
        ephemeral,
    })
}

impl Typed {
    /// Opens the companion's key bundle and gives the ADV secret, as
    /// wacore `prepare_key_bundle` made them: the bundle is
    /// `salt(32) || iv(12) || AES-256-GCM(companion identity || phone
    /// identity || random(32))` under HKDF(ephemeral agreement, salt,
    /// `link_code_pairing_key_bundle_encryption_key`); the ADV secret is
    /// HKDF(ephemeral agreement || identity agreement || random, no salt,
    /// `adv_secret`). A bundle made after a wrong code does not open.
    pub fn open(&self, account: &KeyPair, finish: &Finish) -> Result<[u8; 32]> {
        let shared = self
            .ephemeral
            .private_key
            .calculate_agreement(&self.companion_ephemeral)?;
        if finish.wrapped_bundle.len() < 32 + 12 + 16 {
            bail!("the key bundle is {} bytes", finish.wrapped_bundle.len());
        }
        let (salt, rest) = finish.wrapped_bundle.split_at(32);
        let (iv, sealed) = rest.split_at(12);
        let mut key = [0u8; 32];
        hkdf_sha256_into(&shared, Some(salt), BUNDLE_KEY_INFO, &mut key)?;
        let mut bundle = Vec::new();
        aes_256_gcm_decrypt(&key, iv.try_into()?, b"", sealed, &mut bundle).map_err(|_| {
            anyhow!("the companion's key bundle does not open: the code typed is not the one it shows")
        })?;
        let [companion_identity, phone_identity, random] = thirds(&bundle)?;
        ensure!(
            companion_identity == finish.identity_pub,
            "the bundle names another companion"
        );
        ensure!(
            phone_identity == account.public_key.public_key_bytes(),
            "the bundle names another phone"
        );
        let companion = PublicKey::from_djb_public_key_bytes(companion_identity)?;
        let identity_shared = account.private_key.calculate_agreement(&companion)?;
        let secret = [&shared[..], &identity_shared[..], random].concat();
        let mut adv_secret = [0u8; 32];
        hkdf_sha256_into(&secret, None, b"adv_secret", &mut adv_secret)?;
        Ok(adv_secret)
    }
}

fn thirds(bundle: &[u8]) -> Result<[&[u8]; 3]> {
    ensure!(
        bundle.len() == 96,
        "the key bundle holds {} bytes, not 96",
        bundle.len()
    );
    Ok([&bundle[..32], &bundle[32..64], &bundle[64..]])
}

fn bytes<'a>(reg: &'a Node, tag: &str) -> Result<&'a [u8]> {
    match reg.get_optional_child(tag).map(|n| &n.content) {
        Some(Some(NodeContent::Bytes(bytes))) => Ok(bytes),
        _ => Err(anyhow!("no <{tag}>")),
    }
}

fn fixed<const N: usize>(reg: &Node, tag: &str) -> Result<[u8; N]> {
    bytes(reg, tag)?
        .try_into()
        .with_context(|| format!("<{tag}> is not {N} bytes"))
}
