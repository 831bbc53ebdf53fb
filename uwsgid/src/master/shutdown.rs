//! Stopping the app: SIGTERM is graceful (workers get SIGHUP, finish what
//! they serve and exit), SIGINT/SIGQUIT immediate (workers get SIGTERM).
//! Either way, whatever is still alive at the deadline is SIGKILLed, and
//! the master exits only once every child, orphans adopted as subreaper
//! included, has been reaped.
//!
//! The graceful deadline is `reload-mercy` when set, else
//! `worker-reload-mercy` (60 s): uWSGI applies only the latter to workers,
//! but `reload-mercy` is what people set to bound a stop, so it wins.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use super::event_loop::AppMaster;
use super::reap;
use super::workers::SlotState;
use crate::config::AppConfig;
use crate::log::log_line;

/// How long workers told to stop at once get before SIGKILL.
pub const IMMEDIATE_GRACE: Duration = Duration::from_secs(3);
/// How often the stopping master looks for children it has not signalled
/// (a worker forked just before the zygote was stopped) and checks the deadline.
const TICK: Duration = Duration::from_millis(200);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopMode {
    /// Finish in-flight requests within the mercy.
    Graceful,
    /// Stop now.
    Immediate,
}

impl StopMode {
    /// The signal a worker gets (the worker contract: SIGHUP graceful,
    /// SIGTERM at once).
    fn worker_signal(self) -> Signal {
        match self {
            StopMode::Graceful => Signal::SIGHUP,
            StopMode::Immediate => Signal::SIGTERM,
        }
    }
}

/// The graceful stop deadline: `reload-mercy` if set, else `worker-reload-mercy`.
pub fn mercy(cfg: &AppConfig) -> Duration {
    Duration::from_secs(cfg.reload_mercy.unwrap_or(cfg.worker_reload_mercy))
}

/// A stop in progress.
#[derive(Debug)]
pub struct Stopping {
    pub mode: StopMode,
    pub started: Instant,
    pub deadline: Instant,
    pub exit_code: i32,
    /// Children already sent the mode's signal.
    signalled: HashSet<Pid>,
    /// Set once the deadline passed: everything left gets SIGKILL.
    no_mercy: bool,
    /// When to look for newcomers next (a stored instant: one recomputed
    /// from `now` at every wake would never come under a stream of events).
    next_look: Instant,
}

impl Stopping {
    fn new(mode: StopMode, exit_code: i32, grace: Duration) -> Stopping {
        let now = Instant::now();
        Stopping {
            mode,
            started: now,
            deadline: now + grace,
            exit_code,
            signalled: HashSet::new(),
            no_mercy: false,
            next_look: now + TICK,
        }
    }

    /// An immediate stop asked during a graceful one: hurries it up; false
    /// when there is nothing to hurry.
    fn hurry(&mut self, mode: StopMode, now: Instant) -> bool {
        if mode != StopMode::Immediate || self.mode != StopMode::Graceful {
            return false;
        }
        self.mode = mode;
        self.deadline = self.deadline.min(now + IMMEDIATE_GRACE);
        self.signalled.clear();
        true
    }

    /// True once, when the deadline has passed: from then on everything
    /// left gets SIGKILL.
    fn deadline_passed(&mut self, now: Instant) -> bool {
        if now < self.deadline || self.no_mercy {
            return false;
        }
        self.no_mercy = true;
        self.signalled.clear();
        true
    }

    /// Sends each of `children` not yet signalled the signal it needs now:
    /// a zygote SIGKILL (it serves nothing), workers the mode's signal, all
    /// SIGKILL past the deadline.
    fn signal(&mut self, children: impl IntoIterator<Item = Pid>, zygotes: &HashSet<Pid>) {
        for pid in children {
            if !self.signalled.insert(pid) {
                continue;
            }
            let sig = if self.no_mercy || zygotes.contains(&pid) {
                Signal::SIGKILL
            } else {
                self.mode.worker_signal()
            };
            // ESRCH: it ended meanwhile; it is reaped with the others.
            let _ = kill(pid, sig);
        }
    }

