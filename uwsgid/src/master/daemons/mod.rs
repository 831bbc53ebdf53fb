//! Attached daemons (`attach-daemon` and its family): commands the app
//! master starts once it is up (after the privilege drop, so as the app's
//! uid), restarts with a back-off when they die, and stops with the app and
//! around a reload — as uWSGI 2.0.31's `core/daemons.c` does. Smart daemons
//! (`smart-attach-daemon*`, `pidfile=`) are watched through their pidfile
//! once a second and left running when the app stops or reloads.
//!
//! [`Daemons`] is the state; `life.rs` starts, restarts and stops them,
//! `watch.rs` runs the once-a-second checks (pidfiles, `touch=`),
//! `hooks.rs` ties them to the app master's event loop.

mod hooks;
mod life;
pub(in crate::master) mod spawn;
mod watch;

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

use nix::unistd::Pid;

use crate::backoff::{Backoff, DAEMON_RESPAWN};
use crate::config::{AppConfig, DaemonSpec};

/// How long a stopping daemon gets before SIGKILL when `reload-mercy` is
/// unset (uWSGI's 3 s).
const DEFAULT_MERCY: Duration = Duration::from_secs(3);

/// What a daemon is doing now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Running,
    /// Waiting for its restart after a death.
    Waiting {
        at: Instant,
    },
    /// Told to stop; SIGKILL at `deadline`; started again once dead when
    /// `restart` (a reload, a touch).
    Stopping {
        deadline: Instant,
        restart: bool,
    },
    /// Not running and not coming back (the app stops), or a smart daemon
    /// left running on its own.
    Stopped,
}

/// One attached daemon.
#[derive(Debug)]
pub struct Daemon {
    pub spec: DaemonSpec,
    /// The process watched: the child started, or the pid its pidfile names.
    pub pid: Option<Pid>,
    pub state: State,
    /// How many times it was started after the first.
    pub respawns: u32,
    /// When it was last started.
    spawned_at: Instant,
    backoff: Backoff,
    /// Smart daemons: its pidfile pid was seen alive (uWSGI's status 2).
    monitored: bool,
    /// Smart daemons: once-a-second checks without a live pidfile.
    pidfile_checks: u32,
    /// Smart daemons: the started process exited (it went to background).
    has_daemonized: bool,
    /// The `touch=` files' modification times when last looked at.
    touched: Vec<(PathBuf, Option<SystemTime>)>,
}

impl Daemon {
    fn new(spec: DaemonSpec) -> Daemon {
        let mut policy = DAEMON_RESPAWN;
        if let Some(max) = spec.max_throttle.filter(|m| *m > 0) {
            policy.max = Duration::from_secs(u64::from(max));
        }
        let touched = spec
            .touch
            .iter()
            .map(|p| (p.clone(), watch::mtime(p)))
            .collect();
        Daemon {
            spec,
            pid: None,
            state: State::Stopped,
            respawns: 0,
            spawned_at: Instant::now(),
            backoff: Backoff::new(policy),
            monitored: false,
            pidfile_checks: 0,
            has_daemonized: false,
            touched,
        }
    }

    /// A smart daemon: found through its pidfile, left running on stop.
    pub fn is_smart(&self) -> bool {
        self.spec.pidfile.is_some()
    }

    /// The state as `uwsgictl status` shows it.
    pub fn state_name(&self) -> &'static str {
        match self.state {
            State::Running if self.is_smart() && !self.monitored => "starting",
            State::Running => "running",
            State::Waiting { .. } => "backoff",
            State::Stopping { .. } => "stopping",
            State::Stopped if self.pid.is_some() => "detached",
            State::Stopped => "stopped",
        }
    }
}

/// Every attached daemon of the app.
#[derive(Debug, Default)]
pub struct Daemons {
    pub list: Vec<Daemon>,
    /// The app is stopping: nothing is started again.
    stopping: bool,
    /// Stopping daemons get this long before SIGKILL.
    mercy: Duration,
    honour_stdin: bool,
    /// The next once-a-second check (pidfiles, touch files).
    next_check: Option<Instant>,
}

impl Daemons {
    pub fn new(cfg: &AppConfig) -> Daemons {
        Daemons {
            list: cfg.daemons.iter().cloned().map(Daemon::new).collect(),
            stopping: false,
            mercy: cfg
                .reload_mercy
                .filter(|m| *m > 0)
                .map_or(DEFAULT_MERCY, Duration::from_secs),
            honour_stdin: cfg.daemons_honour_stdin,
            next_check: None,
        }
    }

    /// Whether `pid` is one of the daemons' processes.
    pub fn owns(&self, pid: Pid) -> bool {
        self.list.iter().any(|d| d.pid == Some(pid))
    }

    /// The smart daemons' processes: left running when the app stops.
    fn kept(&self) -> impl Iterator<Item = Pid> + '_ {
        self.list
            .iter()
            .filter(|d| d.is_smart())
            .filter_map(|d| d.pid)
    }

    /// True when every child the master still has is a smart daemon it
    /// leaves running (so a stopping master need not wait for them).
    pub fn only_kept_left(&self) -> bool {
        if self.kept().next().is_none() {
            return false;
        }
        let kept: Vec<Pid> = self.kept().collect();
        super::reap::list_children()
            .iter()
            .all(|pid| kept.contains(pid))
    }

    /// The earliest time something is due: a restart, a kill, a check.
    pub fn next_wake(&self) -> Option<Instant> {
        let due = self.list.iter().filter_map(|d| match d.state {
            State::Waiting { at } => Some(at),
            State::Stopping { deadline, .. } => Some(deadline),
            _ => None,
        });
        due.chain(self.next_check).min()
    }
}
