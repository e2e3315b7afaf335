//! Recovery: a linked instance with a large queue (written straight through
//! the store API, in concurrent batches), then a fresh start of the
//! gateway; measured from the start call to the sim network receiving the
//! first queued message.

use crate::cli::Args;
use crate::gateway::{until, Backend, Gateway, Scratch};
use crate::report::Row;
use futures::future::try_join_all;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use wagate::domain::{new_message_id, InstanceId, MessageKind};
use wagate::store::{NewOutbound, Stores};

const INSTANCE: &str = "recover-1";
const BATCH: usize = 500;

pub async fn measure(args: &Args, backend: &Backend) -> anyhow::Result<Row> {
    let scratch = Scratch::new(backend)?;
    let gateway = Gateway::start(&scratch, &[]).await?;
    gateway.api.ready().await?;
    gateway.api.link(INSTANCE).await?;
    gateway.stop().await?;
    let queued = args.queued();
    fill_queue(&scratch, queued).await?;
    let started_ms = wall_ms();
    let gateway = Gateway::start(&scratch, &[]).await?;
    let api = &gateway.api;
    until(
        "the first queued message is sent",
        Duration::from_secs(120),
        || async { api.sim_sent(INSTANCE).await.is_ok_and(|sent| !sent.is_empty()) },
    )
    .await?;
    let first = api.sim_sent(INSTANCE).await?;
    let first_at = first
        .first()
        .and_then(|entry| entry["at"].as_i64())
        .unwrap_or_default();
    gateway.stop().await?;
    scratch.remove().await?;
    Ok(Row {
        measure: "recovery: start → first queued send".into(),
        backend: backend.name().into(),
        value: Some(format!("{} ms", first_at - started_ms)),
        note: format!("{queued} messages queued"),
        ..Row::default()
    })
}

async fn fill_queue(scratch: &Scratch, count: usize) -> anyhow::Result<()> {
    let stores = Stores::open(&scratch.dir, scratch.redis()).await?;
    let instance = InstanceId::parse(INSTANCE)?;
    let mut written = 0;
    while written < count {
        let batch = BATCH.min(count - written);
        let sends = (0..batch).map(|n| {
            let message = NewOutbound {
                id: new_message_id(),
                instance: instance.clone(),
                to: "+5511999999999".into(),
                kind: MessageKind::Text,
                text: format!("queued {}", written + n),
                media_url: None,
                caption: None,
                created_at_ms: wall_ms(),
                request_id: None,
                details: Default::default(),
            };
            stores.queue.enqueue(message, None)
        });
        let stored = try_join_all(sends).await?;
        anyhow::ensure!(stored.iter().all(Option::is_some), "{INSTANCE} is not registered");
        written += batch;
    }
    Ok(())
}

fn wall_ms() -> i64 {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
}
