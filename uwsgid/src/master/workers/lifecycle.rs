//! Worker life: starting one (from the zygote, or exec'd with
//! `lazy-apps`), recording its birth, and deciding on its death: bury it
//! when the app stops, else respawn it, later and later if it keeps dying
//! young. Log lines are uWSGI's.

use std::time::Instant;

use nix::unistd::Pid;

use super::SlotState;
use crate::backoff::WORKER_RESPAWN;
use crate::contract::exit::FAILED_APP_EXIT;
use crate::log::log_line;
use crate::master::event_loop::AppMaster;
use crate::master::reap::ExitCause;
use crate::master::shutdown;

impl AppMaster {
    /// Starts every worker: directly with `lazy-apps`, else through a
    /// zygote (the workers are asked for once it is ready).
    pub(in crate::master) fn start(&mut self) {
        if self.cfg.lazy_apps {
            let ids: Vec<u32> = self.table.iter().map(|s| s.id).collect();
            for id in ids {
                self.spawn_worker(id);
            }
        } else {
            self.start_zygote();
        }
    }

    /// Starts a process in slot `id`, unless the app is stopping.
    pub(in crate::master) fn spawn_worker(&mut self, id: u32) {
        // In cheap mode (`cheap`, `idle`) slots wait for a connection.
        if self.stopping.is_some() || self.cheaper.is_cheap() {
            return;
        }
        if self.cfg.lazy_apps {
            self.spawn_lazy(id);
        } else {
            self.request_from_zygote(id);
        }
    }

    fn spawn_lazy(&mut self, id: u32) {
        match self.spawner().lazy_worker(id, self.generation) {
            Ok(pid) => self.on_born(id, pid),
            Err(err) => {
                log_line!("unable to spawn worker {id}: {err}");
                // Counts as a quick death, so a failing exec backs off too.
                let delay = self.table.get_mut(id).map_or(WORKER_RESPAWN.max, |slot| {
                    slot.backoff.on_death(std::time::Duration::ZERO)
                });
                self.schedule_respawn(id, Instant::now(), delay);
            }
        }
    }

    fn request_from_zygote(&mut self, id: u32) {
        let generation = self.generation;
        let now = Instant::now();
        let sent = self.zygotes.request(id, generation);
        if let Some(slot) = self.table.get_mut(id) {
            // Unsent: the zygote is (re)starting; its `ready` asks again.
            slot.state = if sent {
                SlotState::Requested { since: now }
            } else {
                SlotState::Down { respawn_at: None }
            };
        }
    }

    /// A worker process exists for slot `id`: record and announce it.
    pub(in crate::master) fn on_born(&mut self, id: u32, pid: Pid) {
        if !self
            .table
            .record_birth(id, pid, self.generation, self.cfg.threads)
        {
            self.retire_stray(id, pid, self.generation);
            return;
        }
        self.children_left = true;
        if let Some(cause) = self.take_early_death(pid) {
            self.on_worker_exit(pid, cause);
        }
    }

    /// How `pid` ended, if it was reaped before its birth was read.
    pub(in crate::master) fn take_early_death(&mut self, pid: Pid) -> Option<ExitCause> {
        let at = self.early_deaths.iter().position(|(p, _)| *p == pid)?;
        self.early_deaths.remove(at).map(|(_, cause)| cause)
    }

    /// The worker `pid` ended.
    pub(in crate::master) fn on_worker_exit(&mut self, pid: Pid, cause: ExitCause) {
        let now = Instant::now();
        let stopping_since = self.stopping.as_ref().map(|s| s.started);
        let Some(slot) = self.table.by_pid(pid) else {
            return;
        };
        let SlotState::Running { since, .. } = slot.state else {
            return;
        };
        let id = slot.id;
        slot.last_exit = Some(cause);
        slot.state = SlotState::Down { respawn_at: None };
        if let Some(started) = stopping_since {
            log_line!(
                "worker {id} buried after {} seconds",
                now.duration_since(started).as_secs()
            );
            return;
        }
        log_death(id, pid, cause);
        let delay = slot.backoff.on_death(now.duration_since(since));
        self.schedule_respawn(id, now, delay);
    }

    /// Respawns slot `id` after `delay` (now when zero).
    fn schedule_respawn(&mut self, id: u32, now: Instant, delay: std::time::Duration) {
        if delay.is_zero() {
            self.spawn_worker(id);
            return;
        }
        log_line!(
            "worker respawning too fast !!! i have to sleep a bit ({} seconds)...",
            delay.as_secs()
        );
        if let Some(slot) = self.table.get_mut(id) {
            slot.state = SlotState::Down {
                respawn_at: Some(now + delay),
            };
        }
    }
}

