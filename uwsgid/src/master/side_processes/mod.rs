//! The processes beside the workers that run the app's Python: spooler
//! processes (`spooler`, `spooler-processes`) and mules (`mule`, `mules`).
//! The master execs each one (`master/spawn.rs`, `Spawner::side`) once the
//! workers are on their way, restarts one that dies with uWSGI's line and
//! a back-off, and replaces them all when a graceful reload takes over, so
//! they run the new code; the old ones get SIGHUP (finish the task or
//! message in hand) and SIGKILL after the mercy. A stop signals them with
//! the workers (`shutdown.rs`) and nothing is started again.
//!
//! [`SideProcesses`] is the state; `life.rs` starts, restarts and retires
//! them; `hooks.rs` ties them to the app master's event loop.

mod hooks;
mod life;

use std::time::{Duration, Instant};

use nix::unistd::Pid;

use crate::backoff::{Backoff, WORKER_RESPAWN};
use crate::config::AppConfig;
use crate::contract::side_role::SideRole;

/// What a side process is doing now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Running,
    /// Waiting for its restart after a death.
    Waiting {
        at: Instant,
    },
    /// Not running and not coming back (the app stops).
    Stopped,
}

/// One spooler process or mule.
#[derive(Debug)]
pub struct Side {
    pub role: SideRole,
    /// The spooler's directory, or the mule's script (empty for a bare
    /// mule).
    pub name: String,
    pub pid: Option<Pid>,
    pub state: State,
    /// How many times it was started after the first.
    pub respawns: u32,
    spawned_at: Instant,
    backoff: Backoff,
}

/// A side process replaced by a reload (or told to stop), until it is
/// reaped; SIGKILL at `deadline`.
#[derive(Debug)]
pub struct Retiring {
    pub role: SideRole,
    pub name: String,
    pub pid: Pid,
    deadline: Instant,
    killed: bool,
}

/// Every side process of the app.
#[derive(Debug)]
pub struct SideProcesses {
    pub list: Vec<Side>,
    pub retiring: Vec<Retiring>,
    /// The app is stopping: nothing is started again.
    stopping: bool,
    /// How long a retiring process gets before SIGKILL.
    mercy: Duration,
}

impl SideProcesses {
    pub fn new(cfg: &AppConfig) -> SideProcesses {
        SideProcesses {
            list: planned(cfg),
            retiring: Vec::new(),
            stopping: false,
            mercy: super::shutdown::mercy(cfg),
        }
    }

    /// Whether `pid` is a side process's, current or retiring.
    pub fn owns(&self, pid: Pid) -> bool {
        self.list.iter().any(|s| s.pid == Some(pid)) || self.retiring.iter().any(|r| r.pid == pid)
    }

    /// The earliest time something is due: a restart, a kill.
    pub fn next_wake(&self) -> Option<Instant> {
        let restarts = self.list.iter().filter_map(|s| match s.state {
            State::Waiting { at } => Some(at),
            _ => None,
        });
        let kills = self
            .retiring
            .iter()
            .filter(|r| !r.killed)
            .map(|r| r.deadline);
        restarts.chain(kills).min()
    }
}

impl Side {
    fn new(role: SideRole, name: String) -> Side {
        Side {
            role,
            name,
            pid: None,
            state: State::Stopped,
            respawns: 0,
            spawned_at: Instant::now(),
            backoff: Backoff::new(WORKER_RESPAWN),
        }
    }

    /// The state as `uwsgictl status` shows it.
    pub fn state_name(&self) -> &'static str {
        match self.state {
            State::Running => "running",
            State::Waiting { .. } => "backoff",
            State::Stopped => "stopped",
        }
    }
}

/// The side processes `cfg` asks for: the spooler processes directory by
/// directory, then the mules by id.
fn planned(cfg: &AppConfig) -> Vec<Side> {
    let per_dir = cfg.spooler.processes.max(1);
    let spoolers = cfg.spooler.dirs.iter().enumerate().flat_map(|(i, dir)| {
        (0..per_dir).map(move |k| {
            let n = i as u32 * per_dir + k;
            Side::new(SideRole::Spooler(n), dir.display().to_string())
        })
    });
    let mules = cfg.mules.mules.iter().enumerate().map(|(i, mule)| {
        let name = mule.script.clone().unwrap_or_default();
        Side::new(SideRole::Mule(i as u32 + 1), name)
    });
    spoolers.chain(mules).collect()
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::config::MuleSpec;

    #[test]
    fn spooler_processes_then_mules_are_planned() {
        let mut cfg = AppConfig::default();
        cfg.spooler.dirs = vec![PathBuf::from("/a"), PathBuf::from("/b")];
        cfg.spooler.processes = 2;
        cfg.mules.mules = vec![
            MuleSpec { script: None },
            MuleSpec {
                script: Some("m.py".into()),
            },
        ];
        let plan: Vec<(SideRole, String)> = planned(&cfg)
            .into_iter()
            .map(|s| (s.role, s.name))
            .collect();
        assert_eq!(
            plan,
            [
                (SideRole::Spooler(0), "/a".to_owned()),
                (SideRole::Spooler(1), "/a".to_owned()),
                (SideRole::Spooler(2), "/b".to_owned()),
                (SideRole::Spooler(3), "/b".to_owned()),
                (SideRole::Mule(1), String::new()),
                (SideRole::Mule(2), "m.py".to_owned()),
            ]
        );
    }
}
