//! Adaptive workers, uWSGI's "cheaper" subsystem: with `cheaper = N`, the
//! app runs between N and `processes` workers, as the chosen algorithm
//! decides once per master cycle (one second, uWSGI's `master-interval`).
//! - `decision.rs`: what an algorithm sees ([`decision::Sample`]) and decides;
//! - `spare.rs`, `backlog.rs`, `busyness.rs`: the algorithms, pure;
//! - `sample.rs`: the sample, read from the worker table, the scoreboard
//!   and the listen queues;
//! - `idle.rs`: `idle = N`, every worker stopped until the next connection;
//! - `scale.rs`: `uwsgictl scale` with adaptive workers.
//!
//! Workers come and go through the paths SIGTTIN/SIGTTOU use
//! (`workers/scale.rs`): a new slot after the highest, or the highest slot
//! finishing its requests gracefully.

mod backlog;
mod busyness;
mod decision;
mod idle;
mod sample;
mod scale;
mod spare;

use std::time::{Duration, Instant};

use decision::{Decision, Sample};
use nix::unistd::Pid;

use super::event_loop::AppMaster;
use crate::config::{AppConfig, CheaperAlgo, CheaperConfig};
use crate::log::log_line;

/// How often the algorithm runs (uWSGI's default `master-interval`).
const CYCLE: Duration = Duration::from_secs(1);
/// How often the listen sockets are looked at in cheap mode (`idle`).
const WAKE_POLL: Duration = Duration::from_millis(20);

/// The running algorithm and its memory.
#[derive(Debug)]
enum Algo {
    Spare(spare::Spare),
    Backlog,
    Busyness(Box<busyness::Busyness>),
    Manual,
}

/// Adaptive workers: the options, the most workers allowed and the
/// algorithm's state. Off (`cheaper` unset) it never wakes the loop.
#[derive(Debug)]
pub struct Cheaper {
    cfg: CheaperConfig,
    /// `processes`, or what `uwsgictl scale` set since.
    maximum: u32,
    algo: Option<Algo>,
    /// `idle = N`.
    idle: Option<idle::IdleWatch>,
    /// Every worker is stopped until a connection comes (`idle`).
    cheap: bool,
    /// Workers the algorithm stopped, until they exit (for uWSGI's
    /// `uWSGI worker N cheaped.`).
    cheaped: Vec<(u32, Pid)>,
    next_cycle: Option<Instant>,
}

impl Cheaper {
    /// At start: with `cheap`, no worker until the first connection.
    pub fn new(cfg: &AppConfig, now: Instant) -> Cheaper {
        let mut cheaper = Cheaper::after_reload(cfg, now);
        if cfg.cheaper.cheap {
            log_line!("cheap mode enabled: waiting for socket connection...");
            cheaper.cheap = true;
            cheaper.next_cycle = Some(now + WAKE_POLL);
        }
        cheaper
    }

    /// For a generation whose workers run already.
    pub fn after_reload(cfg: &AppConfig, now: Instant) -> Cheaper {
        let c = cfg.cheaper.clone();
        let mut log = Vec::new();
        let algo = c.enabled().then(|| match c.algo {
            CheaperAlgo::Spare => Algo::Spare(spare::Spare::default()),
            CheaperAlgo::Backlog => Algo::Backlog,
            CheaperAlgo::Busyness => {
                Algo::Busyness(Box::new(busyness::Busyness::new(&c, now, &mut log)))
            }
            CheaperAlgo::Manual => Algo::Manual,
        });
        for line in log {
            log_line!("{line}");
        }
        let idle = (c.idle > 0).then(|| idle::IdleWatch::new(c.idle, now));
        Cheaper {
            next_cycle: (algo.is_some() || idle.is_some()).then_some(now + CYCLE),
            maximum: cfg.processes,
            cfg: c,
            algo,
            idle,
            cheap: false,
            cheaped: Vec::new(),
        }
    }

    /// Whether every worker waits for a connection (`cheap`, `idle`).
    pub fn is_cheap(&self) -> bool {
        self.cheap
    }

    /// Whether adaptive workers are on.
    pub fn enabled(&self) -> bool {
        self.algo.is_some()
    }

