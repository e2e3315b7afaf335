//! The coordinator of one worker process (with Redis): keeps this process
//! alive in the node set, takes free instances up to its fair share
//! (instances ÷ live processes), renews its leases, stops a session at once
//! when its lease is lost or cannot be confirmed in time, publishes the
//! state of what it runs, and carries out requests sent to its instances.

use super::control::{execute, SimSteering};
use super::lease::{Held, Leases};
use super::remote::{PublishedView, Remote};
use super::tenure::Tenure;
use crate::domain::InstanceId;
use crate::store::{InstanceRecord, StoreResult, Stores};
use crate::support::clock::now_ms;
use crate::wa::manager::SessionManager;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

struct Owned {
    held: Held,
    renewed_at: Instant,
    publisher: JoinHandle<()>,
}

pub struct Coordinator {
    leases: Leases,
    remote: Remote,
    sessions: Arc<SessionManager>,
    stores: Stores,
    sim: Option<Arc<dyn SimSteering>>,
    owned: Mutex<HashMap<InstanceId, Owned>>,
    /// How long each held lease surely lasts, for the senders.
    tenure: Arc<Tenure>,
}

impl Coordinator {
    pub fn new(
        leases: Leases,
        remote: Remote,
        sessions: Arc<SessionManager>,
        stores: Stores,
        sim: Option<Arc<dyn SimSteering>>,
        tenure: Arc<Tenure>,
    ) -> Arc<Self> {
        Arc::new(Self {
            leases,
            remote,
            sessions,
            stores,
            sim,
            owned: Mutex::new(HashMap::new()),
            tenure,
        })
    }

    fn period(&self) -> Duration {
        self.leases.ttl / 3
    }

    pub async fn run(self: Arc<Self>, wakeups: Arc<crate::send::Wakeups>, stop: CancellationToken) {
        let requests = tokio::spawn(self.clone().serve_requests(stop.clone()));
        let relay = tokio::spawn(self.remote.clone().relay_wakeups(wakeups, stop.clone()));
        while !stop.is_cancelled() {
            if let Err(e) = self.tick().await {
                tracing::warn!(error = %e, "ownership round failed; sessions keep running while their leases hold");
                self.stop_unconfirmed().await;
            }
            tokio::select! { _ = tokio::time::sleep(self.period()) => {}, _ = stop.cancelled() => {} }
        }
        let _ = tokio::join!(requests, relay);
        self.release_all().await;
    }

    /// One ownership round. The leases held are renewed before the
    /// heartbeat is written: a Redis out of memory refuses the heartbeat
    /// (a write that may grow it) but not a renewal (it only moves an
    /// expiry), so the sessions here keep running through such a spell.
    async fn tick(&self) -> StoreResult<()> {
        let records = self.stores.instances.instances().await?;
        self.renew_or_drop(&records).await?;
        let alive = self.leases.heartbeat(now_ms()).await?;
        let fair_share = records.len().div_ceil(alive);
        self.release_extra(fair_share).await;
        self.take_free(&records, fair_share).await
    }

    /// Renews every held lease; stops what was deleted or lost.
    async fn renew_or_drop(&self, records: &[InstanceRecord]) -> StoreResult<()> {
        for (id, held) in self.held() {
            if !records.iter().any(|r| r.id == id) {
                self.give_up(&id, true).await;
                continue;
            }
            let asked_at = Instant::now();
            if self.leases.renew(id.as_str(), &held).await? {
                self.tenure.hold_until(&id, asked_at + self.leases.ttl);
                if let Some(owned) = self.owned.lock().unwrap_or_else(|p| p.into_inner()).get_mut(&id) {
                    owned.renewed_at = Instant::now();
                }
            } else {
                tracing::warn!(instance = %id, "lease lost to another process; stopping the session");
                self.drop_owned(&id).await;
            }
        }
        Ok(())
    }

    async fn release_extra(&self, fair_share: usize) {
        let held = self.held();
        for (id, _) in held.iter().skip(fair_share) {
            tracing::info!(instance = %id, "handing the instance over to balance the load");
            self.give_up(id, false).await;
        }
    }

    async fn take_free(&self, records: &[InstanceRecord], fair_share: usize) -> StoreResult<()> {
        let ids: Vec<String> = records.iter().map(|r| r.id.to_string()).collect();
        let owners = self.leases.owners(&ids).await?;
        for (record, owner) in records.iter().zip(owners) {
            if self.held().len() >= fair_share {
                break;
            }
            if owner.is_some() {
                continue;
            }
            let asked_at = Instant::now();
            if let Some(held) = self.leases.acquire(record.id.as_str()).await? {
                tracing::info!(instance = %record.id, fencing_token = held.fencing_token, "took the instance over");
                self.tenure.hold_until(&record.id, asked_at + self.leases.ttl);
                self.own(record, held);
            }
        }
        Ok(())
    }

