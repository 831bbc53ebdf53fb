//! Where the app master's event loop meets its side processes: the start,
//! a reaped pid, the timer, the stop, a reload's take-over, the status.

use std::time::Instant;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use uwsgid_proto::v1::SideProcessStatus;

use super::life::SpawnFn;
use super::{Side, SideProcesses};
use crate::config::AppConfig;
use crate::contract::side_role::SideRole;
use crate::master::event_loop::AppMaster;
use crate::master::reap::ExitCause;
use crate::master::spawn::Spawner;

impl AppMaster {
    /// Starts the spoolers and mules (after the workers, as uWSGI does).
    pub(in crate::master) fn start_side_processes(&mut self) {
        self.with_side_spawn(|sides, _, spawn| sides.start(spawn, Instant::now()));
    }

    /// Handles `pid`'s end if it was a side process's; false otherwise.
    pub(in crate::master) fn on_side_exit(&mut self, pid: Pid, cause: ExitCause) -> bool {
        self.side_processes.on_exit(pid, cause, Instant::now())
    }

    /// The timer: restarts and kills that are due.
    pub(in crate::master) fn side_processes_tick(&mut self, now: Instant) {
        self.with_side_spawn(|sides, _, spawn| sides.enforce(spawn, now));
    }

    /// The app stops: none is started again.
    pub(in crate::master) fn stop_side_processes(&mut self) {
        self.side_processes.stop();
    }

    /// Replaces the side processes `which` selects with new ones of the
    /// current configuration: after a reload took over (all of them, so
    /// they run the new code), or for `touch-spoolers-reload` and
    /// `touch-mules-reload`.
    pub(in crate::master) fn restart_side_processes(&mut self, which: impl Fn(SideRole) -> bool) {
        let told = self
            .with_side_spawn(|sides, cfg, spawn| sides.restart(cfg, which, spawn, Instant::now()));
        for pid in told {
            let _ = kill(pid, Signal::SIGHUP);
        }
    }

    /// Runs `f` on the side processes with the configuration and a way to
    /// start one (the spawner borrows other parts of `self` than they do).
    fn with_side_spawn<R>(
        &mut self,
        f: impl FnOnce(&mut SideProcesses, &AppConfig, &mut SpawnFn<'_>) -> R,
    ) -> R {
        let spawner = Spawner {
            exe: &self.exe,
            config_json: &self.config_json,
            sockets: &self.sockets,
        };
        let mut spawn = |role| spawner.side(role).map_err(|e| e.to_string());
        f(&mut self.side_processes, &self.cfg, &mut spawn)
    }

    /// The side processes as `uwsgictl status` shows them: the current
    /// ones, then those a reload replaced that are still finishing.
    pub(in crate::master) fn side_process_statuses(&self) -> Vec<SideProcessStatus> {
        let sides = &self.side_processes;
        let current = sides.list.iter().map(side_status);
        let retiring = sides.retiring.iter().map(|r| SideProcessStatus {
            kind: kind(r.role).to_owned(),
            id: display_id(r.role),
            name: r.name.clone(),
            pid: pid_u32(Some(r.pid)),
            state: "stopping".to_owned(),
            ..SideProcessStatus::default()
        });
        current.chain(retiring).collect()
    }
}

fn side_status(side: &Side) -> SideProcessStatus {
    SideProcessStatus {
        kind: kind(side.role).to_owned(),
        id: display_id(side.role),
        name: side.name.clone(),
        pid: pid_u32(side.pid),
        state: side.state_name().to_owned(),
        respawns: side.respawns,
        ..SideProcessStatus::default()
    }
}

fn kind(role: SideRole) -> &'static str {
    match role {
        SideRole::Spooler(_) => "spooler",
        SideRole::Mule(_) => "mule",
    }
}

/// Shown from 1: a mule's id, a spooler process's number plus one.
fn display_id(role: SideRole) -> u32 {
    match role {
        SideRole::Spooler(n) => n + 1,
        SideRole::Mule(id) => id,
    }
}

fn pid_u32(pid: Option<Pid>) -> u32 {
    pid.map_or(0, |p| u32::try_from(p.as_raw()).unwrap_or(0))
}
