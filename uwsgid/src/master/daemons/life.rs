//! Starting, restarting and stopping attached daemons, with uWSGI's log
//! lines (pinned against uWSGI 2.0.31 in `tests/e2e/daemons/`).

use std::time::{Duration, Instant};

use nix::unistd::Pid;

use super::spawn::{self, signal_group};
use super::{Daemon, Daemons, State};
use crate::log::log_line;
use crate::master::reap::ExitCause;

/// What a daemon's death asks of the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Death {
    /// Nothing more (restarted, or waiting for it).
    Handled,
    /// An `attach-control-daemon` died: the app stops.
    StopApp,
}

impl Daemons {
    /// Starts every daemon (a smart one only if its pidfile names no live
    /// process), as uWSGI's `uwsgi_daemons_spawn_all`.
    pub fn start(&mut self, now: Instant) {
        let honour_stdin = self.honour_stdin;
        for d in &mut self.list {
            match d.spec.pidfile.as_deref().and_then(spawn::pidfile_pid) {
                Some(pid) => {
                    log_line!(
                        "[uwsgi-daemons] found valid/active pidfile for \"{}\" (pid: {pid})",
                        d.spec.command
                    );
                    d.pid = Some(pid);
                    d.state = State::Running;
                }
                None => d.spawn(honour_stdin, now, false),
            }
        }
        if !self.list.is_empty() {
            self.next_check = Some(now + Duration::from_secs(1));
        }
    }

    /// A child of a daemon's ended; `None` when `pid` is no daemon's.
    pub fn on_exit(&mut self, pid: Pid, cause: ExitCause, now: Instant) -> Option<Death> {
        let stopping = self.stopping;
        let honour_stdin = self.honour_stdin;
        let d = self.list.iter_mut().find(|d| d.pid == Some(pid))?;
        if d.is_smart() {
            // The command went to background (or the watched pid died):
            // the once-a-second pidfile check decides what comes next.
            d.has_daemonized = true;
            return Some(Death::Handled);
        }
        d.pid = None;
        match d.state {
            State::Stopping { restart: true, .. } if !stopping => {
                // uWSGI's new image starts them afresh ("spawning").
                d.backoff.reset();
                d.spawn(honour_stdin, now, false);
                return Some(Death::Handled);
            }
            _ if stopping => {
                log_line!("daemon \"{}\" (pid: {pid}) annihilated", d.spec.command);
                d.state = State::Stopped;
                return Some(Death::Handled);
            }
            _ => {}
        }
        if d.spec.control {
            log_line!(
                "[uwsgi-daemons] control daemon \"{}\" (pid: {pid}) {cause}",
                d.spec.command
            );
            log_line!("graceful shutdown triggered...");
            d.state = State::Stopped;
            return Some(Death::StopApp);
        }
        d.schedule_respawn(now);
        Some(Death::Handled)
    }

    /// The app stops: daemons without a pidfile get their stop signal
    /// (SIGKILL after the mercy); smart ones stay, told only with `notifypid`.
    pub fn stop(&mut self, now: Instant) {
        self.stopping = true;
        self.signal_all(now, false);
    }

    /// The app reloads: as uWSGI's binary reload, daemons without a pidfile
    /// are stopped (`reloadsignal=` if set) and started again; smart ones
    /// stay, told only with `notifypid` (`reloadsignal=` or SIGHUP).
    pub fn reload(&mut self, now: Instant) {
        if !self.stopping {
            self.signal_all(now, true);
        }
    }

    fn signal_all(&mut self, now: Instant, reloading: bool) {
        let deadline = now + self.mercy;
        for d in &mut self.list {
            let Some(pid) = d.pid else {
                if matches!(d.state, State::Waiting { .. }) {
                    d.state = if reloading { d.state } else { State::Stopped };
                }
                continue;
            };
            if d.is_smart() {
                if d.spec.notify_pid {
                    let sig = match reloading {
                        true => d.spec.reload_signal.unwrap_or(libc::SIGHUP),
                        false => d.spec.stop_signal,
                    };
                    signal_group(pid, sig);
                }
                if !reloading {
                    d.state = State::Stopped;
                }
                continue;
            }
            if matches!(d.state, State::Stopping { .. }) {
                continue;
            }
            log_line!(
                "[uwsgi-daemons] stopping daemon (pid: {pid}): {}",
                d.spec.command
            );
            let sig = match reloading {
                true => d.spec.reload_signal.unwrap_or(d.spec.stop_signal),
                false => d.spec.stop_signal,
            };
            signal_group(pid, sig);
            d.state = State::Stopping {
                deadline,
                restart: reloading,
            };
        }
    }

    /// Restarts due daemons and SIGKILLs those past their stop deadline.
    pub fn enforce(&mut self, now: Instant) {
        let honour_stdin = self.honour_stdin;
        for d in &mut self.list {
            match d.state {
                State::Waiting { at } if at <= now && !self.stopping => {
                    d.spawn(honour_stdin, now, true);
                }
                State::Stopping { deadline, restart } if deadline <= now => {
                    if let Some(pid) = d.pid {
                        log_line!(
                            "[uwsgi-daemons] daemon did not die in time, killing (pid: {pid}): {}",
                            d.spec.command
                        );
                        signal_group(pid, libc::SIGKILL);
                    }
                    // Killed once: the death (reaped soon) ends the stop.
                    d.state = State::Stopping {
                        deadline: now + Duration::from_secs(3600),
                        restart,
                    };
                }
                _ => {}
            }
        }
    }
}

impl Daemon {
    /// Starts the command (`again`: after a death); a failure to start
    /// counts as a quick death.
    pub(super) fn spawn(&mut self, honour_stdin: bool, now: Instant, again: bool) {
        let (uid, gid) = spawn::identity(&self.spec);
        let re = if again { "re" } else { "" };
        log_line!(
            "[uwsgi-daemons] {re}spawning \"{}\" (uid: {uid} gid: {gid})",
            self.spec.command
        );
        if again {
            self.respawns += 1;
        }
        self.spawned_at = now;
        self.monitored = false;
        self.pidfile_checks = 0;
        self.has_daemonized = false;
        match spawn::spawn(&self.spec, honour_stdin) {
            Ok(pid) => {
                self.pid = Some(pid);
                self.state = State::Running;
                if self.spec.daemonize {
                    self.write_pidfile(pid);
                }
            }
            Err(err) => {
                log_line!(
                    "[uwsgi-daemons] unable to spawn \"{}\": {err}",
                    self.spec.command
                );
                self.pid = None;
                self.schedule_respawn(now);
            }
        }
    }

    /// `smart-attach-daemon2`: the command stays in the foreground and
    /// uwsgid writes its pid (uWSGI forks once more to the same end).
    fn write_pidfile(&mut self, pid: Pid) {
        self.has_daemonized = true;
        if let Some(path) = &self.spec.pidfile
            && let Err(err) = std::fs::write(path, format!("{pid}\n"))
        {
            log_line!("[uwsgi-daemons] cannot write {}: {err}", path.display());
        }
    }

    /// Waits as the back-off says (uWSGI's "throttling" line), then starts.
    pub(super) fn schedule_respawn(&mut self, now: Instant) {
        let delay = self.backoff.on_death(now - self.spawned_at);
        if !delay.is_zero() {
            log_line!(
                "[uwsgi-daemons] throttling \"{}\" for {} seconds",
                self.spec.command,
                delay.as_secs()
            );
        }
        self.pid = None;
        self.state = State::Waiting { at: now + delay };
    }
}
