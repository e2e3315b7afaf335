//! The OAuth `state` that ties GHL's redirect to an install link this
//! gateway made. Anyone can point a browser at the callback with some
//! `code`, and each such hit would cost a token exchange with the client
//! secret and store whatever came back; so every install link carries a
//! fresh random state, kept in the store (where every process sharing it,
//! and a restarted one, finds it) for ten minutes, and the callback takes
//! it once before it calls GHL at all.

use crate::store::{GhlState, StoreResult};
use rand::distr::{Alphanumeric, SampleString};
use std::time::Duration;

/// How long an install link's state is good for.
pub const STATE_LIFETIME: Duration = Duration::from_secs(10 * 60);
const STATE_LEN: usize = 32;

fn mark(state: &str) -> String {
    format!("oauth-state:{state}")
}

/// A new state, noted in the store for [`STATE_LIFETIME`].
pub async fn issue(store: &dyn GhlState) -> StoreResult<String> {
    loop {
        let state = Alphanumeric.sample_string(&mut rand::rng(), STATE_LEN);
        if store
            .note_once(&mark(&state), STATE_LIFETIME.as_millis() as i64)
            .await?
        {
            return Ok(state);
        }
    }
}

/// Whether `state` is one this gateway issued, unexpired and not redeemed
/// before; it cannot be redeemed again. Text that cannot be a state is
/// refused without asking the store.
pub async fn redeem(store: &dyn GhlState, state: &str) -> StoreResult<bool> {
    let well_formed = state.len() == STATE_LEN && state.bytes().all(|b| b.is_ascii_alphanumeric());
    if !well_formed {
        return Ok(false);
    }
    store.take_once(&mark(state)).await
}
