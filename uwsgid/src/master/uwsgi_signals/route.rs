//! What the event loop does with the signal socket and the timers: a
//! child's message goes to its generation's table; a due timer or a
//! raised signal is routed to its target's workers (or mules:
//! `mules.rs`), as uWSGI's `uwsgi_route_signal` does (core/signal.c).

use std::time::Instant;

use nix::errno::Errno;
use nix::unistd::Pid;

use super::{Channel, Received, SignalHub, Trigger};
use crate::contract::uwsgi_signals::ToMaster;
use crate::log::log_line;
use crate::master::event_loop::AppMaster;

/// How many signals for the spooler are kept before any spooler process
/// is up (the pipe of one holds as many).
const SPOOLER_BACKLOG: usize = 64;

impl AppMaster {
    /// A child's message.
    pub(in crate::master) fn on_uwsgi_signal(&mut self, received: Received) {
        let Some(message) = received.message else {
            log_line!(
                "[uwsgi-signal] unreadable message from pid {}: {:?}",
                received.pid,
                received.text
            );
            return;
        };
        if let ToMaster::Raise(signal) = message {
            self.route_uwsgi_signal(signal);
            return;
        }
        let generation = self.generation_of(Pid::from_raw(received.pid));
        let spooler = matches!(message, ToMaster::Hello(_)) && self.is_spooler(received.pid);
        let hub = &mut self.uwsgi_signals;
        match message {
            ToMaster::Raise(_) => {}
            ToMaster::Register(signal, target) => {
                hub.table(generation).targets.insert(signal, target);
            }
            ToMaster::Timer(signal, ms) => {
                let every = std::time::Duration::from_millis(ms);
                hub.add_timer(generation, signal, Trigger::Every(every));
            }
            ToMaster::RbTimer(signal, secs, iterations) => {
                let every = std::time::Duration::from_secs(secs);
                let trigger = Trigger::RedBlack {
                    every,
                    iterations,
                    done: 0,
                };
                hub.add_timer(generation, signal, trigger);
            }
            ToMaster::Cron(signal, fields) => {
                let trigger = Trigger::Cron {
                    fields,
                    last_run: None,
                };
                hub.add_timer(generation, signal, trigger);
            }
            ToMaster::FileMonitor(signal, path) => {
                let trigger = Trigger::FileMonitor { path, seen: None };
                hub.add_timer(generation, signal, trigger);
            }
            ToMaster::Hello(wid) => {
                let Some(pipe) = received.pipe else {
                    log_line!("[uwsgi-signal] worker {wid} said hello without its pipe");
                    return;
                };
                // Writes must never block the master.
                let _ = nix::fcntl::fcntl(
                    &pipe,
                    nix::fcntl::FcntlArg::F_SETFL(nix::fcntl::OFlag::O_NONBLOCK),
                );
                hub.channels.retain(|c| c.pid != received.pid);
                hub.channels.push(Channel {
                    pid: received.pid,
                    wid,
                    mule: 0,
                    pipe,
                });
                if spooler {
                    hub.flush_spooler_backlog(received.pid);
                }
            }
            ToMaster::MuleHello(id) => {
                let Some(pipe) = received.pipe else {
                    log_line!("[uwsgi-signal] mule {id} said hello without its pipe");
                    return;
                };
                let _ = nix::fcntl::fcntl(
                    &pipe,
                    nix::fcntl::FcntlArg::F_SETFL(nix::fcntl::OFlag::O_NONBLOCK),
                );
                // A respawned mule replaces its predecessor.
                hub.channels
                    .retain(|c| c.pid != received.pid && c.mule != id);
                hub.channels.push(Channel {
                    pid: received.pid,
                    wid: 0,
                    mule: id,
                    pipe,
                });
            }
        }
    }

    /// The timers' turn (from the event loop's timer).
    pub(in crate::master) fn uwsgi_signals_tick(&mut self, now: Instant) {
        let mut keep = vec![self.generation];
        keep.extend(self.reload.current.as_ref().map(|r| r.generation));
        self.uwsgi_signals.keep_generations(&keep);
        self.uwsgi_signals.forget_gone_workers();
        for (signal, cron) in self.uwsgi_signals.due(self.generation, now) {
            if cron {
                log_line!("[uwsgi-cron] routing signal {signal}");
            }
            self.route_uwsgi_signal(signal);
        }
    }

