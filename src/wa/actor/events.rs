//! How an actor reacts to what its session reports.

use super::Actor;
use crate::domain::{MessageStatus, Phone};
use crate::support::clock::now_ms;
use crate::wa::{InstanceStatus, ReceiptKind, WaEvent};
use std::time::Duration;

/// Wait past the end of a temporary ban before connecting again.
const BAN_MARGIN: Duration = Duration::from_secs(60);

impl Actor {
    pub(super) async fn handle_event(&mut self, event: WaEvent) {
        match event {
            WaEvent::Qr { code, valid_for } => self.show_qr(code, valid_for),
            WaEvent::QrExhausted => {
                self.stop_with(InstanceStatus::Offline, "the QR codes expired unscanned")
                    .await
            }
            WaEvent::PairCode { code } => self.update(|v| v.pair_code = Some(code)),
            WaEvent::Connected { phone } => self.connected(phone).await,
            WaEvent::Disconnected { reason, will_retry } => self.disconnected(reason, will_retry),
            WaEvent::LoggedOut { reason } => self.logged_out(&reason).await,
            WaEvent::TemporaryBan { reason, lasts } => {
                self.stop_with(
                    InstanceStatus::Offline,
                    &format!("{}: {reason}", super::TEMPORARY_BAN),
                )
                .await;
                // Queued sends wait (the sender needs the instance online);
                // once the ban is over, the session opens again by itself.
                if let Some(lasts) = lasts {
                    self.schedule_reopen(lasts + BAN_MARGIN);
                }
            }
            WaEvent::StreamReplaced => {
                self.stop_with(
                    InstanceStatus::Offline,
                    "another WhatsApp Web client replaced this session",
                )
                .await
            }
            WaEvent::ClientOutdated => {
                let hint = "set WA_VERSION to the current WhatsApp Web version and reconnect";
                self.stop_with(
                    InstanceStatus::Offline,
                    &format!("{}: {hint}", super::CLIENT_OUTDATED),
                )
                .await
            }
            WaEvent::Inbound(message) => {
                let own_phone = self.view.borrow().phone.clone();
                self.ctx
                    .inbound
                    .accept(&self.id, own_phone.as_deref(), *message)
                    .await;
            }
            WaEvent::Receipt { message_ids, kind } => self.receipts(message_ids, kind).await,
        }
    }

    fn show_qr(&self, code: String, valid_for: Duration) {
        if self.view.borrow().status == InstanceStatus::Online {
            return;
        }
        let expires = now_ms() + valid_for.as_millis() as i64;
        self.update(|v| {
            v.status = InstanceStatus::Pairing;
            v.qr = Some(code);
            v.qr_expires_at_ms = Some(expires);
        });
    }

    async fn connected(&mut self, phone: Option<Phone>) {
        self.failures = 0;
        self.reopen_at = None;
        let now = now_ms();
        let known_phone = phone
            .map(|p| p.e164().to_owned())
            .or_else(|| self.view.borrow().phone.clone());
        self.update(|v| {
            v.status = InstanceStatus::Online;
            v.qr = None;
            v.qr_expires_at_ms = None;
            v.pair_code = None;
            v.phone = known_phone.clone();
            v.last_error = None;
            v.last_connected_at_ms = Some(now);
        });
        tracing::info!(instance = %self.id, "WhatsApp connected");
        self.save_record(|r| {
            r.phone = known_phone;
            r.last_connected_at_ms = Some(now);
            r.last_error = None;
        })
        .await;
    }

    fn disconnected(&mut self, reason: String, will_retry: bool) {
        tracing::info!(instance = %self.id, %reason, "WhatsApp disconnected");
        self.update(|v| {
            v.status = InstanceStatus::Reconnecting;
            v.last_error = Some(reason);
        });
        let wait = if will_retry {
            self.ctx.watchdog
        } else {
            self.backoff()
        };
        self.schedule_reopen(wait);
    }

    /// The device is unlinked: forget it, fail what waits to be sent.
    pub(super) async fn logged_out(&mut self, reason: &str) {
        tracing::warn!(instance = %self.id, %reason, "WhatsApp logged out");
        self.close().await;
        self.forget().await;
        self.update(|v| {
            v.status = InstanceStatus::LoggedOut;
            v.last_error = Some(reason.to_owned());
        });
        let why = format!("instance logged out: {reason}");
        if let Err(e) = self.ctx.stores.queue.fail_queued(&self.id, &why).await {
            tracing::error!(instance = %self.id, error = %e, "could not fail the queued messages");
        }
    }

    /// Drops the auth state, so the next opening shows a new QR code.
    pub(super) async fn forget(&mut self) {
        self.close().await;
        if let Err(e) = self.ctx.backend.forget(&self.id).await {
            tracing::error!(instance = %self.id, error = %e, "could not delete the session's auth state");
        }
        self.update(|v| {
            v.phone = None;
            v.qr = None;
            v.pair_code = None;
        });
        self.save_record(|r| r.phone = None).await;
    }

    /// Closes the session and stays down until told otherwise.
    async fn stop_with(&mut self, status: InstanceStatus, reason: &str) {
        tracing::warn!(instance = %self.id, %reason, "WhatsApp session stopped");
        self.close().await;
        self.update(|v| {
            v.status = status;
            v.qr = None;
            v.last_error = Some(reason.to_owned());
        });
        let reason = reason.to_owned();
        self.save_record(|r| r.last_error = Some(reason)).await;
    }

    async fn receipts(&self, message_ids: Vec<String>, kind: ReceiptKind) {
        let status = match kind {
            ReceiptKind::Delivered => MessageStatus::Delivered,
            ReceiptKind::Read => MessageStatus::Read,
        };
        for id in message_ids {
            if let Err(e) = self.ctx.stores.queue.advance(&id, status, None).await {
                tracing::error!(instance = %self.id, error = %e, "could not store a receipt");
            }
        }
    }

    async fn save_record(&self, change: impl FnOnce(&mut crate::store::InstanceRecord)) {
        let stored = match self.ctx.stores.instances.instance(&self.id).await {
            Ok(Some(mut record)) => {
                change(&mut record);
                self.ctx.stores.instances.save_instance(&record).await
            }
            Ok(None) => return,
            Err(e) => Err(e),
        };
        if let Err(e) = stored {
            tracing::error!(instance = %self.id, error = %e, "could not update the instance record");
        }
    }
}
