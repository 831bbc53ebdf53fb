//! `harakiri`: the master kills a worker whose request (on any of its
//! cores) has run longer than `harakiri` seconds, with uWSGI's log lines
//! (`trigger_harakiri`, core/master_utils.c). The check runs on the
//! master's timer about once a second while `harakiri` is set, reading the
//! request start times the workers keep in the scoreboard.
//!
//! With `harakiri-graceful-timeout` > 0 the first try sends
//! `harakiri-graceful-signal` (SIGTERM by default) and a SIGKILL follows
//! that many seconds later if the worker is still there; otherwise the
//! first try is a SIGKILL. The master's reaping respawns the worker; the
//! scoreboard records `harakiri` as its exit cause. Workers finishing after
//! a reload are checked too, while their scoreboard slot is still theirs.
//!
//! `uwsgi.set_user_harakiri(N)` (and `@harakiri`) sets a worker's own
//! deadline in its scoreboard slot; the master checks it once a second
//! whether `harakiri` is set or not, and kills as above (`HARAKIRI (user)
//! triggered by worker N core C !!!`).

use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use super::event_loop::AppMaster;
use crate::log::log_line;
use crate::scoreboard::{self, BusyCore, ExitReason, MAX_CORES, WorkerSlot};

/// How often the master looks at the workers' request times.
const CHECK_EVERY: Duration = Duration::from_secs(1);

/// Harakiri state of the master: when to look next, and the workers sent
/// the graceful signal that still have to die.
#[derive(Debug, Default)]
pub struct Harakiri {
    next_check: Option<Instant>,
    pending: Vec<Pending>,
}

#[derive(Debug, Clone, Copy)]
struct Pending {
    pid: Pid,
    kill_at: Instant,
}

impl AppMaster {
    /// The timer hook: on schedule, kills the workers past `harakiri`.
    pub(super) fn harakiri_tick(&mut self, now: Instant) {
        if self.harakiri.next_check.is_some_and(|at| at > now) {
            return;
        }
        self.harakiri.next_check = Some(now + CHECK_EVERY);
        let Some(board) = scoreboard::master() else {
            return;
        };
        // Workers finishing after a reload or SIGTTOU too: a stuck request
        // is not given the whole mercy. (Once a new worker took their slot
        // of the scoreboard, their request times are no longer visible.)
        let mut running = self.table.running();
        running.extend(self.drain.workers.iter().map(|w| (w.id, w.pid)));
        self.harakiri
            .pending
            .retain(|p| running.iter().any(|(_, pid)| *pid == p.pid));
        let limit_us = self.cfg.harakiri.saturating_mul(1_000_000);
        let now_us = scoreboard::now_us();
        let cores = self.cores();
        for (id, pid) in running {
            let Some(slot) = board.slot(id).filter(|s| s.pid() == pid.as_raw()) else {
                continue;
            };
            if let Some(at) = self.harakiri.pending.iter().position(|p| p.pid == pid) {
                if self.harakiri.pending[at].kill_at <= now {
                    self.harakiri.pending.remove(at);
                    self.trigger(id, pid, slot, 2, false);
                }
                continue;
            }
            let user = slot.user_harakiri_us();
            if user != 0 && user <= now_us {
                slot.set_user_harakiri(0);
                self.trigger(id, pid, slot, 1, true);
                continue;
            }
            let deadline = slot
                .busy_cores(cores)
                .iter()
                .map(|c| c.start_us.saturating_add(limit_us))
                .min()
                .filter(|_| limit_us > 0);
            match deadline {
                Some(at) if at <= now_us => self.trigger(id, pid, slot, 1, false),
                // Look again right when this request becomes overdue, not
                // up to a second later on the next regular check.
                Some(at) => {
                    let due = now + Duration::from_micros(at - now_us);
                    self.harakiri.next_check = self.harakiri.next_check.map(|n| n.min(due));
                }
                None => {}
            }
        }
    }

    /// When the timer must fire next for harakiri: at least once a second,
    /// for the workers' own deadlines (`set_user_harakiri`).
    pub(super) fn harakiri_wake(&self) -> Option<Instant> {
        let next = self
            .harakiri
            .next_check
            // Never checked yet: now. A deadline made afresh from `now` at
            // every wake would never come while other events (control
            // requests, stats polls) arrive more often than it.
            .unwrap_or_else(Instant::now);
        self.harakiri
            .pending
            .iter()
            .map(|p| p.kill_at)
            .chain([next])
            .min()
    }

