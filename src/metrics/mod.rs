//! Prometheus metrics of one gateway: the collectors the pipelines count
//! into, kept in a registry of their own (so several gateways in one test
//! process do not mix), and the text rendering `/metrics` serves.

pub mod routes;

use crate::domain::InstanceId;
use crate::wa::InstanceStatus;
use prometheus::{
    Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry, TextEncoder,
};

/// Every status an instance can have, so the gauge shows zeros too.
const STATUSES: [InstanceStatus; 6] = [
    InstanceStatus::Pairing,
    InstanceStatus::Connecting,
    InstanceStatus::Online,
    InstanceStatus::Reconnecting,
    InstanceStatus::Offline,
    InstanceStatus::LoggedOut,
];

/// Upper bounds of the send latency buckets, in seconds: pacing makes
/// seconds to minutes normal.
const LATENCY_BUCKETS: [f64; 12] = [
    0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0,
];

pub struct Metrics {
    registry: Registry,
    /// Instances by status; set from the sessions on every scrape.
    pub instances: IntGaugeVec,
    /// Queued sends per instance; set from the store on every scrape.
    pub queue_depth: IntGaugeVec,
    /// Send outcomes: `sent`, `failed`, `retried`.
    pub sends: IntCounterVec,
    /// From the API accepting a send to WhatsApp taking it.
    pub send_latency: Histogram,
    pub forward_attempts: IntCounter,
    pub forward_failures: IntCounter,
    pub forwards_delivered: IntCounter,
    pub forward_dead_letters: IntCounter,
    /// Inbound messages WhatsApp delivered that could not be decrypted,
    /// per instance (the alerts watch it).
    pub inbound_undecryptable: IntCounterVec,
    /// Replies routed to a location's next number because the contact's
    /// own number could not be used.
    pub route_failovers: IntCounter,
    /// HTTP answers by route template, method and status.
    pub http_requests: IntCounterVec,
    /// Open HTTP connections.
    pub http_connections: IntGauge,
    /// Accepts that failed (out of file descriptors, for one).
    pub http_accept_errors: IntCounter,
    /// Times a new connection had to wait for HTTP_MAX_CONNECTIONS.
    pub http_connection_limit_reached: IntCounter,
    /// Connections closed by a timeout: `header_read` or `idle`.
    pub http_connection_timeouts: IntCounterVec,
}

impl Metrics {
    pub fn new() -> Self {
        let registry = Registry::new_custom(Some("wagate".into()), None).expect("a valid prefix");
        let counter = |name: &str, help: &str| {
            let c = IntCounter::new(name, help).expect("a valid counter");
            registry.register(Box::new(c.clone())).expect("a new name");
            c
        };
        let counter_vec = |name: &str, help: &str, labels: &[&str]| {
            let c = IntCounterVec::new(Opts::new(name, help), labels).expect("a valid counter");
            registry.register(Box::new(c.clone())).expect("a new name");
            c
        };
        let gauge = |name: &str, help: &str| {
            let g = IntGauge::new(name, help).expect("a valid gauge");
            registry.register(Box::new(g.clone())).expect("a new name");
            g
        };
        let gauge_vec = |name: &str, help: &str, labels: &[&str]| {
            let g = IntGaugeVec::new(Opts::new(name, help), labels).expect("a valid gauge");
            registry.register(Box::new(g.clone())).expect("a new name");
            g
        };
        let send_latency = Histogram::with_opts(
            HistogramOpts::new(
                "send_latency_seconds",
                "Time from a send being accepted to WhatsApp taking it",
            )
            .buckets(LATENCY_BUCKETS.to_vec()),
        )
        .expect("a valid histogram");
        registry
            .register(Box::new(send_latency.clone()))
            .expect("a new name");
        Self {
            instances: gauge_vec("instances", "Instances by status", &["status"]),
            queue_depth: gauge_vec("queue_depth", "Queued sends per instance", &["instance"]),
            sends: counter_vec("sends_total", "Send outcomes by result", &["result"]),
            send_latency,
            forward_attempts: counter("forward_attempts_total", "Forwards tried"),
            forward_failures: counter("forward_failures_total", "Forward tries that failed"),
            forwards_delivered: counter("forwards_delivered_total", "Forwards the receiver took"),
            forward_dead_letters: counter("forward_dead_letters_total", "Forwards given up on"),
            inbound_undecryptable: counter_vec(
                "inbound_undecryptable_total",
                "Inbound WhatsApp messages that could not be decrypted, per instance",
                &["instance"],
            ),
            route_failovers: counter(
                "route_failovers_total",
                "Replies sent from a location's next number because the contact's number was down",
            ),
            http_requests: counter_vec(
                "http_requests_total",
                "HTTP answers by route template, method and status",
                &["route", "method", "status"],
            ),
            http_connections: gauge("http_connections", "Open HTTP connections"),
            http_accept_errors: counter(
                "http_accept_errors_total",
                "HTTP accepts that failed (out of file descriptors, for one)",
            ),
            http_connection_limit_reached: counter(
                "http_connection_limit_reached_total",
                "Times a new HTTP connection waited for HTTP_MAX_CONNECTIONS",
            ),
            http_connection_timeouts: counter_vec(
                "http_connection_timeouts_total",
                "HTTP connections closed by a timeout, by which one",
                &["timeout"],
            ),
            registry,
        }
    }

