//! Outbound message ids, chosen by the gateway when it accepts a send and
//! reused on every resend, so WhatsApp sees one message, not several.
//!
//! They keep WhatsApp Web's shape (`3EB0` + 18 upper-case hex digits), which
//! WhatsApp treats as an opaque string. The 18 digits are laid out so ids
//! made later sort later: 11 digits of wall-clock milliseconds, then 7 of a
//! per-process counter passed through a keyed permutation. Sorted ids let
//! the embedded store's id index grow at its end (a hashed id touched one
//! random index page per message, and each commit wrote all those pages to
//! the WAL). The permutation keeps the counter's uniqueness (no two ids of
//! one process are equal) without telling a recipient how many messages
//! were sent between two of theirs.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::LazyLock;

/// Bits of the permuted counter (7 hex digits).
const COUNTER_BITS: u32 = 28;
/// Bits of each half of the Feistel network over the counter.
const HALF_BITS: u32 = COUNTER_BITS / 2;
const HALF_MASK: u64 = (1 << HALF_BITS) - 1;
/// Bits of the millisecond clock (11 hex digits: until the year 2527).
const TIME_BITS: u32 = 44;
const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// This process's counter and permutation keys, drawn at first use.
struct IdSource {
    counter: AtomicU64,
    round_keys: [u64; 4],
}

static SOURCE: LazyLock<IdSource> = LazyLock::new(|| IdSource {
    counter: AtomicU64::new(rand::random()),
    round_keys: rand::random(),
});

/// A new outbound message id (`3EB0` + 18 upper-case hex digits).
pub fn new_message_id() -> String {
    let now_ms = crate::support::clock::now_ms().max(0) as u64;
    let source = &*SOURCE;
    let count = source.counter.fetch_add(1, Ordering::Relaxed);
    id_from(now_ms, permute(count, &source.round_keys))
}

/// The id for a time and an already permuted counter value.
fn id_from(now_ms: u64, permuted: u64) -> String {
    let time = now_ms & ((1 << TIME_BITS) - 1);
    let value = (u128::from(time) << COUNTER_BITS) | u128::from(permuted);
    let mut id = String::with_capacity(22);
    id.push_str("3EB0");
    for shift in (0..18).rev() {
        let digit = (value >> (shift * 4)) & 0xF;
        id.push(char::from(HEX_UPPER[digit as usize]));
    }
    id
}

/// A keyed permutation of the low 28 bits of `count`: four Feistel rounds
/// over two 14-bit halves. Any round function makes a Feistel network a
/// bijection, so distinct counts within 2^28 give distinct values.
fn permute(count: u64, round_keys: &[u64; 4]) -> u64 {
    let (mut left, mut right) = ((count >> HALF_BITS) & HALF_MASK, count & HALF_MASK);
    for key in round_keys {
        let mixed = left ^ (mix(right ^ key) & HALF_MASK);
        left = right;
        right = mixed;
    }
    (left << HALF_BITS) | right
}

/// SplitMix64's finaliser: every input bit moves about half the output bits.
fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_have_whatsapp_web_shape() {
        let id = new_message_id();
        assert_eq!(id.len(), 22);
        assert!(id.starts_with("3EB0"));
        assert!(id[4..]
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_lowercase()));
    }

    #[test]
    fn a_burst_of_ids_has_no_repeat() {
        let ids: HashSet<String> = (0..200_000).map(|_| new_message_id()).collect();
        assert_eq!(ids.len(), 200_000);
    }

    #[test]
    fn the_permutation_is_a_bijection_of_consecutive_counts() {
        let keys = [1, 2, 3, 4];
        let start = (1 << COUNTER_BITS) - 50_000;
        let values: HashSet<u64> = (start..start + 100_000).map(|c| permute(c, &keys)).collect();
        assert_eq!(values.len(), 100_000);
        assert!(values.iter().all(|v| *v < 1 << COUNTER_BITS));
    }

    #[test]
    fn the_permuted_counter_does_not_count_up() {
        let keys: [u64; 4] = [0x0123_4567, 0x89ab_cdef, 0xdead_beef, 0x0bad_cafe];
        let steps_of_one = (0..1_000u64)
            .filter(|c| permute(c + 1, &keys) == permute(*c, &keys) + 1)
            .count();
        assert!(
            steps_of_one < 10,
            "{steps_of_one} of 1000 consecutive counts stayed consecutive"
        );
    }

    #[test]
    fn later_ids_sort_later() {
        let earlier = id_from(1_764_650_000_000, (1 << COUNTER_BITS) - 1);
        let later = id_from(1_764_650_000_001, 0);
        assert!(earlier < later, "{earlier} should sort before {later}");
        assert_eq!(&id_from(0x123_4567_89AB, 0xCDE_F012)[4..], "123456789ABCDEF012");
    }
}