    fn own(&self, record: &InstanceRecord, held: Held) {
        let handle = self.sessions.start(&record.id, record.phone.clone());
        let publisher = tokio::spawn(publish(
            self.remote.clone(),
            self.leases.node.clone(),
            handle,
            self.leases.ttl,
        ));
        let owned = Owned {
            held,
            renewed_at: Instant::now(),
            publisher,
        };
        self.owned
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(record.id.clone(), owned);
    }

    /// Stops sessions whose lease could not be confirmed for most of its
    /// time: another process may take it over soon.
    async fn stop_unconfirmed(&self) {
        let limit = self.leases.ttl * 2 / 3;
        let stale: Vec<InstanceId> = {
            let owned = self.owned.lock().unwrap_or_else(|p| p.into_inner());
            owned
                .iter()
                .filter(|(_, o)| o.renewed_at.elapsed() > limit)
                .map(|(id, _)| id.clone())
                .collect()
        };
        for id in stale {
            tracing::warn!(instance = %id, "cannot confirm the lease; stopping the session");
            self.drop_owned(&id).await;
        }
    }

    /// Stops the session and forgets it here (the lease is no longer ours).
    async fn drop_owned(&self, id: &InstanceId) -> Option<Held> {
        let owned = self.owned.lock().unwrap_or_else(|p| p.into_inner()).remove(id)?;
        self.tenure.end(id);
        owned.publisher.abort();
        self.sessions.stop(id).await;
        Some(owned.held)
    }

    /// Stops the session and releases the lease; `deleted` also removes the
    /// instance's auth state.
    async fn give_up(&self, id: &InstanceId, deleted: bool) {
        let Some(held) = self.drop_owned(id).await else {
            return;
        };
        if deleted {
            self.sessions.remove(id).await;
        }
        if let Err(e) = self.leases.release(id.as_str(), &held).await {
            tracing::warn!(instance = %id, error = %e, "could not release a lease; it will expire");
        }
    }

    async fn release_all(&self) {
        let ids: Vec<InstanceId> = self.held().into_iter().map(|(id, _)| id).collect();
        for id in ids {
            self.give_up(&id, false).await;
        }
        let _ = self.leases.leave().await;
    }

    /// Held leases, in a stable order (by instance id).
    fn held(&self) -> Vec<(InstanceId, Held)> {
        let owned = self.owned.lock().unwrap_or_else(|p| p.into_inner());
        let mut held: Vec<_> = owned.iter().map(|(id, o)| (id.clone(), o.held.clone())).collect();
        held.sort_by(|a, b| a.0.cmp(&b.0));
        held
    }

    /// Carries out requests other processes send to the instances held here.
    async fn serve_requests(self: Arc<Self>, stop: CancellationToken) {
        while !stop.is_cancelled() {
            let ids: Vec<String> = self.held().into_iter().map(|(id, _)| id.to_string()).collect();
            match self.remote.next_request(&ids).await {
                Ok(Some((instance, control, reply_to))) => {
                    let me = self.clone();
                    tokio::spawn(async move { me.answer(&instance, control, &reply_to).await });
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read requests from Redis");
                    tokio::time::sleep(self.period()).await;
                }
            }
        }
    }

    async fn answer(&self, instance: &str, control: super::control::Control, reply_to: &str) {
        let handle = InstanceId::parse(instance)
            .ok()
            .and_then(|id| self.sessions.get(&id));
        let reply = match handle {
            Some(handle) => execute(&handle, self.sim.as_ref(), control).await,
            None => Err("this process no longer runs the instance; try again".into()),
        };
        if let Err(e) = self.remote.answer(reply_to, &reply).await {
            tracing::warn!(error = %e, "could not answer a request");
        }
    }
}

/// Publishes the instance's state on every change (announcing it to the
/// other processes' live feeds) and at least once per lease period, so
/// readers elsewhere see it and it fades if we die.
async fn publish(remote: Remote, node: String, handle: crate::wa::manager::SessionHandle, ttl: Duration) {
    let mut changes = handle.watch();
    let mut changed = true;
    loop {
        let view = PublishedView {
            owner: node.clone(),
            view: changes.borrow_and_update().clone(),
        };
        if let Err(e) = remote.publish(handle.id.as_str(), &view, ttl * 2, changed).await {
            tracing::debug!(error = %e, "could not publish an instance's state");
        }
        changed = tokio::select! {
            change = changes.changed() => if change.is_err() { return } else { true },
            _ = tokio::time::sleep(ttl / 3) => false,
        };
    }
}
