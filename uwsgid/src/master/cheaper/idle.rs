//! `cheap` (no worker until the first connection) and
//! `idle = N` (uWSGI's `uwsgi_master_check_idle`): when no worker is busy
//! and no request was served for more than N seconds, every worker stops
//! ("cheap mode") until a connection arrives on a listen socket, which
//! brings the workers back (`cheaper` of them with adaptive workers). With
//! `die-on-idle` the app stops instead. The watch is pure ([`IdleWatch`]);
//! the master's side follows.

use std::os::fd::{AsFd, AsRawFd};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::log::log_line;
use crate::master::event_loop::AppMaster;
use crate::master::shutdown::{self, StopMode};
use crate::master::workers::SlotState;

/// Counts the seconds without a request.
#[derive(Debug)]
pub struct IdleWatch {
    limit: Duration,
    requests: u64,
    since: Instant,
}

impl IdleWatch {
    pub fn new(seconds: u64, now: Instant) -> IdleWatch {
        IdleWatch {
            limit: Duration::from_secs(seconds),
            requests: 0,
            since: now,
        }
    }

    /// One cycle: `requests` served so far, whether a worker is busy. Returns
    /// how long the workers were idle when that exceeds the limit (the
    /// count then starts over).
    pub fn observe(&mut self, requests: u64, busy: bool, now: Instant) -> Option<Duration> {
        if busy {
            return None;
        }
        if requests != self.requests {
            self.requests = requests;
            self.since = now;
            return None;
        }
        let idle = now.duration_since(self.since);
        if idle.as_secs() > self.limit.as_secs() {
            self.since = now;
            return Some(idle);
        }
        None
    }

    /// Starts counting again (after the workers came back).
    pub fn restart(&mut self, now: Instant) {
        self.since = now;
    }
}

impl AppMaster {
    /// The workers were idle for `idle`: stop the app (`die-on-idle`) or
    /// every worker, gracefully, until a connection comes.
    pub(super) fn go_cheap(&mut self, idle: Duration) {
        // A worker being forked would be born into cheap mode: next time.
        if !self.table.all_running() {
            return;
        }
        let now_unix = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        log_line!(
            "workers have been inactive for more than {} seconds ({now_unix}-{})",
            self.cfg.cheaper.idle,
            now_unix.saturating_sub(idle.as_secs())
        );
        if self.cfg.cheaper.die_on_idle {
            self.begin_stop(StopMode::Immediate, 0);
            return;
        }
        self.enter_cheap_mode();
    }

    /// Cheap mode now (the master FIFO's `C`, as uWSGI's `uwsgi_go_cheap`),
    /// unless it is on already.
    pub(in crate::master) fn go_cheap_now(&mut self, why: &str) {
        if self.cheaper.cheap {
            return;
        }
        if self.stopping.is_some() || self.reload.current.is_some() || !self.table.all_running() {
            log_line!("{why}: not going cheap while workers are being started or stopped");
            return;
        }
        log_line!("going cheap...");
        self.enter_cheap_mode();
    }

    /// Stops every worker gracefully; they come back when a connection
    /// waits.
    fn enter_cheap_mode(&mut self) {
        let mercy = shutdown::mercy(&self.cfg);
        let generation = self.generation;
        for slot in self.table.iter_mut() {
            if let SlotState::Running { pid, .. } = slot.state {
                slot.state = SlotState::Down { respawn_at: None };
                self.drain.curse(slot.id, pid, generation, mercy);
            }
        }
        self.cheaper.cheap = true;
        log_line!("cheap mode enabled: waiting for socket connection...");
        let now = Instant::now();
        self.cheaper.next_cycle = Some(self.cheaper.next_cycle.map_or(now, |at| at.min(now)));
    }

    /// In cheap mode: a connection waits on a listen socket, so the workers
    /// come back (`cheaper` of them with adaptive workers).
    pub(super) fn wake_if_connection(&mut self, now: Instant) {
        if !self.connection_waiting() {
            return;
        }
        self.cheaper.cheap = false;
        if let Some(watch) = self.cheaper.idle.as_mut() {
            watch.restart(now);
        }
        if self.cheaper.enabled() {
            let needed = self.cheaper.minimum() as usize;
            while self.table.len() > needed && self.remove_worker("cheaper") {}
        }
        for id in self.table.due(now, true) {
            self.spawn_worker(id);
        }
    }

    /// Whether any listen socket has a connection to accept (`poll`, no wait).
    fn connection_waiting(&self) -> bool {
        let mut fds: Vec<libc::pollfd> = self
            .sockets
            .iter()
            .map(|s| libc::pollfd {
                fd: s.fd.as_fd().as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            })
            .collect();
        let Ok(count) = libc::nfds_t::try_from(fds.len()) else {
            return false;
        };
        // SAFETY: `fds` holds `count` initialised pollfd structs the kernel
        // may write `revents` into; the descriptors stay open meanwhile.
        let ready = unsafe { libc::poll(fds.as_mut_ptr(), count, 0) };
        ready > 0 && fds.iter().any(|p| p.revents & libc::POLLIN != 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_means_no_request_and_no_busy_worker_for_more_than_the_limit() {
        let t0 = Instant::now();
        let at = |s| t0 + Duration::from_secs(s);
        let mut watch = IdleWatch::new(2, t0);
        assert_eq!(watch.observe(0, false, at(1)), None);
        assert_eq!(
            watch.observe(0, false, at(2)),
            None,
            "not more than 2 s yet"
        );
        assert_eq!(watch.observe(0, false, at(3)), Some(Duration::from_secs(3)));
        // A request restarts the count; a busy worker holds it.
        assert_eq!(watch.observe(1, false, at(4)), None);
        assert_eq!(watch.observe(1, true, at(8)), None);
        assert_eq!(watch.observe(1, false, at(6)), None);
        assert_eq!(watch.observe(1, false, at(7)), Some(Duration::from_secs(3)));
    }
}
