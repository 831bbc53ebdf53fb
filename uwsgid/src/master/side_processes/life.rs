//! Starting, restarting and retiring side processes, with uWSGI 2.0.31's
//! log lines (`core/spooler.c`, `core/mule.c`, `core/master_checks.c`).

use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use super::{Retiring, Side, SideProcesses, State};
use crate::config::AppConfig;
use crate::contract::side_role::SideRole;
use crate::log::log_line;
use crate::master::reap::ExitCause;

/// Starts one side process; the error is for the log.
pub type SpawnFn<'a> = dyn FnMut(SideRole) -> Result<Pid, String> + 'a;

impl SideProcesses {
    /// Starts every side process.
    pub fn start(&mut self, spawn: &mut SpawnFn<'_>, now: Instant) {
        for side in &mut self.list {
            side.spawn(spawn, now);
        }
    }

    /// A child ended; false when `pid` is no side process's.
    pub fn on_exit(&mut self, pid: Pid, cause: ExitCause, now: Instant) -> bool {
        if let Some(at) = self.retiring.iter().position(|r| r.pid == pid) {
            let gone = self.retiring.remove(at);
            log_line!("{} annihilated", described(gone.role, pid));
            return true;
        }
        let stopping = self.stopping;
        let Some(side) = self.list.iter_mut().find(|s| s.pid == Some(pid)) else {
            return false;
        };
        side.pid = None;
        if stopping {
            log_line!("{} annihilated", described(side.role, pid));
            side.state = State::Stopped;
            return true;
        }
        match side.role {
            SideRole::Spooler(_) => log_line!("OOOPS the spooler is no more...trying respawn..."),
            SideRole::Mule(id) => {
                log_line!("OOOPS mule {id} (pid: {pid}) crippled...trying respawn...")
            }
        }
        let delay = side.backoff.on_death(now.duration_since(side.spawned_at));
        if !delay.is_zero() {
            log_line!(
                "{} {cause}: respawning in {} seconds",
                described(side.role, pid),
                delay.as_secs()
            );
        }
        side.respawns += 1;
        side.state = State::Waiting { at: now + delay };
        true
    }

    /// The timer: restarts that are due, and retiring processes past their
    /// mercy killed.
    pub fn enforce(&mut self, spawn: &mut SpawnFn<'_>, now: Instant) {
        if !self.stopping {
            for side in &mut self.list {
                if matches!(side.state, State::Waiting { at } if at <= now) {
                    side.spawn(spawn, now);
                }
            }
        }
        for old in &mut self.retiring {
            if !old.killed && old.deadline <= now {
                log_line!(
                    "{} is taking too much time to die...NO MERCY !!!",
                    described(old.role, old.pid)
                );
                let _ = kill(old.pid, Signal::SIGKILL);
                old.killed = true;
            }
        }
    }

    /// The app stops: nothing is started again. The stop itself signals
    /// the processes with the workers.
    pub fn stop(&mut self) {
        self.stopping = true;
        for side in &mut self.list {
            if matches!(side.state, State::Waiting { .. }) {
                side.state = State::Stopped;
            }
        }
    }

    /// Replaces the side processes `which` selects by new ones started
    /// from `cfg` (a reload's new configuration): the old ones retire
    /// (the caller tells the returned pids to finish, with SIGHUP); the new
    /// ones start at once.
    pub fn restart(
        &mut self,
        cfg: &AppConfig,
        which: impl Fn(SideRole) -> bool,
        spawn: &mut SpawnFn<'_>,
        now: Instant,
    ) -> Vec<Pid> {
        if self.stopping {
            return Vec::new();
        }
        self.mercy = crate::master::shutdown::mercy(cfg);
        let deadline = now + self.mercy;
        let (replaced, kept): (Vec<Side>, Vec<Side>) = std::mem::take(&mut self.list)
            .into_iter()
            .partition(|s| which(s.role));
        let mut told = Vec::new();
        for old in replaced {
            if let Some(pid) = old.pid {
                told.push(pid);
                self.retiring.push(Retiring {
                    role: old.role,
                    name: old.name,
                    pid,
                    deadline,
                    killed: false,
                });
            }
        }
        let mut fresh: Vec<Side> = super::planned(cfg)
            .into_iter()
            .filter(|s| which(s.role))
            .collect();
        for side in &mut fresh {
            side.spawn(spawn, now);
        }
        self.list = kept.into_iter().chain(fresh).collect();
        self.list.sort_by_key(|s| order(s.role));
        told
    }
}

