//! The short way from the intake to the forwarder: a message's forwards,
//! once stored, are handed over in memory, so the forwarder tries them at
//! once instead of reading them back from the store. While they are in
//! memory they are claimed in the store (due only when the claim runs out),
//! so no round of this or another process's forwarder takes them too. A
//! forward that waits in memory too long for its first try is left to its
//! claim running out. A stopping forwarder hands back, due at once, those
//! it has not tried; one lost with the process (killed) is due again
//! after a restart (embedded store) or when the claim runs out (Redis).

use crate::store::{ForwardRecord, FORWARD_CLAIM};
use crate::support::clock::now_ms;
use futures::{Stream, StreamExt};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Messages whose forwards can wait in memory at once; past that, forwards
/// are stored due at once and the forwarder's rounds take them.
const CAPACITY: usize = 64;
/// Time kept back from a claim for storing a try's outcome.
pub const OUTCOME_MARGIN: Duration = Duration::from_secs(10);

/// The intake's end.
#[derive(Clone)]
pub struct Handoff {
    forwards: mpsc::Sender<Vec<ForwardRecord>>,
}

/// The forwarder's end.
pub struct Handed {
    forwards: mpsc::Receiver<Vec<ForwardRecord>>,
}

/// A place for one message's forwards, held from before they are stored.
pub struct Place<'a> {
    permit: mpsc::Permit<'a, Vec<ForwardRecord>>,
}

pub fn channel() -> (Handoff, Handed) {
    let (forwards, received) = mpsc::channel(CAPACITY);
    (Handoff { forwards }, Handed { forwards: received })
}

impl Handoff {
    /// A place, when the forwarder is running and has room.
    pub fn place(&self) -> Option<Place<'_>> {
        self.forwards.try_reserve().ok().map(|permit| Place { permit })
    }
}

impl Place<'_> {
    /// Until when forwards stored now for this place are claimed.
    pub fn claimed_until_ms(&self) -> i64 {
        now_ms() + FORWARD_CLAIM.as_millis() as i64
    }

    pub fn hand_over(self, forwards: Vec<ForwardRecord>) {
        self.permit.send(forwards);
    }
}

impl Handed {
    /// Each message's forwards as they are handed over, until `stop` (or
    /// until every intake is gone).
    pub fn until_stopped<'a>(
        &'a mut self,
        stop: &'a CancellationToken,
    ) -> impl Stream<Item = Vec<ForwardRecord>> + 'a {
        futures::stream::poll_fn(move |cx| self.forwards.poll_recv(cx)).take_until(stop.cancelled())
    }

    /// Takes no more handovers; returns the forwards still waiting here.
    pub fn close(mut self) -> Vec<ForwardRecord> {
        self.forwards.close();
        let mut left = Vec::new();
        while let Ok(forwards) = self.forwards.try_recv() {
            left.extend(forwards);
        }
        left
    }
}

/// When a try of a handed-over forward must be over, so that its outcome
/// is stored before its claim runs out.
pub fn try_deadline(forward: &ForwardRecord) -> Instant {
    let claim_left = Duration::from_millis((forward.next_attempt_at_ms - now_ms()).max(0) as u64);
    Instant::now() + claim_left.saturating_sub(OUTCOME_MARGIN)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{InboundRecord, NewForward};

    fn claimed_until(due_ms: i64) -> ForwardRecord {
        let inbound = InboundRecord {
            wa_id: "w1".into(),
            instance: crate::domain::InstanceId::parse("wa-01").unwrap(),
            kind: crate::domain::MessageKind::Text,
            from: None,
            to: None,
            contact: None,
            unread: false,
            text: "hi".into(),
            media_url: None,
            caption: None,
            details: Default::default(),
            received_at_ms: 1,
            forwards: vec![NewForward {
                id: "f1".into(),
                target: crate::store::ForwardTarget::Webhook,
                body: "{}".into(),
            }],
            forwards_due_at_ms: due_ms,
            routing_generation: 0,
        };
        inbound.forward_records().remove(0)
    }

    #[test]
    fn a_try_must_end_the_outcome_margin_before_the_claim_does() {
        let (handoff, _handed) = channel();
        let place = handoff.place().unwrap();
        let deadline = try_deadline(&claimed_until(place.claimed_until_ms()));
        let room = deadline - Instant::now();
        assert!(room <= FORWARD_CLAIM - OUTCOME_MARGIN);
        assert!(room > FORWARD_CLAIM - OUTCOME_MARGIN - Duration::from_secs(1));
        let lapsed = try_deadline(&claimed_until(now_ms() + 5_000));
        assert!(
            lapsed <= Instant::now(),
            "a claim shorter than the margin leaves no time"
        );
    }

    #[tokio::test]
    async fn places_run_out_and_come_back_when_taken() {
        let (handoff, mut handed) = channel();
        let places: Vec<_> = (0..CAPACITY).map_while(|_| handoff.place()).collect();
        assert_eq!(places.len(), CAPACITY);
        assert!(handoff.place().is_none(), "no room past the capacity");
        for place in places {
            place.hand_over(vec![claimed_until(5)]);
        }
        let stop = CancellationToken::new();
        let mut stream = Box::pin(handed.until_stopped(&stop));
        assert_eq!(stream.next().await.unwrap()[0].id, "f1");
        assert!(handoff.place().is_some(), "a taken message frees a place");
    }

    #[tokio::test]
    async fn a_stop_ends_the_handovers_and_close_returns_what_was_not_taken() {
        let (handoff, mut handed) = channel();
        for _ in 0..3 {
            handoff.place().unwrap().hand_over(vec![claimed_until(5)]);
        }
        let stop = CancellationToken::new();
        {
            let mut stream = Box::pin(handed.until_stopped(&stop));
            assert!(stream.next().await.is_some());
            stop.cancel();
            assert!(stream.next().await.is_none(), "nothing is taken after the stop");
        }
        assert_eq!(handed.close().len(), 2);
        assert!(handoff.place().is_none(), "a closed forwarder takes no more");
    }

    #[tokio::test]
    async fn no_place_is_given_once_the_forwarder_is_gone() {
        let (handoff, handed) = channel();
        drop(handed);
        assert!(handoff.place().is_none());
    }
}