    /// Kills worker `id` (try 1 may be graceful), with uWSGI's lines;
    /// `user`: its own deadline (`set_user_harakiri`) passed.
    fn trigger(&mut self, id: u32, pid: Pid, slot: &WorkerSlot, tries: u32, user: bool) {
        let cores = self.cores();
        let now_us = scoreboard::now_us();
        let graceful = tries == 1 && self.cfg.harakiri_graceful_timeout > 0;
        log_line!(
            "*** HARAKIRI ON WORKER {id} (pid: {pid}, try: {tries}, graceful: {}) ***",
            if graceful { "yes" } else { "no" }
        );
        if self.cfg.harakiri_verbose {
            log_proc(pid);
        }
        let busy = slot.busy_cores(cores);
        log_line!("HARAKIRI !!! worker {id} status !!!");
        for core in &busy {
            log_line!(
                "HARAKIRI [core {}] {} since {}",
                core.core,
                core.info,
                core.start_us / 1_000_000
            );
        }
        log_line!("HARAKIRI !!! end of worker {id} status !!!");
        slot.count_harakiri();
        slot.set_exit_reason(ExitReason::Harakiri);
        let signal = if graceful {
            Signal::try_from(self.cfg.harakiri_graceful_signal).unwrap_or(Signal::SIGTERM)
        } else {
            Signal::SIGKILL
        };
        if let Err(err) = kill(pid, signal) {
            log_line!("kill() of worker {id} (pid: {pid}) failed: {err}");
        }
        if graceful {
            let wait = Duration::from_secs(self.cfg.harakiri_graceful_timeout);
            self.harakiri.pending.push(Pending {
                pid,
                kill_at: Instant::now() + wait,
            });
        }
        let core = oldest(&busy, now_us).map_or(0, |c| c.core);
        let kind = if user { " (user)" } else { "" };
        log_line!("HARAKIRI{kind} triggered by worker {id} core {core} !!!");
    }

    /// The cores a worker has (one per Python thread, at most MAX_CORES).
    fn cores(&self) -> usize {
        usize::try_from(self.cfg.threads)
            .unwrap_or(1)
            .clamp(1, MAX_CORES)
    }

    /// Forgets the graceful kill pending for `pid` (it died).
    pub(super) fn forget_harakiri(&mut self, pid: Pid) {
        self.harakiri.pending.retain(|p| p.pid != pid);
    }
}

/// The core whose request started first.
fn oldest(busy: &[BusyCore], now_us: u64) -> Option<&BusyCore> {
    busy.iter()
        .filter(|c| c.start_us <= now_us)
        .min_by_key(|c| c.start_us)
}

/// `harakiri-verbose`: what the worker is blocked in.
fn log_proc(pid: Pid) {
    for (what, file) in [("syscall", "syscall"), ("wchan", "wchan")] {
        let path = format!("/proc/{pid}/{file}");
        match std::fs::read_to_string(&path) {
            Ok(text) => log_line!("HARAKIRI: -- {what}> {}", text.trim_end()),
            Err(err) => log_line!("HARAKIRI: -- {what}> cannot read {path}: {err}"),
        }
    }
}

/// uWSGI's startup warning when harakiri may kill slow uploads.
pub fn startup_warning(harakiri: u64, post_buffering: u64) -> Option<&'static str> {
    (harakiri > 0 && post_buffering == 0).then_some(
        " *** WARNING: you have enabled harakiri without post buffering. Slow upload could be rejected on post-unbuffered webservers *** ",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warns_only_without_post_buffering() {
        assert!(startup_warning(60, 0).is_some());
        assert!(startup_warning(60, 65536).is_none());
        assert!(startup_warning(0, 0).is_none());
    }

    #[test]
    fn the_first_check_is_due_at_once_not_a_second_after_every_event() {
        let cfg = crate::config::AppConfig {
            harakiri: 2,
            ..Default::default()
        };
        let master = AppMaster::new(cfg, String::new(), "/nonexistent".into(), Vec::new());
        let wake = master
            .harakiri_wake()
            .expect("a wake while harakiri is set");
        assert!(wake <= Instant::now(), "due at once");
    }

    #[test]
    fn the_oldest_request_is_blamed() {
        let busy = [
            BusyCore {
                core: 0,
                start_us: 20,
                info: String::new(),
            },
            BusyCore {
                core: 3,
                start_us: 10,
                info: String::new(),
            },
        ];
        assert_eq!(oldest(&busy, 100).map(|c| c.core), Some(3));
        assert!(oldest(&[], 100).is_none());
    }
}
