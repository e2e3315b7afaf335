//! WhatsApp's block on reaching new contacts (a 463 answer to a send, the
//! "reach-out timelock"): the actor keeps it in the instance's view (the
//! sender holds sends to new contacts while it lasts, the panel and the
//! alerts show it), stores it so a restart or another process keeps
//! holding, and lifts it when it ends.

use super::Actor;
use crate::store::NewContactBlock;
use crate::support::clock::now_ms;
use std::time::Duration;
use tokio::time::Instant;

/// How long a block lasts when WhatsApp did not say: the next send to a
/// new contact after it asks again.
pub const UNTOLD_BLOCK: Duration = Duration::from_secs(24 * 60 * 60);

impl Actor {
    /// Holds sends to new contacts until the block ends.
    pub(super) async fn block_new_contacts(&mut self, reason: &str, until_ms: Option<i64>) {
        let now = now_ms();
        let block = NewContactBlock {
            since_ms: now,
            until_ms: Some(until_ms.unwrap_or(now + UNTOLD_BLOCK.as_millis() as i64)),
            reason: reason.to_owned(),
        };
        tracing::warn!(instance = %self.id, %reason, until_ms = block.until_ms, "WhatsApp blocks messages to new contacts");
        if let Err(e) = self
            .ctx
            .stores
            .sending
            .set_new_contact_block(&self.id, Some(&block))
            .await
        {
            tracing::error!(instance = %self.id, error = %e, "could not store the new-contact block");
        }
        self.show_block(Some(block));
    }

    /// Takes up a block stored before a restart (or by another process).
    pub(super) async fn restore_new_contact_block(&mut self) {
        match self.ctx.stores.sending.new_contact_block(&self.id).await {
            Ok(block) => self.show_block(block),
            Err(e) => {
                tracing::error!(instance = %self.id, error = %e, "could not read the new-contact block")
            }
        }
    }

    pub(super) async fn lift_new_contact_block(&mut self) {
        tracing::info!(instance = %self.id, "the block on new contacts ended");
        if let Err(e) = self
            .ctx
            .stores
            .sending
            .set_new_contact_block(&self.id, None)
            .await
        {
            tracing::error!(instance = %self.id, error = %e, "could not lift the stored new-contact block");
        }
        self.show_block(None);
    }

    fn show_block(&mut self, block: Option<NewContactBlock>) {
        self.block_lifts_at = block.as_ref().map(|b| {
            let left = b.until_ms.map_or(0, |until| (until - now_ms()).max(0));
            Instant::now() + Duration::from_millis(left as u64)
        });
        self.update(|v| v.new_contact_block = block);
    }
}
