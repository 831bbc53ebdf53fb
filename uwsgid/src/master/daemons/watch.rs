//! The once-a-second checks uWSGI's master runs on its daemons: a smart
//! daemon's pidfile (`uwsgi_daemons_smart_check`) and the `touch=` files.

use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use super::spawn::{self, signal_group};
use super::{Daemon, Daemons, State};
use crate::log::log_line;

/// The modification time of `path`, `None` when it does not exist.
pub fn mtime(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

impl Daemons {
    /// Runs the checks when a second has passed since the last ones.
    pub fn check(&mut self, now: Instant) {
        if self.next_check.is_none_or(|at| at > now) {
            return;
        }
        self.next_check = Some(now + Duration::from_secs(1));
        if self.stopping {
            return;
        }
        let honour_stdin = self.honour_stdin;
        for d in &mut self.list {
            d.check_touch();
            if d.is_smart() && d.state == State::Running {
                d.check_pidfile(honour_stdin, now);
            }
        }
    }
}

impl Daemon {
    /// A touched file restarts the daemon (`touch=`): it gets its stop
    /// signal, and is started again when it dies.
    fn check_touch(&mut self) {
        let mut touched = None;
        for (path, seen) in &mut self.touched {
            let current = mtime(path);
            if current != *seen {
                *seen = current;
                touched.get_or_insert_with(|| path.display().to_string());
            }
        }
        let (Some(file), Some(pid)) = (touched, self.pid) else {
            return;
        };
        if self.state != State::Running {
            return;
        }
        log_line!(
            "*** {file} has been touched... reloading daemon \"{}\" (pid: {pid}) !!! ***",
            self.spec.command
        );
        // Its death is then a death like any: restarted, throttled if quick.
        signal_group(pid, self.spec.stop_signal);
    }

    /// Follows the pidfile: adopts a new pid, starts the daemon again when
    /// the pid it named is gone (or never came within `freq` seconds).
    fn check_pidfile(&mut self, honour_stdin: bool, now: Instant) {
        let Some(path) = self.spec.pidfile.clone() else {
            return;
        };
        match spawn::pidfile_pid(&path) {
            None if self.monitored => self.spawn(honour_stdin, now, true),
            None => {
                self.pidfile_checks += 1;
                if self.pidfile_checks < self.spec.freq {
                    return;
                }
                if !self.has_daemonized {
                    log_line!(
                        "[uwsgi-daemons] \"{}\" (pid: {}) did not daemonize !!!",
                        self.spec.command,
                        self.pid.map_or(0, |p| p.as_raw())
                    );
                    self.pidfile_checks = 0;
                    return;
                }
                log_line!(
                    "[uwsgi-daemons] found changed pidfile for \"{}\" (old_pid: {} new_pid: -1)",
                    self.spec.command,
                    self.pid.map_or(0, |p| p.as_raw())
                );
                self.spawn(honour_stdin, now, true);
            }
            Some(pid) if Some(pid) != self.pid => {
                log_line!(
                    "[uwsgi-daemons] found changed pid for \"{}\" (old_pid: {} new_pid: {pid})",
                    self.spec.command,
                    self.pid.map_or(0, |p| p.as_raw())
                );
                self.pid = Some(pid);
            }
            Some(_) => self.monitored = true,
        }
    }
}
