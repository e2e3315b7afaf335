//! Reading poll votes. WhatsApp seals each vote (AES-GCM) with a key made
//! from a secret only the poll's own message carries
//! (`messageContextInfo.messageSecret`), the poll's id and the creator's
//! and voter's ids (wacore `poll`; whatsapp-rust's `Polls::decrypt_vote`
//! does the same but leaves keeping the secret to its caller). The session
//! keeps the secret and options of the polls it sees while it runs (the
//! latest [`POLLS_KEPT`], in memory), and reads the votes on those; a vote
//! on any other poll stays unread. As WhatsApp Web does, a vote that does
//! not open under the ids it came with is tried once more under their
//! other form (phone number and LID), when both are known.

use std::collections::{HashMap, VecDeque};
use whatsapp_rust::proto_helpers::MessageExt;
use whatsapp_rust::types::events::{InboundMessage as WaInbound, MessageBatch};
use whatsapp_rust::wacore::poll::{self, PollVoteAddressing, PollVoteCiphertext};
use whatsapp_rust::waproto::whatsapp as wa;
use whatsapp_rust::Jid;

/// Polls whose votes can be read; the oldest are forgotten past this.
pub const POLLS_KEPT: usize = 512;

#[derive(Default)]
pub struct PollBook {
    polls: HashMap<String, KnownPoll>,
    order: VecDeque<String>,
}

struct KnownPoll {
    secret: Vec<u8>,
    options: Vec<String>,
    creator: Jid,
    creator_alt: Option<Jid>,
}

impl PollBook {
    /// Notes the polls `batch` starts, and reads its votes on polls known
    /// here: the options each vote chooses, by the vote's message id.
    pub fn read_batch(&mut self, batch: &MessageBatch) -> HashMap<String, Vec<String>> {
        let mut votes = HashMap::new();
        for item in batch.iter() {
            self.note(item);
            if let Some(options) = self.read_vote(item) {
                votes.insert(item.info.id.clone(), options);
            }
        }
        votes
    }

    fn note(&mut self, item: &WaInbound) {
        let base = item.message.get_base_message();
        let Some(poll) = base
            .poll_creation_message
            .as_option()
            .or(base.poll_creation_message_v2.as_option())
            .or(base.poll_creation_message_v3.as_option())
        else {
            return;
        };
        let Some(secret) = secret_of(&item.message).or_else(|| secret_of(base)) else {
            return;
        };
        if self.order.len() == POLLS_KEPT {
            if let Some(oldest) = self.order.pop_front() {
                self.polls.remove(&oldest);
            }
        }
        let known = KnownPoll {
            secret,
            options: poll
                .options
                .iter()
                .filter_map(|o| o.option_name.clone())
                .collect(),
            creator: item.info.source.sender.clone(),
            creator_alt: item.info.source.sender_alt.clone(),
        };
        self.order.push_back(item.info.id.clone());
        self.polls.insert(item.info.id.clone(), known);
    }

    fn read_vote(&self, item: &WaInbound) -> Option<Vec<String>> {
        let update = item.message.get_base_message().poll_update_message.as_option()?;
        let poll_id = update.poll_creation_message_key.as_option()?.id.clone()?;
        let known = self.polls.get(&poll_id)?;
        let vote = update.vote.as_option()?;
        let sealed = PollVoteCiphertext {
            enc_payload: vote.enc_payload.as_deref()?,
            enc_iv: vote.enc_iv.as_deref()?,
        };
        let source = &item.info.source;
        let ids = |creator: &Jid, voter: &Jid| (creator.to_non_ad_string(), voter.to_non_ad_string());
        let primary = ids(&known.creator, &source.sender);
        let other = match (&known.creator_alt, &source.sender_alt) {
            (Some(creator), Some(voter)) => Some(ids(creator, voter)),
            _ => None,
        };
        let opened = poll::decrypt_poll_vote_with_fallback(
            sealed,
            &known.secret,
            &poll_id,
            addressing(&primary),
            other.as_ref().map(addressing),
        );
        match opened {
            Ok(hashes) => Some(chosen(&known.options, &hashes)),
            Err(e) => {
                tracing::warn!(poll = %poll_id, error = %e, "a poll vote did not open; passed on unread");
                None
            }
        }
    }
}

fn addressing((creator, voter): &(String, String)) -> PollVoteAddressing<'_> {
    PollVoteAddressing {
        poll_creator_jid: creator,
        voter_jid: voter,
    }
}

fn secret_of(message: &wa::Message) -> Option<Vec<u8>> {
    let secret = message.message_context_info.as_option()?.message_secret.clone()?;
    (!secret.is_empty()).then_some(secret)
}

/// The options whose hashes a vote names (votes name options by the
/// SHA-256 of their text).
fn chosen(options: &[String], hashes: &[Vec<u8>]) -> Vec<String> {
    options
        .iter()
        .filter(|option| {
            hashes
                .iter()
                .any(|h| h[..] == poll::compute_option_hash(option)[..])
        })
        .cloned()
        .collect()
}
