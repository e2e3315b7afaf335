//! Which WhatsApp id a phone number is registered under, asked once per
//! number and session (`is_on_whatsapp`): WhatsApp's answer may differ from
//! the digits (Brazil's extra mobile 9, Mexico's old 1), and a number that is
//! not on WhatsApp fails for good instead of being sent to blindly. Every
//! form of the number (`Phone::whatsapp_variants`) is asked about at once.

use crate::domain::Phone;
use crate::wa::SendError;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use whatsapp_rust::features::ContactError;
use whatsapp_rust::{Client, Jid};

/// How long a "not on WhatsApp" answer is trusted before asking again.
const UNREGISTERED_TTL: Duration = Duration::from_secs(3600);
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(30);

enum Lookup {
    Registered(Jid),
    Unregistered(Instant),
}

/// Numbers already checked with WhatsApp in this session.
#[derive(Default)]
pub(super) struct NumberDirectory {
    known: Mutex<HashMap<String, Lookup>>,
}

impl NumberDirectory {
    /// The id to send to for `phone`, which may differ from its digits
    /// (WhatsApp's own answer covers e.g. Brazil's extra mobile 9).
    pub(super) async fn resolve(&self, client: &Client, phone: &Phone) -> Result<Jid, SendError> {
        if let Some(known) = self.cached(phone) {
            return known;
        }
        let query: Vec<Jid> = phone.whatsapp_variants().iter().map(Jid::pn).collect();
        let answers = tokio::time::timeout(LOOKUP_TIMEOUT, client.contacts().is_on_whatsapp(&query))
            .await
            .map_err(|_| SendError::Transient(format!("checking whether {phone} is on WhatsApp timed out")))?
            .map_err(|e| lookup_error(phone, e))?;
        // Every form of the number was asked about; a registered one wins.
        let mut answers = answers.into_iter();
        let first = answers.next();
        let answer = match first {
            Some(a) if a.is_registered => a,
            other => answers
                .find(|a| a.is_registered)
                .or(other)
                .ok_or_else(|| SendError::Transient(format!("WhatsApp gave no answer about {phone}")))?,
        };
        let entry = if answer.is_registered {
            Lookup::Registered(send_target(answer.jid, answer.pn_jid))
        } else if let Some(err) = &answer.contact_error {
            let why = err.text.as_deref().unwrap_or("no reason given");
            return Err(SendError::Transient(format!(
                "WhatsApp could not check {phone}: {why}"
            )));
        } else {
            Lookup::Unregistered(Instant::now())
        };
        let result = outcome(phone, &entry);
        self.lock().insert(phone.digits().to_owned(), entry);
        result
    }

    /// Whether `phone` is on WhatsApp: the id to send to, or None.
    pub(super) async fn lookup(&self, client: &Client, phone: &Phone) -> Result<Option<Jid>, SendError> {
        match self.resolve(client, phone).await {
            Ok(jid) => Ok(Some(jid)),
            Err(_) if self.known_unregistered(phone) => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn known_unregistered(&self, phone: &Phone) -> bool {
        matches!(self.lock().get(phone.digits()), Some(Lookup::Unregistered(_)))
    }

    fn cached(&self, phone: &Phone) -> Option<Result<Jid, SendError>> {
        let known = self.lock();
        match known.get(phone.digits())? {
            Lookup::Unregistered(at) if at.elapsed() > UNREGISTERED_TTL => None,
            entry => Some(outcome(phone, entry)),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Lookup>> {
        self.known.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn outcome(phone: &Phone, entry: &Lookup) -> Result<Jid, SendError> {
    match entry {
        Lookup::Registered(jid) => Ok(jid.clone()),
        Lookup::Unregistered(_) => Err(SendError::Permanent(format!("{phone} is not on WhatsApp"))),
    }
}

/// The phone-number id WhatsApp answered with, or its hidden-number id when
/// that is all it gave.
fn send_target(jid: Jid, pn_jid: Option<Jid>) -> Jid {
    if jid.is_pn() {
        return jid.to_non_ad();
    }
    pn_jid.unwrap_or(jid).to_non_ad()
}

fn lookup_error(phone: &Phone, err: ContactError) -> SendError {
    match err {
        ContactError::InvalidJid(why) => SendError::Permanent(format!("{phone} cannot be checked: {why}")),
        other => SendError::Transient(format!("could not check whether {phone} is on WhatsApp: {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_send_target_prefers_the_phone_number_id() {
        let pn = Jid::pn("551188887777");
        assert_eq!(send_target(Jid::pn_device("551188887777", 3), None), pn);
        assert_eq!(send_target(Jid::lid("99887766"), Some(pn.clone())), pn);
        assert_eq!(send_target(Jid::lid("99887766"), None), Jid::lid("99887766"));
    }

    #[test]
    fn answers_are_remembered_and_no_is_asked_again_after_a_while() {
        let directory = NumberDirectory::default();
        let known = Phone::parse("+5511999998888", None).unwrap();
        let absent = Phone::parse("+14155552671", None).unwrap();
        assert!(directory.cached(&known).is_none());
        let jid = Jid::pn("551199998888");
        directory
            .lock()
            .insert(known.digits().to_owned(), Lookup::Registered(jid.clone()));
        assert_eq!(directory.cached(&known).unwrap().unwrap(), jid);
        directory
            .lock()
            .insert(absent.digits().to_owned(), Lookup::Unregistered(Instant::now()));
        let refused = directory.cached(&absent).unwrap().unwrap_err();
        assert_eq!(
            refused,
            SendError::Permanent("+14155552671 is not on WhatsApp".into())
        );
        let long_ago = Instant::now().checked_sub(UNREGISTERED_TTL + Duration::from_secs(1));
        if let Some(long_ago) = long_ago {
            directory
                .lock()
                .insert(absent.digits().to_owned(), Lookup::Unregistered(long_ago));
            assert!(directory.cached(&absent).is_none());
        }
    }
}
