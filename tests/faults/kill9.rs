//! kill -9 of the real binary in the middle of a 2,000-message burst over
//! 20 instances, then a restart on the same SESSION_DIR: every accepted
//! message reaches the sim network, in order per instance, and at most the
//! one in flight per instance is delivered twice (same id, attempts 2).

use crate::gateway::{eventually, Api, Proc};
use serde_json::{json, Value};
use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

const INSTANCES: usize = 20;
const PER_INSTANCE: usize = 100;
const VARS: &[(&str, &str)] = &[("TEXT_DELAY_MS", "5")];

fn instance(n: usize) -> String {
    format!("k9-{n:02}")
}

/// Sends the instance's share of the burst one by one; returns the ids of
/// the accepted ones in order, stopping at the first failure (the kill).
async fn burst(api: Api, n: usize, accepted: Arc<AtomicUsize>) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..PER_INSTANCE {
        let body = json!({ "instanceId": instance(n), "to": "+5511999999999", "message": format!("m{i}") });
        let (status, reply) = api.post("/api/send", body).await;
        if status != reqwest::StatusCode::ACCEPTED {
            break;
        }
        ids.push(reply["id"].as_str().expect("an id").to_owned());
        accepted.fetch_add(1, Ordering::Relaxed);
    }
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_mid_burst_loses_nothing_and_keeps_order() {
    let dir = tempfile::tempdir().unwrap();
    let first = Proc::start(dir.path(), VARS).await;
    for n in 0..INSTANCES {
        first.api.link(&instance(n), &format!("+1555000{n:04}")).await;
    }
    let accepted = Arc::new(AtomicUsize::new(0));
    let senders: Vec<_> = (0..INSTANCES)
        .map(|n| tokio::spawn(burst(first.api.clone(), n, accepted.clone())))
        .collect();
    eventually("half the burst is accepted", || async {
        accepted.load(Ordering::Relaxed) >= INSTANCES * PER_INSTANCE / 2
    })
    .await;
    first.kill();
    let mut accepted_ids = Vec::new();
    for sender in senders {
        accepted_ids.push(sender.await.unwrap());
    }
    let total: usize = accepted_ids.iter().map(Vec::len).sum();
    assert!(
        total < INSTANCES * PER_INSTANCE,
        "the kill landed after the burst"
    );

    let second = Proc::start(dir.path(), VARS).await;
    for (n, ids) in accepted_ids.iter().enumerate() {
        let wanted: HashSet<&str> = ids.iter().map(String::as_str).collect();
        eventually(
            &format!("{} delivered every accepted message", instance(n)),
            || async {
                let sent = second.api.sim_sent(&instance(n)).await;
                let got: HashSet<&str> = sent.iter().filter_map(|e| e["id"].as_str()).collect();
                wanted.iter().all(|id| got.contains(id))
            },
        )
        .await;
        check_record(&second.api.sim_sent(&instance(n)).await, ids, &instance(n));
    }
}

/// One entry per id, accepted ids in acceptance order, at most one resend.
fn check_record(sent: &[Value], accepted: &[String], instance: &str) {
    let ids: Vec<&str> = sent.iter().filter_map(|e| e["id"].as_str()).collect();
    let unique: HashSet<&str> = ids.iter().copied().collect();
    assert_eq!(
        unique.len(),
        ids.len(),
        "{instance}: an id appears twice in the record"
    );
    let accepted_set: HashSet<&str> = accepted.iter().map(String::as_str).collect();
    let order: Vec<&str> = ids
        .iter()
        .copied()
        .filter(|id| accepted_set.contains(id))
        .collect();
    assert_eq!(
        order,
        accepted.iter().map(String::as_str).collect::<Vec<_>>(),
        "{instance}: order"
    );
    let repeated: Vec<&Value> = sent
        .iter()
        .filter(|e| e["attempts"].as_u64() != Some(1))
        .collect();
    assert!(
        repeated.len() <= 1,
        "{instance}: more than one resend: {repeated:?}"
    );
    assert!(
        repeated.iter().all(|e| e["attempts"] == 2),
        "{instance}: {repeated:?}"
    );
}