fn log_death(id: u32, pid: Pid, cause: ExitCause) {
    match cause {
        ExitCause::Signaled(sig) => {
            log_line!(
                "DAMN ! worker {id} (pid: {pid}) died, killed by signal {sig} :( trying respawn ..."
            )
        }
        ExitCause::Exited(0) => log_line!("worker {id} killed successfully (pid: {pid})"),
        ExitCause::Exited(FAILED_APP_EXIT) => {
            log_line!("OOPS ! failed loading app in worker {id} (pid {pid}) :( trying again...")
        }
        ExitCause::Exited(_) => {
            log_line!("DAMN ! worker {id} (pid: {pid}) died :( trying respawn ...");
            log_line!("worker {id} (pid: {pid}) {cause}");
        }
    }
}

impl AppMaster {
    /// A `born` report for a slot that has no place for it (the slot was
    /// removed by SIGTTOU or `scale` while its worker was being forked): the
    /// worker finishes gracefully, like any removed worker.
    pub(in crate::master) fn retire_stray(&mut self, id: u32, pid: Pid, generation: u64) {
        log_line!("worker {id} (pid: {pid}) was born for a removed slot: stopping it gracefully");
        self.children_left = true;
        self.drain
            .curse(id, pid, generation, shutdown::mercy(&self.cfg));
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::time::Duration;

    use super::*;
    use crate::config::AppConfig;

    /// A supervisor in zygote mode with no zygote: nothing is ever spawned
    /// or signalled, only the table changes.
    fn supervisor(processes: u32) -> AppMaster {
        let cfg = AppConfig {
            processes,
            ..AppConfig::default()
        };
        AppMaster::new(
            cfg,
            String::new(),
            PathBuf::from("/nonexistent"),
            Vec::new(),
        )
    }

    fn state(sup: &mut AppMaster, id: u32) -> SlotState {
        sup.table.get_mut(id).map(|s| s.state).expect("slot")
    }

    #[test]
    fn a_death_read_before_the_birth_is_not_lost() {
        let mut sup = supervisor(2);
        let pid = Pid::from_raw(999_999);
        sup.on_child_exit(pid, ExitCause::Exited(3));
        assert_eq!(sup.early_deaths.len(), 1);
        sup.on_born(2, pid);
        assert!(sup.early_deaths.is_empty());
        let slot = sup.table.get_mut(2).expect("slot 2");
        assert_eq!(slot.last_exit, Some(ExitCause::Exited(3)));
        assert!(slot.ever_started);
        // No zygote: waits for the next one's `ready`.
        assert_eq!(slot.state, SlotState::Down { respawn_at: None });
    }

    #[test]
    fn quick_deaths_are_respawned_later_and_later() {
        let mut sup = supervisor(1);
        let mut delays = Vec::new();
        for n in 0..4 {
            let pid = Pid::from_raw(900_000 + n);
            sup.on_born(1, pid);
            let before = Instant::now();
            sup.on_worker_exit(pid, ExitCause::Signaled(9));
            delays.push(match state(&mut sup, 1) {
                SlotState::Down {
                    respawn_at: Some(at),
                } => at.duration_since(before).as_secs_f64().round() as u64,
                SlotState::Down { respawn_at: None } => 0,
                other => panic!("unexpected {other:?}"),
            });
        }
        assert_eq!(delays, [0, 1, 2, 4]);
        let slot = sup.table.get_mut(1).expect("slot 1");
        assert_eq!(slot.respawns, 3);
        assert_eq!(slot.last_exit, Some(ExitCause::Signaled(9)));
        assert_eq!(
            sup.table
                .next_respawn()
                .map(|at| at > Instant::now() + Duration::from_secs(3)),
            Some(true)
        );
    }

    #[test]
    fn a_worker_born_for_a_removed_slot_finishes_gracefully() {
        let mut sup = supervisor(2);
        if let Some(slot) = sup.table.get_mut(2) {
            slot.state = SlotState::Requested {
                since: Instant::now(),
            };
        }
        assert!(sup.remove_worker("SIGTTOU"));
        // A pid that cannot exist: the SIGHUP finds no one (ESRCH).
        let pid = Pid::from_raw(i32::MAX);
        sup.on_born(2, pid);
        assert!(sup.table.by_pid(pid).is_none(), "no slot takes it");
        let old = sup
            .drain
            .take(pid)
            .expect("it drains like a removed worker");
        assert_eq!(old.id, 2);
    }
}
