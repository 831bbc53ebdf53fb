//! Where the app master's event loop meets its daemons: started once the
//! workers are on their way, a reaped daemon pid, the timer, the stop, the
//! reload and the status.

use std::time::Instant;

use nix::unistd::Pid;
use uwsgid_proto::v1::DaemonStatus;

use super::life::Death;
use crate::master::event_loop::AppMaster;
use crate::master::reap::ExitCause;
use crate::master::shutdown::StopMode;

impl AppMaster {
    /// Starts the daemons (uWSGI does so once its master loop runs).
    pub(in crate::master) fn start_daemons(&mut self) {
        self.daemons.start(Instant::now());
    }

    /// Handles `pid`'s end if it was a daemon's; false otherwise.
    pub(in crate::master) fn on_daemon_exit(&mut self, pid: Pid, cause: ExitCause) -> bool {
        match self.daemons.on_exit(pid, cause, Instant::now()) {
            None => false,
            Some(Death::Handled) => true,
            Some(Death::StopApp) => {
                self.begin_stop(StopMode::Graceful, 0);
                true
            }
        }
    }

    /// The timer: restarts, stop deadlines, the once-a-second checks.
    pub(in crate::master) fn daemons_tick(&mut self, now: Instant) {
        self.daemons.enforce(now);
        self.daemons.check(now);
    }

    /// The app stops: the daemons stop with it (smart ones stay).
    pub(in crate::master) fn stop_daemons(&mut self) {
        self.daemons.stop(Instant::now());
    }

    /// A graceful reload restarts the daemons without a pidfile, as
    /// uWSGI's binary reload does (a `lazy-apps` reload, which uWSGI does
    /// without re-exec, leaves them).
    pub(in crate::master) fn reload_daemons(&mut self) {
        if !self.cfg.lazy_apps {
            self.daemons.reload(Instant::now());
        }
    }

    /// The daemons as `uwsgictl status` shows them.
    pub(in crate::master) fn daemon_statuses(&self) -> Vec<DaemonStatus> {
        self.daemons
            .list
            .iter()
            .map(|d| DaemonStatus {
                command: d.spec.command.clone(),
                pid: d.pid.map_or(0, |p| u32::try_from(p.as_raw()).unwrap_or(0)),
                state: d.state_name().to_string(),
                respawns: d.respawns,
                pidfile: d
                    .spec
                    .pidfile
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
            })
            .collect()
    }
}