    /// When the loop should wake for the next cycle.
    pub fn next_cycle(&self) -> Option<Instant> {
        self.next_cycle
    }

    /// The fewest workers (`cheaper`).
    pub fn minimum(&self) -> u32 {
        self.cfg.workers
    }

    pub fn maximum(&self) -> u32 {
        self.maximum
    }

    /// `uwsgictl scale N` with adaptive workers: N becomes the most workers
    /// the algorithm may start; it must leave room above `cheaper`.
    pub fn set_maximum(&mut self, processes: u32) -> Result<(), String> {
        if processes <= self.cfg.workers {
            return Err(format!(
                "with cheaper = {}, processes must be more than {}",
                self.cfg.workers, self.cfg.workers
            ));
        }
        self.maximum = processes;
        Ok(())
    }

    /// A worker that was finishing ended: uWSGI's line if the algorithm
    /// had stopped it.
    pub fn on_exit(&mut self, id: u32, pid: Pid) {
        if let Some(at) = self.cheaped.iter().position(|&c| c == (id, pid)) {
            self.cheaped.swap_remove(at);
            log_line!("uWSGI worker {id} cheaped.");
        }
    }

    fn decide(&mut self, s: &Sample, now: Instant, log: &mut Vec<String>) -> Decision {
        match self.algo.as_mut() {
            Some(Algo::Spare(spare)) => spare.decide(s, &self.cfg),
            Some(Algo::Backlog) => backlog::decide(s, &self.cfg),
            Some(Algo::Busyness(b)) => b.decide(s, &self.cfg, now, log),
            Some(Algo::Manual) | None => Decision::Hold,
        }
    }
}

impl AppMaster {
    /// One cycle of the algorithm when due: start or stop workers as it
    /// decides. Not while the app stops or reloads (as uWSGI).
    pub(super) fn cheaper_tick(&mut self, now: Instant) {
        let Some(at) = self.cheaper.next_cycle else {
            return;
        };
        if at > now {
            return;
        }
        self.cheaper.next_cycle = Some(now + CYCLE);
        // Paused workers serve nothing: neither busy nor idle (as uWSGI).
        if self.stopping.is_some() || self.reload.current.is_some() || self.paused {
            return;
        }
        if self.cheaper.cheap {
            self.cheaper.next_cycle = Some(now + WAKE_POLL);
            self.wake_if_connection(now);
            if !self.cheaper.cheap && self.cheaper.algo.is_none() && self.cheaper.idle.is_none() {
                // `cheap` alone: nothing more to watch.
                self.cheaper.next_cycle = None;
            }
            return;
        }
        let sample = self.cheaper_sample();
        let requests = self.total_requests();
        let busy = sample.busy() > 0;
        let idle = self
            .cheaper
            .idle
            .as_mut()
            .and_then(|watch| watch.observe(requests, busy, now));
        if let Some(idle) = idle {
            self.go_cheap(idle);
            if self.cheaper.cheap {
                self.cheaper.next_cycle = Some(now + WAKE_POLL);
            }
            return;
        }
        self.cheaper_decide(&sample, now);
    }

    /// Runs the algorithm on `sample` and acts on its decision.
    fn cheaper_decide(&mut self, sample: &Sample, now: Instant) {
        let mut log = Vec::new();
        let decision = self.cheaper.decide(sample, now, &mut log);
        for line in log {
            log_line!("{line}");
        }
        match decision {
            Decision::Hold => {}
            Decision::Spawn(n) => {
                for _ in 0..n {
                    self.add_worker("cheaper");
                }
            }
            // uWSGI stops only an idle worker; the highest slot goes here,
            // gracefully (see docs/compatibility.md).
            Decision::Cheap if sample.busy() < sample.active() => {
                let last = self.table.iter().max_by_key(|s| s.id);
                let stopping = last.and_then(|s| s.pid().map(|pid| (s.id, pid)));
                if self.remove_worker("cheaper")
                    && let Some(worker) = stopping
                {
                    self.cheaper.cheaped.push(worker);
                }
            }
            Decision::Cheap => {}
        }
    }
}
