//! The responder side of WhatsApp's Noise handshakes, mirrored step by step
//! from the initiator in wacore-noise 0.7 (`XxHandshakeState`,
//! `IkHandshakeState`): XX for a first connection, IK for a client that
//! cached this server's static key (reconnects). The certificate chain is
//! wacore-noise's `test_util` chain, whose leaf key is our static key.

use anyhow::{anyhow, bail, Context, Result};
use wacore_binary::consts::{NOISE_PATTERN_IK, NOISE_PATTERN_XX, WA_CONN_HEADER};
use wacore_libsignal::protocol::KeyPair;
use wacore_noise::{NoiseCipher, NoiseHandshake};
use waproto::whatsapp::{self as wa, handshake_message::ServerHello, HandshakeMessage};

/// The server's long-lived Noise identity.
pub struct ServerKeys {
    static_kp: KeyPair,
    cert_chain: Vec<u8>,
}

impl ServerKeys {
    pub fn generate() -> Self {
        let static_kp = KeyPair::generate(&mut rand::rng());
        let cert_chain = wacore_noise::test_util::build_cert_chain_bytes(&public_bytes(&static_kp));
        Self {
            static_kp,
            cert_chain,
        }
    }
}

/// What a finished handshake yields: the client's static key and login
/// payload, and the ciphers from the server's point of view.
pub struct Established {
    pub client_static: [u8; 32],
    pub payload: wa::ClientPayload,
    pub read: NoiseCipher,
    pub write: NoiseCipher,
}

/// The first client message decides the pattern: an IK hello carries the
/// encrypted client static and payload, an XX hello only the ephemeral.
pub enum Hello {
    /// XX: send `server_hello`, then finish with the client's next frame.
    Xx {
        pending: Box<XxPending>,
        server_hello: Vec<u8>,
    },
    /// IK: send `server_hello`; the session is up.
    Ik {
        established: Box<Established>,
        server_hello: Vec<u8>,
    },
}

pub struct XxPending {
    noise: NoiseHandshake,
    ephemeral: KeyPair,
}

pub fn answer_hello(keys: &ServerKeys, client_hello_frame: &[u8]) -> Result<Hello> {
    let message = waproto::codec::handshake_message_decode(client_hello_frame)?;
    let hello = message
        .client_hello
        .into_option()
        .ok_or_else(|| anyhow!("first frame is not a ClientHello"))?;
    let client_ephemeral = key32(hello.ephemeral.as_deref(), "client ephemeral")?;
    match (hello.r#static, hello.payload) {
        (Some(static_ct), Some(payload_ct)) => ik(keys, client_ephemeral, &static_ct, &payload_ct),
        (None, None) => xx(keys, client_ephemeral),
        _ => bail!("ClientHello with only one of static and payload"),
    }
}

/// `<- e, ee, s, es` of XX.
fn xx(keys: &ServerKeys, client_ephemeral: [u8; 32]) -> Result<Hello> {
    let mut noise = NoiseHandshake::new(NOISE_PATTERN_XX, &WA_CONN_HEADER)?;
    noise.authenticate(&client_ephemeral);
    let ephemeral = KeyPair::generate(&mut rand::rng());
    noise.authenticate(&public_bytes(&ephemeral));
    noise.mix_shared_secret(ephemeral.private_key.serialize(), &client_ephemeral)?;
    let static_ct = noise.encrypt(&public_bytes(&keys.static_kp))?;
    noise.mix_shared_secret(keys.static_kp.private_key.serialize(), &client_ephemeral)?;
    let cert_ct = noise.encrypt(&keys.cert_chain)?;
    let server_hello = server_hello(&ephemeral, Some(static_ct), cert_ct);
    Ok(Hello::Xx {
        pending: Box::new(XxPending { noise, ephemeral }),
        server_hello,
    })
}

impl XxPending {
    /// `-> s, se` and the payload of XX's third message.
    pub fn finish(mut self, client_finish_frame: &[u8]) -> Result<Established> {
        let message = waproto::codec::handshake_message_decode(client_finish_frame)?;
        let finish = message
            .client_finish
            .into_option()
            .ok_or_else(|| anyhow!("second client frame is not a ClientFinish"))?;
        let static_ct = finish.r#static.context("ClientFinish without static")?;
        let payload_ct = finish.payload.context("ClientFinish without payload")?;
        let client_static = key32(Some(&self.noise.decrypt(&static_ct)?), "client static")?;
        self.noise
            .mix_shared_secret(self.ephemeral.private_key.serialize(), &client_static)?;
        let payload = self.noise.decrypt(&payload_ct)?;
        established(self.noise, client_static, &payload)
    }
}

/// IK's `<- s` pre-message, `-> e, es, s, ss` + payload, `<- e, ee, se`.
fn ik(keys: &ServerKeys, client_ephemeral: [u8; 32], static_ct: &[u8], payload_ct: &[u8]) -> Result<Hello> {
    let server_static = &keys.static_kp;
    let mut noise = NoiseHandshake::new(NOISE_PATTERN_IK, &WA_CONN_HEADER)?;
    noise.authenticate(&public_bytes(server_static));
    noise.authenticate(&client_ephemeral);
    noise.mix_shared_secret(server_static.private_key.serialize(), &client_ephemeral)?;
    let client_static = key32(Some(&noise.decrypt(static_ct)?), "client static")?;
    noise.mix_shared_secret(server_static.private_key.serialize(), &client_static)?;
    let payload = noise.decrypt(payload_ct)?;
    let ephemeral = KeyPair::generate(&mut rand::rng());
    noise.authenticate(&public_bytes(&ephemeral));
    noise.mix_shared_secret(ephemeral.private_key.serialize(), &client_ephemeral)?;
    noise.mix_shared_secret(ephemeral.private_key.serialize(), &client_static)?;
    let cert_ct = noise.encrypt(&keys.cert_chain)?;
    let server_hello = server_hello(&ephemeral, None, cert_ct);
    Ok(Hello::Ik {
        established: Box::new(established(noise, client_static, &payload)?),
        server_hello,
    })
}

/// The initiator's split gives (its write, its read); ours is the reverse.
fn established(noise: NoiseHandshake, client_static: [u8; 32], payload: &[u8]) -> Result<Established> {
    let payload = buffa::Message::decode_from_slice(payload).context("ClientPayload")?;
    let (client_write, client_read) = noise.finish()?;
    Ok(Established {
        client_static,
        payload,
        read: client_write,
        write: client_read,
    })
}

fn server_hello(ephemeral: &KeyPair, static_ct: Option<Vec<u8>>, payload: Vec<u8>) -> Vec<u8> {
    let message = HandshakeMessage {
        server_hello: buffa::MessageField::some(ServerHello {
            ephemeral: Some(public_bytes(ephemeral).to_vec()),
            r#static: static_ct,
            payload: Some(payload),
            ..Default::default()
        }),
        ..Default::default()
    };
    waproto::codec::handshake_message_to_vec(&message)
}

fn public_bytes(kp: &KeyPair) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(kp.public_key.public_key_bytes());
    out
}

fn key32(bytes: Option<&[u8]>, name: &str) -> Result<[u8; 32]> {
    bytes
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| anyhow!("{name} is not a 32-byte key"))
}