    /// When to look again: every tick, and at the deadline if it comes first.
    pub fn next_tick(&self) -> Instant {
        if self.no_mercy {
            self.next_look
        } else {
            self.next_look.min(self.deadline)
        }
    }
}

impl AppMaster {
    /// Starts stopping the app (or hurries a graceful stop up).
    pub(super) fn begin_stop(&mut self, mode: StopMode, exit_code: i32) {
        if let Some(stop) = self.stopping.as_mut() {
            if stop.hurry(mode, Instant::now()) {
                log_line!("...brutally killing workers...");
                self.signal_children();
            }
            return;
        }
        self.resume_if_paused();
        // A non-zero code is a failure already logged (GAME OVER).
        let by_signal = exit_code == 0;
        if by_signal {
            log_line!("SIGINT/SIGTERM received...killing workers...");
        }
        let grace = match mode {
            StopMode::Graceful => mercy(&self.cfg),
            StopMode::Immediate => IMMEDIATE_GRACE,
        };
        if by_signal {
            match mode {
                StopMode::Graceful => {
                    log_line!(
                        "...gracefully killing workers (mercy: {} seconds)...",
                        grace.as_secs()
                    )
                }
                StopMode::Immediate => log_line!("...brutally killing workers..."),
            }
        }
        self.stopping = Some(Stopping::new(mode, exit_code, grace));
        self.stop_daemons();
        self.stop_side_processes();
        self.zygotes.cancel_restart();
        self.cancel_reload();
        for slot in self.table.iter_mut() {
            if let SlotState::Down { .. } | SlotState::Requested { .. } = slot.state {
                slot.state = SlotState::Down { respawn_at: None };
            }
        }
        // The zygote serves no request: close its pipe; it is killed with
        // the others below.
        if let Some(link) = self.zygotes.current.as_mut() {
            link.close_commands();
        }
        self.signal_children();
        self.reap();
    }

    /// Runs every tick while stopping: signal newcomers, enforce the deadline.
    pub(super) fn stop_tick(&mut self, now: Instant) {
        let Some(stop) = self.stopping.as_mut() else {
            return;
        };
        stop.next_look = now + TICK;
        if stop.deadline_passed(now) {
            let old = self.drain.workers.iter().map(|w| (w.id, w.pid));
            for (id, pid) in self.table.running().into_iter().chain(old) {
                log_line!("worker {id} (pid: {pid}) is taking too much time to die...NO MERCY !!!");
            }
        }
        self.signal_children();
        self.reap();
    }

    /// Signals every child as the stop requires (see [`Stopping::signal`]).
    fn signal_children(&mut self) {
        let zygotes: HashSet<Pid> = self.zygotes.pids().collect();
        let mut children = reap::list_children();
        // Also the pids the tables know, in case /proc lacks `children`.
        children.extend(self.table.running().into_iter().map(|(_, pid)| pid));
        children.extend(self.drain.pids());
        children.extend(zygotes.iter().copied());
        // Daemons stop by their own signal and mercy (`daemons/`).
        children.retain(|pid| !self.daemons.owns(*pid));
        let Some(stop) = self.stopping.as_mut() else {
            return;
        };
        stop.signal(children, &zygotes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reload_mercy_wins_over_worker_reload_mercy() {
        let mut cfg = AppConfig::default();
        assert_eq!(mercy(&cfg), Duration::from_secs(60));
        cfg.worker_reload_mercy = 5;
        assert_eq!(mercy(&cfg), Duration::from_secs(5));
        cfg.reload_mercy = Some(2);
        assert_eq!(mercy(&cfg), Duration::from_secs(2));
    }

    #[test]
    fn the_next_tick_stays_put_until_the_tick_runs() {
        // A wake recomputed from `now` would drift later at every event.
        let stop = Stopping::new(StopMode::Graceful, 0, Duration::from_secs(60));
        let first = stop.next_tick();
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(stop.next_tick(), first);
        assert!(first <= Instant::now() + TICK);
    }

    #[test]
    fn signals_follow_the_worker_contract() {
        assert_eq!(StopMode::Graceful.worker_signal(), Signal::SIGHUP);
        assert_eq!(StopMode::Immediate.worker_signal(), Signal::SIGTERM);
    }
}
