//! The bench's flags: which measurements, on which backends, how big.
//! `--quick` shrinks every size so a run takes seconds, not minutes.

use crate::gateway::Backend;
use clap::{Parser, ValueEnum};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Measure {
    /// POST /api/send accepted rate and latency, beside a bare warp endpoint.
    Intake,
    /// API accepted → the sim network received it.
    E2e,
    /// sim inbound → the local GHL receiver got the forward.
    Inbound,
    /// RSS of the real binary with idle linked sim instances.
    Memory,
    /// Restart with a full queue → first send.
    Recovery,
    /// Voice-note transcoding: CPU time per minute of audio.
    Voice,
    /// Real whatsapp-rust sessions over the loopback WhatsApp server: RSS,
    /// idle CPU, send rate (needs the `wa-loopback` build; not in the
    /// default run).
    Real,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BackendName {
    Embedded,
    Redis,
}

#[derive(Debug, Parser)]
#[command(name = "wagate-bench", about = "Measure wagate (sim backend, loopback only)")]
pub struct Args {
    /// Measurements to run (default: all).
    #[arg(long, value_enum, value_delimiter = ',')]
    pub only: Vec<Measure>,
    /// Backends to run on (default: both).
    #[arg(long, value_enum, value_delimiter = ',')]
    pub backend: Vec<BackendName>,
    #[arg(long, default_value = "redis://127.0.0.1:6379")]
    pub redis_url: String,
    /// Concurrent keep-alive connections of the intake load.
    #[arg(long, value_delimiter = ',', default_value = "10,50")]
    pub connections: Vec<usize>,
    /// Rounds of the intake runs (bare, then gateway); the median is reported.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u16).range(1..))]
    pub rounds: u16,
    /// Most requests of one load run.
    #[arg(long, default_value_t = 60_000)]
    pub requests: usize,
    /// Longest time of one load run, in seconds.
    #[arg(long, default_value_t = 5.0)]
    pub seconds: f64,
    /// Messages of the end-to-end and inbound runs.
    #[arg(long, default_value_t = 2_000)]
    pub messages: usize,
    /// Linked idle instances at which RSS is read.
    #[arg(long, value_delimiter = ',', default_value = "1,100,1000")]
    pub instances: Vec<usize>,
    /// Messages queued before the recovery restart.
    #[arg(long, default_value_t = 100_000)]
    pub queued: usize,
    /// Seconds over which the CPU of the idle real sessions is read.
    #[arg(long, default_value_t = 30)]
    pub idle_seconds: u64,
    /// Seconds of audio each voice-note transcode takes in.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u32).range(2..=3600))]
    pub voice_seconds: u32,
    /// Small sizes everywhere: a run of seconds.
    #[arg(long)]
    pub quick: bool,
    /// Also write the figures as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

impl Args {
    /// Whether to run `measure`: the ones named, else all but the real
    /// sessions (which need their own build).
    pub fn wants(&self, measure: Measure) -> bool {
        if self.only.is_empty() {
            measure != Measure::Real
        } else {
            self.only.contains(&measure)
        }
    }

    pub fn backends(&self) -> Vec<Backend> {
        let names = if self.backend.is_empty() {
            vec![BackendName::Embedded, BackendName::Redis]
        } else {
            self.backend.clone()
        };
        names
            .into_iter()
            .map(|name| match name {
                BackendName::Embedded => Backend::Embedded,
                BackendName::Redis => Backend::Redis(self.redis_url.clone()),
            })
            .collect()
    }

    pub fn requests(&self) -> usize {
        self.shrunk(self.requests, 5_000)
    }

    pub fn max_time(&self) -> Duration {
        Duration::from_secs_f64(if self.quick {
            self.seconds.min(2.0)
        } else {
            self.seconds
        })
    }

    pub fn messages(&self) -> usize {
        self.shrunk(self.messages, 200)
    }

    /// Only the real-session measure (built with `wa-loopback`) reads it.
    #[cfg(feature = "wa-loopback")]
    pub fn idle_time(&self) -> Duration {
        Duration::from_secs(if self.quick {
            self.idle_seconds.min(5)
        } else {
            self.idle_seconds
        })
    }

    pub fn queued(&self) -> usize {
        self.shrunk(self.queued, 10_000)
    }

    pub fn instance_steps(&self) -> Vec<usize> {
        let cap = if self.quick { 100 } else { usize::MAX };
        let mut steps: Vec<usize> = self.instances.iter().map(|&n| n.min(cap)).collect();
        steps.dedup();
        steps
    }

    fn shrunk(&self, full: usize, quick_cap: usize) -> usize {
        if self.quick {
            full.min(quick_cap)
        } else {
            full
        }
    }
}