    pub(in crate::master) fn uwsgi_signals_wake(&self) -> Option<Instant> {
        self.uwsgi_signals.next_wake(self.generation)
    }

    /// Sends `signal` to its target's workers (uWSGI's log lines).
    fn route_uwsgi_signal(&mut self, signal: u8) {
        let target = self
            .uwsgi_signals
            .target(self.generation, signal)
            .to_owned();
        let serving: Vec<(u32, i32)> = self
            .table
            .running()
            .into_iter()
            .map(|(id, pid)| (id, pid.as_raw()))
            .collect();
        let spoolers = self.spooler_channels();
        let hub = &mut self.uwsgi_signals;
        if hub.route_to_mules(signal, &target, &self.cfg.mules) {
            return;
        }
        match target.as_str() {
            "" | "worker" | "worker0" => {
                let threads = self.cfg.threads as usize;
                if !hub.send_to_one(signal, &serving, threads) {
                    log_line!("could not deliver signal {signal} to workers pool");
                }
            }
            "workers" => hub.send_to_each(signal, &serving),
            "active-workers" if self.paused => {}
            "active-workers" => hub.send_to_each(signal, &serving),
            // One of the spooler processes takes it, as uWSGI's shared
            // spooler pipe gives it to one.
            "spooler" => {
                if !hub.send_to_one(signal, &spoolers, 0)
                    && !hub.keep_for_spooler(signal, &spoolers)
                {
                    log_line!("could not deliver signal {signal} to the spooler");
                }
            }
            other => match other.strip_prefix("worker").map(str::parse::<u32>) {
                Some(Ok(wid)) if (wid as usize) <= self.table.len() => {
                    let one: Vec<(u32, i32)> =
                        serving.into_iter().filter(|(id, _)| *id == wid).collect();
                    if one.is_empty() || !hub.send_to_one(signal, &one, 0) {
                        log_line!("could not deliver signal {signal} to worker {wid}");
                    }
                }
                Some(Ok(_)) => log_line!("invalid signal target: {other}"),
                _ => log_line!("^^^ UNSUPPORTED SIGNAL TARGET: {other} ^^^"),
            },
        }
    }

    /// Whether `pid` is one of the app's spooler processes.
    fn is_spooler(&self, pid: i32) -> bool {
        self.spooler_channels().iter().any(|&(_, p)| p == pid)
    }

    /// The running spooler processes as signal receivers: a side process
    /// says hello with id 0.
    fn spooler_channels(&self) -> Vec<(u32, i32)> {
        let spoolers = self
            .side_processes
            .list
            .iter()
            .filter(|s| matches!(s.role, crate::contract::side_role::SideRole::Spooler(_)));
        spoolers
            .filter_map(|s| Some((0, s.pid?.as_raw())))
            .collect()
    }

    /// The generation a child belongs to, by its pid; a pid not known yet
    /// (a worker whose birth line is not read yet) belongs to the
    /// generation being started, if any, else to the serving one.
    fn generation_of(&mut self, pid: Pid) -> u64 {
        if self.zygotes.is_current(pid) {
            return self.generation;
        }
        if let Some(slot) = self.table.by_pid(pid) {
            return slot.generation;
        }
        if let Some(old) = self.drain.workers.iter().find(|w| w.pid == pid) {
            return old.generation;
        }
        // Spoolers and mules import the app again: what they register
        // belongs to the serving generation, where the zygote's identical
        // registrations already are.
        if self.side_processes.owns(pid) {
            return self.generation;
        }
        match self.reload.current.as_ref() {
            Some(r) => r.generation,
            None => self.generation,
        }
    }
}

impl SignalHub {
    /// Drops the pipes whose worker is gone: the write end of a pipe
    /// without a reader polls as an error.
    fn forget_gone_workers(&mut self) {
        if self.channels.is_empty() {
            return;
        }
        let mut polled: Vec<libc::pollfd> = self
            .channels
            .iter()
            .map(|c| libc::pollfd {
                fd: std::os::fd::AsRawFd::as_raw_fd(&c.pipe),
                events: 0,
                revents: 0,
            })
            .collect();
        // SAFETY: `polled` is a live array of that many pollfds.
        let ready = unsafe { libc::poll(polled.as_mut_ptr(), polled.len() as libc::nfds_t, 0) };
        if ready <= 0 {
            return;
        }
        let mut gone = polled
            .iter()
            .map(|p| p.revents & (libc::POLLERR | libc::POLLHUP) != 0);
        self.channels.retain(|_| !gone.next().unwrap_or(false));
    }

