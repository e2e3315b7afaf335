//! The store's way to Redis: one multiplexed connection shared by every
//! store call (concurrent commands are pipelined on it), instead of a pool
//! checkout per call, which cost a PING round trip each time. A connection
//! that fails at the transport level is dropped and the next call opens a
//! fresh one; every wait is bounded by [`WAIT`].

use super::unavailable;
use crate::store::StoreResult;
use redis::aio::{ConnectionLike, MultiplexedConnection};
use redis::{AsyncConnectionConfig, Client, Cmd, Pipeline, RedisFuture, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;

/// Longest wait for a connection or an answer.
const WAIT: Duration = Duration::from_secs(5);

#[derive(Clone)]
pub(super) struct Link {
    client: Client,
    current: Arc<Mutex<Option<MultiplexedConnection>>>,
    /// Set when a call failed at the transport level: the next call opens
    /// a fresh connection.
    stale: Arc<AtomicBool>,
}

impl Link {
    pub(super) fn new(url: &str) -> StoreResult<Self> {
        Ok(Self {
            client: Client::open(url).map_err(unavailable)?,
            current: Arc::default(),
            stale: Arc::default(),
        })
    }

    /// The shared connection, opened first if there is none.
    pub(super) async fn conn(&self) -> StoreResult<LinkConnection> {
        let mut current = self.current.lock().await;
        if self.stale.swap(false, Ordering::AcqRel) {
            *current = None;
        }
        let inner = match &*current {
            Some(open) => open.clone(),
            None => {
                let config = AsyncConnectionConfig::new()
                    .set_connection_timeout(Some(WAIT))
                    .set_response_timeout(Some(WAIT));
                let opened = self
                    .client
                    .get_multiplexed_async_connection_with_config(&config)
                    .await
                    .map_err(unavailable)?;
                current.insert(opened).clone()
            }
        };
        Ok(LinkConnection {
            inner,
            link: self.clone(),
        })
    }

    /// Marks the shared connection stale after a transport failure.
    fn check<T>(&self, outcome: &redis::RedisResult<T>) {
        if let Err(e) = outcome {
            if e.is_io_error() || e.is_connection_dropped() || e.is_timeout() || e.is_unrecoverable_error() {
                self.stale.store(true, Ordering::Release);
            }
        }
    }
}

/// A handle on the shared connection that reports transport failures.
pub(super) struct LinkConnection {
    inner: MultiplexedConnection,
    link: Link,
}

impl ConnectionLike for LinkConnection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        Box::pin(async move {
            let outcome = self.inner.req_packed_command(cmd).await;
            self.link.check(&outcome);
            outcome
        })
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        Box::pin(async move {
            let outcome = self.inner.req_packed_commands(pipeline, offset, count).await;
            self.link.check(&outcome);
            outcome
        })
    }

    fn get_db(&self) -> i64 {
        self.inner.get_db()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Needs Redis (REDIS_URL, else 127.0.0.1:6379), as the other store tests do.
    fn url() -> String {
        std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
    }

    #[tokio::test]
    async fn a_connection_cut_by_the_server_is_replaced() {
        let link = Link::new(&url()).unwrap();
        let mut conn = link.conn().await.unwrap();
        let id: i64 = redis::cmd("CLIENT")
            .arg("ID")
            .query_async(&mut conn)
            .await
            .unwrap();
        let mut other = link.client.get_multiplexed_async_connection().await.unwrap();
        let _: () = redis::cmd("CLIENT")
            .arg("KILL")
            .arg("ID")
            .arg(id)
            .query_async(&mut other)
            .await
            .unwrap();
        let cut = redis::cmd("PING").query_async::<String>(&mut conn).await;
        assert!(cut.is_err(), "the cut connection still answered");
        let mut fresh = link.conn().await.unwrap();
        let pong: String = redis::cmd("PING").query_async(&mut fresh).await.unwrap();
        assert_eq!(pong, "PONG");
    }
}
