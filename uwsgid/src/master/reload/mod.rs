//! Graceful reload (SIGHUP), invisible to clients.
//!
//! 1. The configuration is read again (`reread.rs`); if it does not
//!    resolve, the reload fails and nothing changes.
//! 2. A new zygote is started with it (new generation) and imports the app
//!    again, while the old generation keeps serving and the old zygote
//!    still respawns its workers.
//! 3. The new generation is *ready* when its zygote reported `ready` and
//!    a worker of the new generation serves in every slot: born (each
//!    slot's `born` line read) and accepting on the same listen sockets
//!    (its scoreboard slot says so, looked at every [`POLL`]), so
//!    there is no moment without an acceptor.
//! 4. Then the new generation takes over: the old workers get SIGHUP and
//!    `reload-mercy` (else `worker-reload-mercy`) seconds to finish
//!    (`drain.rs`), the old zygote is retired, and a reload queued
//!    meanwhile starts.
//!
//! If the new zygote dies before that (exit 22: the app failed to import),
//! or the new generation is not ready within `reload-mercy` (an import
//! that hangs, say on a database that does not answer), the reload fails: the workers it forked are told to finish and the old
//! generation keeps serving. A SIGHUP during a reload is queued (at most
//! one). With `lazy-apps` there is no zygote: each new worker is exec'd
//! and imports the app itself, and the generation is ready when every new
//! worker has imported it (`lazy.rs`).
//!
//! The state lives in [`Reloads`] (a generation being started, a queued
//! SIGHUP, the `Reload` callers waiting for progress) and [`drain::Drain`]
//! (old workers finishing); `generation.rs` holds the master's handlers.

mod chain;
pub(super) mod drain;
mod generation;
mod lazy;
pub(super) mod reread;

use std::time::{Duration, Instant};

use nix::unistd::Pid;

use super::control::progress::{ReloadEvent, ReloadWatchers};
use super::shutdown;
use super::workers::WorkerTable;
use super::zygote::link::ZygoteLink;
use crate::config::AppConfig;
use crate::scoreboard;

/// How often a reload checks whether its new workers serve: often, since
/// the old workers keep serving until they do, but only during a reload.
const POLL: Duration = Duration::from_millis(5);

/// A new generation being started.
#[derive(Debug)]
pub struct Reload {
    pub started: Instant,
    pub generation: u64,
    pub cfg: AppConfig,
    pub config_json: String,
    pub table: WorkerTable,
    /// `None` with `lazy-apps`.
    pub zygote: Option<ZygoteLink>,
    /// When to look next whether its workers serve (stored, so a stream
    /// of other events cannot postpone it).
    pub next_poll: Instant,
    /// A chain reload: its workers are started one at a time (`chain.rs`).
    pub chain: Option<chain::Chain>,
}

impl Reload {
    /// When it must be ready: the reload's whole budget is its
    /// `reload-mercy`, as for a stop.
    pub fn deadline(&self) -> Instant {
        self.started + shutdown::mercy(&self.cfg)
    }

    /// Why it is given up at `now`, if it is past its deadline.
    pub fn overdue(&self, now: Instant) -> Option<String> {
        (self.deadline() <= now).then(|| {
            format!(
                "generation {} was not ready within {} seconds (reload-mercy)",
                self.generation,
                shutdown::mercy(&self.cfg).as_secs()
            )
        })
    }

    /// Its slots whose (re)spawn is due, once its zygote (if any) is ready.
    pub fn due(&self, now: Instant) -> Vec<u32> {
        if self.zygote.as_ref().is_none_or(|z| z.ready) {
            self.table.due(now, false)
        } else {
            Vec::new()
        }
    }

    /// Whether it can take over: a worker in every slot, each of them
    /// serving (with `lazy-apps`, done importing first).
    pub fn ready(&self) -> bool {
        self.table.all_running()
            && self
                .table
                .running()
                .iter()
                .all(|&(id, pid)| serving(id, pid))
    }

    /// How far it got, for the `Reload` callers.
    pub fn progress(&self) -> ReloadEvent {
        ReloadEvent::Progress {
            generation: self.generation,
            ready: count(self.table.running().len()),
            total: count(self.table.len()),
        }
    }
}

/// Reloads of the app: the one in progress, the one queued behind it and
/// who watches them.
#[derive(Debug, Default)]
pub struct Reloads {
    /// The generation being started.
    pub current: Option<Reload>,
    /// A SIGHUP came during a reload: reload again after it.
    queued: bool,
    /// The old workers are killed, not drained, when the new generation
    /// takes over (the master FIFO's `R` and `W`).
    pub brutal: bool,
    /// The next reload is a chain reload (`touch-chain-reload`, FIFO `c`).
    pub chain: bool,
    /// `Reload` callers waiting for progress.
    pub watchers: ReloadWatchers,
}

impl Reloads {
    /// Remembers a SIGHUP that came during a reload (at most one).
    pub fn queue(&mut self) {
        self.queued = true;
    }

    /// Whether a reload was queued; forgets it.
    pub fn take_queued(&mut self) -> bool {
        std::mem::take(&mut self.queued)
    }

    /// The app is stopping: nothing is queued any more, every caller is
    /// told; returns the generation being started, if any.
    pub fn cancel(&mut self, app: &str) -> Option<Reload> {
        self.queued = false;
        self.brutal = false;
        self.chain = false;
        self.watchers.cancel_all(app, "the app is stopping");
        self.current.take()
    }

    /// When the generation being started must be ready.
    pub fn deadline(&self) -> Option<Instant> {
        self.current.as_ref().map(Reload::deadline)
    }

    /// The next respawn due in the generation being started.
    pub fn next_respawn(&self) -> Option<Instant> {
        self.current.as_ref().and_then(|r| r.table.next_respawn())
    }

    /// Whether the generation being started can take over.
    pub fn ready(&self) -> bool {
        self.current.as_ref().is_some_and(Reload::ready)
    }

    /// When the reload under way looks at its workers next.
    pub fn poll_at(&self) -> Option<Instant> {
        self.current.as_ref().map(|r| r.next_poll)
    }

    /// Whether `pid` is the new generation's zygote.
    pub fn is_new_zygote(&self, pid: Pid) -> bool {
        self.current
            .as_ref()
            .and_then(|r| r.zygote.as_ref())
            .is_some_and(|z| z.pid == pid)
    }

    /// Whether `pid` is a worker of the generation being started.
    pub fn is_new_worker(&mut self, pid: Pid) -> bool {
        self.current
            .as_mut()
            .is_some_and(|r| r.table.by_pid(pid).is_some())
    }
}

/// A worker count for the control API.
pub(super) fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Whether the new worker `pid` of slot `id` serves: it took the slot
/// (with `lazy-apps`, once it imported the app) and its accept loops run.
/// Taking over any earlier would leave the listen sockets with nobody
/// accepting while the new workers start, and every connection the old
/// workers close would wait for them. A worker without a slot (no
/// scoreboard, an id past its size) counts as ready once born: nothing
/// better can be known.
fn serving(id: u32, pid: Pid) -> bool {
    match scoreboard::master().and_then(|board| board.slot(id)) {
        Some(slot) => slot.pid() == pid.as_raw() && slot.serving(),
        None => true,
    }
}