impl Side {
    fn spawn(&mut self, spawn: &mut SpawnFn<'_>, now: Instant) {
        self.spawned_at = now;
        match spawn(self.role) {
            Ok(pid) => {
                self.pid = Some(pid);
                self.state = State::Running;
                match self.role {
                    SideRole::Spooler(_) => log_line!(
                        "spawned the uWSGI spooler on dir {} with pid {pid}",
                        self.name
                    ),
                    SideRole::Mule(id) => log_line!("spawned uWSGI mule {id} (pid: {pid})"),
                }
            }
            Err(err) => {
                log_line!("{err}");
                let delay = self.backoff.on_death(Duration::ZERO);
                self.state = State::Waiting {
                    at: now + delay.max(Duration::from_secs(1)),
                };
            }
        }
    }
}

/// Spoolers first, then mules, each by number (the configuration's order).
fn order(role: SideRole) -> (u8, u32) {
    match role {
        SideRole::Spooler(n) => (0, n),
        SideRole::Mule(id) => (1, id),
    }
}

/// uWSGI's way of naming one in its lines.
fn described(role: SideRole, pid: Pid) -> String {
    match role {
        SideRole::Spooler(_) => format!("spooler (pid: {pid})"),
        SideRole::Mule(id) => format!("mule {id} (pid: {pid})"),
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::config::MuleSpec;

    fn cfg() -> AppConfig {
        let mut cfg = AppConfig::default();
        cfg.spooler.dirs = vec![PathBuf::from("/s")];
        cfg.mules.mules = vec![MuleSpec { script: None }];
        cfg
    }

    /// Hands out pids from 100 up, remembering what it started.
    fn spawner(started: &mut Vec<SideRole>) -> impl FnMut(SideRole) -> Result<Pid, String> + '_ {
        move |role| {
            started.push(role);
            Ok(Pid::from_raw(99 + started.len() as i32))
        }
    }

    #[test]
    fn a_dead_one_is_restarted_and_a_stop_starts_nothing() {
        let mut started = Vec::new();
        let now = Instant::now();
        let mut sides = SideProcesses::new(&cfg());
        sides.start(&mut spawner(&mut started), now);
        assert!(sides.owns(Pid::from_raw(101)));
        let later = now + Duration::from_secs(60);
        assert!(sides.on_exit(Pid::from_raw(101), ExitCause::Exited(1), later));
        assert!(!sides.on_exit(Pid::from_raw(7), ExitCause::Exited(1), later));
        sides.enforce(&mut spawner(&mut started), later);
        assert_eq!(
            started,
            [SideRole::Spooler(0), SideRole::Mule(1), SideRole::Mule(1)]
        );
        assert_eq!(sides.list[1].respawns, 1);
        sides.stop();
        assert!(sides.on_exit(Pid::from_raw(102), ExitCause::Exited(0), later));
        sides.enforce(&mut spawner(&mut started), later + Duration::from_secs(60));
        assert_eq!(started.len(), 3);
        assert_eq!(sides.list[1].state, State::Stopped);
    }

    #[test]
    fn quick_deaths_wait_longer_each_time() {
        let mut started = Vec::new();
        let now = Instant::now();
        let mut sides = SideProcesses::new(&cfg());
        sides.start(&mut spawner(&mut started), now);
        for _ in 0..3 {
            let pid = sides.list[0].pid.expect("running");
            sides.on_exit(pid, ExitCause::Exited(1), now);
            let State::Waiting { at } = sides.list[0].state else {
                panic!("not waiting");
            };
            sides.enforce(&mut spawner(&mut started), at);
        }
        // The first quick death is free; the next ones wait 1 s, then 2 s.
        assert_eq!(sides.list[0].respawns, 3);
    }

    #[test]
    fn a_restart_retires_the_chosen_ones_and_starts_them_anew() {
        let mut started = Vec::new();
        let now = Instant::now();
        let mut sides = SideProcesses::new(&cfg());
        sides.start(&mut spawner(&mut started), now);
        let is_mule = |role| matches!(role, SideRole::Mule(_));
        let told = sides.restart(&cfg(), is_mule, &mut spawner(&mut started), now);
        assert_eq!(told, [Pid::from_raw(101)]);
        assert_eq!(started.last(), Some(&SideRole::Mule(1)));
        let roles: Vec<SideRole> = sides.list.iter().map(|s| s.role).collect();
        assert_eq!(roles, [SideRole::Spooler(0), SideRole::Mule(1)]);
        assert_eq!(sides.list[1].pid, Some(Pid::from_raw(102)));
        assert!(sides.owns(Pid::from_raw(101)), "retiring until reaped");
        assert!(sides.on_exit(Pid::from_raw(101), ExitCause::Exited(0), now));
        assert!(!sides.owns(Pid::from_raw(101)));
        assert_eq!(sides.next_wake(), None);
    }
}
