//! Linking with a phone number, as the server relays it between a
//! companion and the phone of the number it names: the `companion_hello`
//! each connection asked with (its wrapped ephemeral key and the pairing
//! ref it was given), the `primary_hello` of a phone whose user typed the
//! code, and the `companion_finish` it waits for. A phone that opens the
//! companion's bundle links it as a QR scan does (`Shared::link_companion`).
//! The keys and stanzas are `pair_code.rs`.

use crate::pair_code::{self, Finish, Hello, Stage};
use crate::pairing::Companion;
use crate::state::Shared;
use anyhow::{ensure, Context, Result};
use std::collections::HashMap;
use std::sync::Mutex;
use tokio::sync::oneshot;
use wacore_binary::Node;
use whatsapp_rust::wacore::pair_code::PairCodeUtils;

/// What one connection asked for with `companion_hello`.
#[derive(Clone)]
struct Asked {
    hello: Hello,
    pairing_ref: Vec<u8>,
}

#[derive(Default)]
struct Codes {
    /// Connection → its latest `companion_hello` (a second one replaces the
    /// first, as a new code does on the companion).
    asked: HashMap<u64, Asked>,
    /// Connection → the phone waiting for its `companion_finish`.
    finishing: HashMap<u64, oneshot::Sender<Finish>>,
}

#[derive(Default)]
pub struct CodeBook(Mutex<Codes>);

impl CodeBook {
    fn codes(&self) -> std::sync::MutexGuard<'_, Codes> {
        self.0.lock().expect("loopback codes lock")
    }

    /// The latest connection that asked for a code for `phone`: the server
    /// routes `primary_hello` by number, never seeing the code (wacore
    /// `pair_code.rs`, `PairCodeState::live_flow_remaining`).
    fn asked_for(&self, phone: &str) -> Option<(u64, Asked)> {
        let codes = self.codes();
        let mut asked: Vec<_> = codes
            .asked
            .iter()
            .filter(|(_, a)| a.hello.phone == phone)
            .collect();
        asked.sort_by_key(|(connection, _)| **connection);
        asked.last().map(|(connection, a)| (**connection, (*a).clone()))
    }

    /// The connection closed: what it asked for goes with it.
    pub fn forget(&self, connection: u64) {
        let mut codes = self.codes();
        codes.asked.remove(&connection);
        codes.finishing.remove(&connection);
    }
}

impl Shared {
    /// Answers a `link_code_companion_reg` IQ from `connection`; `None`
    /// for any other IQ. A `companion_hello` gets a new pairing ref; a
    /// `companion_finish` goes to the phone waiting for it and gets an
    /// empty `result` whether or not the bundle opens: "the answer itself
    /// is the server acknowledging the bundle, not the primary opening it"
    /// (wacore `pair_code.rs`, `PAIR_CODE_COMPANION_FINISH_IQ_TIMEOUT_SECS`).
    /// One that lacks a part is refused `400 bad-request` (wacore
    /// `PairCodeRejection::BadRequest`).
    pub fn link_code_iq(&self, connection: u64, id: &str, iq: &Node) -> Option<Node> {
        Some(match pair_code::read(iq)? {
            Ok(Stage::Hello(hello)) => {
                let pairing_ref = crate::connection::new_ref().into_bytes();
                let answer = pair_code::hello_answer(id, &pairing_ref);
                let asked = Asked { hello, pairing_ref };
                self.codes.codes().asked.insert(connection, asked);
                answer
            }
            Ok(Stage::Finish(finish)) => {
                if let Some(phone) = self.codes.codes().finishing.remove(&connection) {
                    let _ = phone.send(finish);
                }
                crate::iq::result(id, [])
            }
            Err(e) => {
                tracing::debug!(error = %e, "bad link code request");
                crate::iq::error(id, 400, "bad-request")
            }
        })
    }

    /// The phone of `phone` (digits) types `code` for the latest client
    /// that asked for one for its number: it unwraps the companion's key,
    /// sends `primary_hello`, waits for `companion_finish` (as long as the
    /// companion waits for `pair-success`, whatsapp-rust
    /// `start_pair_success_timeout`), opens the bundle and links the
    /// companion with the ADV secret it gives.
    ///
    /// A wrong code fails here, when the bundle does not open, and the
    /// companion is told nothing: a phone that cannot open it "reports a
    /// failed link to its own user and says nothing to us", and the
    /// companion writes the code off after a minute of silence
    /// (whatsapp-rust `pair_code.rs`, `start_pair_success_timeout`; WA Web
    /// `DevicePhoneNumberCodeScreen`). The code stays usable: the companion
    /// takes up to three `primary_hello` per code (wacore
    /// `PAIR_CODE_MAX_PRIMARY_HELLO_ATTEMPTS`).
    pub async fn enter_code(&self, phone: &str, code: &str, now: u64) -> Result<()> {
        let (connection, asked) = self
            .codes
            .asked_for(phone)
            .context("no connected client asked for a code for this number")?;
        let account = self.phone_key(phone);
        let (typed_code, wrapped) = (code.to_owned(), asked.hello.wrapped_ephemeral);
        let typed =
            tokio::task::spawn_blocking(move || pair_code::type_code(&typed_code, &wrapped)).await??;
        let (finished, finish) = oneshot::channel();
        self.codes.codes().finishing.insert(connection, finished);
        let identity = account.public_key.public_key_bytes();
        self.send_to(
            connection,
            pair_code::primary_hello(&asked.pairing_ref, typed.wrapped_ephemeral, identity),
        )?;
        let finish = tokio::time::timeout(PairCodeUtils::primary_hello_pair_success_timeout(), finish)
            .await
            .context("the companion did not answer primary_hello")?
            .context("the companion left")?;
        ensure!(
            finish.pairing_ref == asked.pairing_ref,
            "companion_finish for another ref"
        );
        let adv_secret = typed.open(&account, &finish)?;
        self.codes.forget(connection);
        let companion = Companion {
            noise_pub: asked.hello.noise_pub,
            identity_pub: finish.identity_pub,
            adv_secret,
        };
        self.link_companion(connection, phone, &companion, now)
    }
}
