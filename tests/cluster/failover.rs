//! Two workers and an API process share ten instances; one worker is
//! killed (SIGKILL) while 1,000 messages are queued. Every message reaches
//! the simulated network once, in per-instance order, and the survivor
//! takes the instances over.

use crate::procs::{self, eventually, member, redis_url, Api};
use reqwest::StatusCode;
use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::time::Duration;

const INSTANCES: usize = 10;
const PER_INSTANCE: usize = 100;

fn with_role(prefix: &str, role: &str) -> Vec<(&'static str, String)> {
    let mut vars = member(prefix, role);
    vars.push(("TEXT_DELAY_MS", "40".into()));
    vars
}

/// Owner of every instance, as the API reports it.
async fn owners(api: &Api) -> HashMap<String, String> {
    let (_, list) = api.get("/api/instances").await;
    let items = list["instances"].as_array().cloned().unwrap_or_default();
    items
        .iter()
        .map(|i| {
            (
                i["instanceId"].as_str().unwrap().to_owned(),
                i["owner"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

async fn queue_messages(api: &Api, ids: &[String]) -> HashMap<String, Vec<String>> {
    let mut accepted: HashMap<String, Vec<String>> = HashMap::new();
    for n in 0..PER_INSTANCE {
        for id in ids {
            let body = json!({ "instanceId": id, "to": "+5511999999999", "message": format!("{id} #{n}") });
            let (status, reply) = api.post("/api/send", body).await;
            assert_eq!(status, StatusCode::ACCEPTED, "{reply}");
            accepted
                .entry(id.clone())
                .or_default()
                .push(reply["id"].as_str().unwrap().to_owned());
        }
    }
    accepted
}

#[tokio::test]
async fn a_killed_worker_loses_nothing_and_its_instances_move_to_the_survivor() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = format!("wagate-cluster:{}:", uuid::Uuid::new_v4().simple());
    let api_proc = procs::start(dir.path(), "api", &with_role(&prefix, "api"));
    let doomed = procs::start(dir.path(), "worker-1", &with_role(&prefix, "worker"));
    let _survivor = procs::start(dir.path(), "worker-2", &with_role(&prefix, "worker"));
    let api = procs::api(&api_proc).await;

    let ids: Vec<String> = (1..=INSTANCES).map(|n| format!("wa-{n:02}")).collect();
    for (n, id) in ids.iter().enumerate() {
        api.link(id, &format!("+1555000{n:04}")).await;
    }
    eventually("both workers own instances", || async {
        let nodes: HashSet<String> = owners(&api).await.into_values().collect();
        nodes.contains("worker-1") && nodes.contains("worker-2")
    })
    .await;

    let accepted = queue_messages(&api, &ids).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    doomed.kill();

    eventually("every instance is owned by the survivor", || async {
        owners(&api).await.values().all(|owner| owner == "worker-2")
    })
    .await;
    for id in &ids {
        eventually(&format!("all of {id}'s messages arrive"), || async {
            api.sim_sent(id).await.len() == PER_INSTANCE
        })
        .await;
        let sent = api.sim_sent(id).await;
        let got: Vec<String> = sent
            .iter()
            .map(|m| m["id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(
            &got, &accepted[id],
            "{id}: every message once, in the order accepted"
        );
        let repeated = sent.iter().filter(|m| m["attempts"].as_u64() != Some(1)).count();
        assert!(
            repeated <= 1,
            "{id}: at most the in-flight message is delivered twice ({repeated})"
        );
    }
    crate::redis_restart::remove_keys(&redis_url(), &prefix).await;
}