    /// To the first available worker of `serving` (one without a request
    /// in flight, else any): false when none has a pipe that takes it.
    fn send_to_one(&mut self, signal: u8, serving: &[(u32, i32)], threads: usize) -> bool {
        let board = crate::scoreboard::master();
        let busy = |wid: u32| {
            threads > 0
                && board
                    .and_then(|b| b.slot(wid))
                    .is_some_and(|slot| slot.core_snapshots(threads).iter().any(|c| c.in_request))
        };
        let mut candidates: Vec<usize> = (0..self.channels.len())
            .filter(|&i| serving.contains(&(self.channels[i].wid, self.channels[i].pid)))
            .collect();
        candidates.sort_by_key(|&i| (busy(self.channels[i].wid), self.channels[i].wid));
        self.write_first(signal, &candidates).is_some()
    }

    /// Writes `signal` into the first of `candidates` (channel indexes)
    /// whose pipe takes it, and forgets the channels found dead on the
    /// way; the mule id of the one that took it (0 for a worker), if any.
    pub(super) fn write_first(&mut self, signal: u8, candidates: &[usize]) -> Option<u32> {
        let mut dead = Vec::new();
        let mut took = None;
        for &i in candidates {
            match self.channels[i].write(signal) {
                Outcome::Sent => {
                    took = Some(self.channels[i].mule);
                    break;
                }
                Outcome::Full => {}
                Outcome::Dead => dead.push(self.channels[i].pid),
            }
        }
        self.channels.retain(|c| !dead.contains(&c.pid));
        took
    }

    /// Keeps `signal` for the first spooler process to say hello, when
    /// there are spoolers and none has yet; whether it was kept.
    fn keep_for_spooler(&mut self, signal: u8, spoolers: &[(u32, i32)]) -> bool {
        let greeted = self
            .channels
            .iter()
            .any(|c| spoolers.contains(&(c.wid, c.pid)));
        if spoolers.is_empty() || greeted || self.spooler_backlog.len() >= SPOOLER_BACKLOG {
            return false;
        }
        self.spooler_backlog.push(signal);
        true
    }

    /// Hands the signals kept for the spooler to the one that said hello.
    fn flush_spooler_backlog(&mut self, pid: i32) {
        let Some(at) = self.channels.iter().position(|c| c.pid == pid) else {
            return;
        };
        for signal in std::mem::take(&mut self.spooler_backlog) {
            if !matches!(self.channels[at].write(signal), Outcome::Sent) {
                log_line!("could not deliver signal {signal} to the spooler");
            }
        }
    }

    fn send_to_each(&mut self, signal: u8, serving: &[(u32, i32)]) {
        let mut dead = Vec::new();
        for &(wid, pid) in serving {
            let outcome = self
                .channels
                .iter()
                .find(|c| c.pid == pid)
                .map(|c| c.write(signal));
            match outcome {
                Some(Outcome::Sent) => {}
                Some(Outcome::Dead) => dead.push(pid),
                _ => log_line!("could not deliver signal {signal} to worker {wid}"),
            }
        }
        self.channels.retain(|c| !dead.contains(&c.pid));
    }
}

/// What a write into a worker's pipe did.
pub(super) enum Outcome {
    Sent,
    /// The worker does not read its signals: this one is dropped.
    Full,
    /// The worker is gone.
    Dead,
}

impl Channel {
    /// One byte into the worker's pipe (uWSGI's log lines).
    pub(super) fn write(&self, signal: u8) -> Outcome {
        let who = if self.mule > 0 {
            format!("mule {}", self.mule)
        } else {
            format!("worker {}", self.wid)
        };
        match nix::unistd::write(&self.pipe, &[signal]) {
            Ok(1) => Outcome::Sent,
            Ok(_) | Err(Errno::EAGAIN) => {
                log_line!(
                    "*** SIGNAL QUEUE IS FULL: {who} (pid: {}) does not take its signals ***",
                    self.pid
                );
                Outcome::Full
            }
            Err(err) => {
                log_line!("could not deliver signal {signal} to {who}: {err}");
                Outcome::Dead
            }
        }
    }
}
