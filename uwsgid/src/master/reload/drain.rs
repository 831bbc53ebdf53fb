//! Old workers finishing: after a reload (or SIGTTOU) a worker leaves the
//! table, gets SIGHUP (it stops accepting, answers what it has read with
//! `Connection: close`, closes its keep-alive connections and exits 0) and
//! has until its mercy to go; then it is SIGKILLed. It is never respawned.
//! uWSGI's lines: `worker %d buried after %d seconds` and
//! `worker %d (pid: %d) is taking too much time to die...NO MERCY !!!`.

use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::log::log_line;
use crate::master::reap::ExitCause;

/// A worker told to finish.
#[derive(Debug, Clone)]
pub struct OldWorker {
    pub id: u32,
    pub pid: Pid,
    pub generation: u64,
    pub cursed_at: Instant,
    pub deadline: Instant,
    /// SIGKILL was sent.
    pub no_mercy: bool,
}

/// Every worker still finishing, across reloads.
#[derive(Debug, Default)]
pub struct Drain {
    pub workers: Vec<OldWorker>,
}

impl Drain {
    pub fn pids(&self) -> impl Iterator<Item = Pid> + '_ {
        self.workers.iter().map(|w| w.pid)
    }

    /// The next mercy deadline not yet enforced.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.workers
            .iter()
            .filter(|w| !w.no_mercy)
            .map(|w| w.deadline)
            .min()
    }

    /// Removes and returns the worker `pid`, if it was finishing.
    pub fn take(&mut self, pid: Pid) -> Option<OldWorker> {
        let at = self.workers.iter().position(|w| w.pid == pid)?;
        Some(self.workers.remove(at))
    }

    /// Workers past their deadline that have not been killed yet; marks them.
    pub fn expire(&mut self, now: Instant) -> Vec<OldWorker> {
        let mut out = Vec::new();
        for w in self.workers.iter_mut() {
            if !w.no_mercy && w.deadline <= now {
                w.no_mercy = true;
                out.push(w.clone());
            }
        }
        out
    }
}

impl Drain {
    /// Tells the worker to finish (SIGHUP) within `mercy`.
    pub fn curse(&mut self, id: u32, pid: Pid, generation: u64, mercy: Duration) {
        let now = Instant::now();
        // ESRCH: it is already gone; its death is reaped and buried below.
        let _ = kill(pid, Signal::SIGHUP);
        self.workers.push(OldWorker {
            id,
            pid,
            generation,
            cursed_at: now,
            deadline: now + mercy,
            no_mercy: false,
        });
    }

    /// Tells the worker to stop at once (SIGTERM: its in-flight requests
    /// are cut), SIGKILLed if still there after `grace`.
    pub fn curse_now(&mut self, id: u32, pid: Pid, generation: u64, grace: Duration) {
        let now = Instant::now();
        let _ = kill(pid, Signal::SIGTERM);
        self.workers.push(OldWorker {
            id,
            pid,
            generation,
            cursed_at: now,
            deadline: now + grace,
            no_mercy: false,
        });
    }

    /// Keeps a worker that is being stopped with the app's other children
    /// (no mercy deadline of its own).
    pub fn doomed(&mut self, id: u32, pid: Pid, generation: u64) {
        let now = Instant::now();
        self.workers.push(OldWorker {
            id,
            pid,
            generation,
            cursed_at: now,
            deadline: now,
            no_mercy: true,
        });
    }

    /// A finishing worker ended (it is never respawned): logs it, and
    /// whether it was the last of a generation other than `current`.
    pub fn bury(&self, old: &OldWorker, cause: ExitCause, current: u64) {
        let secs = old.cursed_at.elapsed().as_secs();
        log_line!("worker {} buried after {secs} seconds", old.id);
        if !matches!(cause, ExitCause::Exited(0)) && !old.no_mercy {
            log_line!(
                "worker {} (pid: {}, generation: {}) {cause}",
                old.id,
                old.pid,
                old.generation
            );
        }
        if old.generation != current && !self.workers.iter().any(|w| w.generation == old.generation)
        {
            log_line!("every worker of generation {} is gone", old.generation);
        }
    }

    /// SIGKILLs what outlived its mercy.
    pub fn enforce(&mut self, now: Instant) {
        for old in self.expire(now) {
            log_line!(
                "worker {} (pid: {}) is taking too much time to die...NO MERCY !!!",
                old.id,
                old.pid
            );
            let _ = kill(old.pid, Signal::SIGKILL);
        }
    }

    /// Workers of generations older than `current` still finishing.
    pub fn older_than(&self, current: u64) -> usize {
        self.workers
            .iter()
            .filter(|w| w.generation < current)
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn old(pid: i32, deadline: Instant) -> OldWorker {
        OldWorker {
            id: 1,
            pid: Pid::from_raw(pid),
            generation: 1,
            cursed_at: Instant::now(),
            deadline,
            no_mercy: false,
        }
    }

    #[test]
    fn expires_once_and_only_past_the_deadline() {
        let now = Instant::now();
        let mut drain = Drain::default();
        drain.workers.push(old(10, now + Duration::from_secs(5)));
        drain.workers.push(old(11, now));
        assert_eq!(drain.next_deadline(), Some(now));
        let expired: Vec<i32> = drain.expire(now).iter().map(|w| w.pid.as_raw()).collect();
        assert_eq!(expired, [11]);
        assert!(drain.expire(now).is_empty());
        assert_eq!(drain.next_deadline(), Some(now + Duration::from_secs(5)));
        assert!(drain.take(Pid::from_raw(11)).is_some());
        assert!(drain.take(Pid::from_raw(11)).is_none());
        assert_eq!(drain.pids().count(), 1);
    }
}