    /// Sets the instance gauge to these statuses' counts (zeros included).
    pub fn set_instances(&self, statuses: impl IntoIterator<Item = InstanceStatus>) {
        let mut counts = [0i64; STATUSES.len()];
        for status in statuses {
            if let Some(i) = STATUSES.iter().position(|s| *s == status) {
                counts[i] += 1;
            }
        }
        for (status, count) in STATUSES.iter().zip(counts) {
            self.instances.with_label_values(&[status.as_str()]).set(count);
        }
    }

    /// Replaces the queue depth gauge with these depths.
    pub fn set_queue_depths(&self, depths: &[(InstanceId, u64)]) {
        self.queue_depth.reset();
        for (instance, depth) in depths {
            self.queue_depth
                .with_label_values(&[instance.as_str()])
                .set(i64::try_from(*depth).unwrap_or(i64::MAX));
        }
    }

    /// Counts a send outcome; `accepted_at_ms` gives the latency of a sent one.
    pub fn send_outcome(&self, result: SendResult, accepted_at_ms: i64) {
        self.sends.with_label_values(&[result.as_str()]).inc();
        if result == SendResult::Sent {
            let ms = (crate::support::clock::now_ms() - accepted_at_ms).max(0);
            self.send_latency.observe(ms as f64 / 1000.0);
        }
    }

    /// Every metric in the Prometheus text format.
    pub fn render(&self) -> String {
        TextEncoder::new()
            .encode_to_string(&self.registry.gather())
            .unwrap_or_default()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendResult {
    Sent,
    Failed,
    Retried,
}

impl SendResult {
    fn as_str(self) -> &'static str {
        match self {
            Self::Sent => "sent",
            Self::Failed => "failed",
            Self::Retried => "retried",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counts_with_the_prefix_and_zero_statuses() {
        let m = Metrics::new();
        m.set_instances([InstanceStatus::Online, InstanceStatus::Online]);
        m.send_outcome(SendResult::Sent, crate::support::clock::now_ms());
        let text = m.render();
        assert!(text.contains("wagate_instances{status=\"ONLINE\"} 2"), "{text}");
        assert!(
            text.contains("wagate_instances{status=\"LOGGED_OUT\"} 0"),
            "{text}"
        );
        assert!(text.contains("wagate_sends_total{result=\"sent\"} 1"), "{text}");
        assert!(text.contains("wagate_send_latency_seconds_count 1"), "{text}");
    }
}
