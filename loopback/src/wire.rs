//! One connection's byte pipe as whatsapp-rust 0.7 speaks it over the
//! WebSocket: the client's first bytes are the `WA\x06\x03` header, then
//! every frame is a 3-byte big-endian length and a body (wacore-noise
//! `framing`). After the handshake each body is AES-GCM under the Noise
//! transport keys with one counter per direction, around a binary node with
//! its leading flags byte (wacore-binary `marshal`/`unpack`).

use anyhow::{bail, Context, Result};
use wacore_binary::consts::WA_CONN_HEADER;
use wacore_binary::{marshal::marshal, marshal::unmarshal_ref, util::unpack, Node};
use wacore_noise::framing::{encode_frame, FrameDecoder};
use wacore_noise::NoiseCipher;

/// Splits the client's byte stream into frames, checking the header first.
pub struct Frames {
    decoder: FrameDecoder,
    header_checked: bool,
}

impl Frames {
    pub fn new() -> Self {
        Self {
            decoder: FrameDecoder::new(),
            header_checked: false,
        }
    }

    /// Takes in one WebSocket message; the next complete frames come out of
    /// [`Frames::next_frame`].
    pub fn feed(&mut self, mut data: &[u8]) -> Result<()> {
        if !self.header_checked {
            // An edge-routing pre-intro ("ED...") would come first; this
            // server never hands out routing info, so only the plain header
            // is valid.
            match data.strip_prefix(&WA_CONN_HEADER[..]) {
                Some(rest) => data = rest,
                None => bail!("connection does not start with the WA header"),
            }
            self.header_checked = true;
        }
        self.decoder.feed(data);
        Ok(())
    }

    pub fn next_frame(&mut self) -> Option<Vec<u8>> {
        self.decoder.decode_frame().map(|frame| frame.to_vec())
    }
}

/// A frame to send during the handshake (no encryption yet).
pub fn plain_frame(body: &[u8]) -> Result<Vec<u8>> {
    encode_frame(body, None)
}

/// The encrypted node channel after the handshake.
pub struct Sealed {
    read: NoiseCipher,
    write: NoiseCipher,
    read_counter: u32,
    write_counter: u32,
}

impl Sealed {
    pub fn new(read: NoiseCipher, write: NoiseCipher) -> Self {
        Self {
            read,
            write,
            read_counter: 0,
            write_counter: 0,
        }
    }

    pub fn seal(&mut self, node: &Node) -> Result<Vec<u8>> {
        let plain = marshal(node)?;
        let counter = next(&mut self.write_counter)?;
        let body = self.write.encrypt_with_counter(counter, &plain)?;
        encode_frame(&body, None)
    }

    pub fn open(&mut self, mut frame: Vec<u8>) -> Result<Node> {
        let counter = next(&mut self.read_counter)?;
        self.read
            .decrypt_in_place_with_counter(counter, &mut frame)
            .context("frame does not decrypt under the session key")?;
        let plain = unpack(&frame)?;
        Ok(unmarshal_ref(&plain)?.to_owned())
    }
}

fn next(counter: &mut u32) -> Result<u32> {
    let now = *counter;
    *counter = now.checked_add(1).context("Noise counter exhausted")?;
    Ok(now)
}
