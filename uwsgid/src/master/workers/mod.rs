//! The table of worker slots: one per configured process, numbered from 1
//! as uWSGI numbers its workers. A slot outlives the processes that fill
//! it; it remembers what status and respawn decisions need.
//! - `lifecycle.rs`: the master's handlers: spawn, birth, death, respawn;
//! - `death.rs`: what the scoreboard says of a worker just reaped (crash or recycle);
//! - `scale.rs`: one worker more or less (SIGTTIN/SIGTTOU, `Scale`).

mod death;
mod lifecycle;
mod scale;

use std::time::Instant;

use nix::unistd::Pid;

use crate::backoff::{Backoff, WORKER_RESPAWN};
use crate::log::log_line;
use crate::master::reap::ExitCause;

/// What a slot is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotState {
    /// No process. `respawn_at` is when to start one (backoff); `None`
    /// means as soon as possible (e.g. once the zygote is ready), unless
    /// the app is stopping.
    Down { respawn_at: Option<Instant> },
    /// Asked the zygote for a worker, which has not reported its birth yet.
    Requested { since: Instant },
    /// A process serves in this slot.
    Running { pid: Pid, since: Instant },
}

/// One worker slot.
#[derive(Debug, Clone)]
pub struct WorkerSlot {
    pub id: u32,
    pub state: SlotState,
    /// The generation (of the app's code and config) of the current or
    /// last process: a reload starts a new generation.
    pub generation: u64,
    /// Processes started in this slot after the first.
    pub respawns: u32,
    /// Whether a process was ever started here (first spawn vs respawn).
    pub ever_started: bool,
    pub last_exit: Option<ExitCause>,
    /// The slot's previous process was replaced by a reload.
    pub reloaded: bool,
    pub backoff: Backoff,
}

impl WorkerSlot {
    pub fn pid(&self) -> Option<Pid> {
        match self.state {
            SlotState::Running { pid, .. } => Some(pid),
            _ => None,
        }
    }
}

/// All worker slots of the app.
#[derive(Debug, Clone)]
pub struct WorkerTable {
    slots: Vec<WorkerSlot>,
}

impl WorkerTable {
    /// Records that worker `id` of `generation` runs as `pid`, and logs it
    /// as uWSGI does (`spawned …` the first time, `Respawned …` after).
    /// False when there is no such slot or it already has a process: the
    /// caller kills the stray.
    pub fn record_birth(&mut self, id: u32, pid: Pid, generation: u64, threads: u32) -> bool {
        let Some(slot) = self.get_mut(id).filter(|s| s.pid().is_none()) else {
            return false;
        };
        if slot.ever_started {
            slot.respawns += 1;
            log_line!("Respawned uWSGI worker {id} (new pid: {pid})");
        } else if generation > 1 {
            log_line!(
                "spawned uWSGI worker {id} (pid: {pid}, cores: {threads}, generation: {generation})"
            );
        } else {
            log_line!("spawned uWSGI worker {id} (pid: {pid}, cores: {threads})");
        }
        slot.ever_started = true;
        slot.generation = generation;
        slot.state = SlotState::Running {
            pid,
            since: Instant::now(),
        };
        true
    }

    pub fn new(processes: u32) -> WorkerTable {
        let mut table = WorkerTable { slots: Vec::new() };
        for _ in 0..processes.max(1) {
            table.add();
        }
        table
    }

    /// Adds a slot after the highest one (SIGTTIN); returns its id.
    pub fn add(&mut self) -> u32 {
        let id = self.slots.iter().map(|s| s.id).max().unwrap_or(0) + 1;
        self.slots.push(WorkerSlot {
            id,
            state: SlotState::Down { respawn_at: None },
            generation: 0,
            respawns: 0,
            ever_started: false,
            last_exit: None,
            reloaded: false,
            backoff: Backoff::new(WORKER_RESPAWN),
        });
        id
    }

    /// Removes the highest slot (SIGTTOU), never the last one.
    pub fn remove_last(&mut self) -> Option<WorkerSlot> {
        if self.slots.len() <= 1 {
            return None;
        }
        let at = self
            .slots
            .iter()
            .enumerate()
            .max_by_key(|(_, s)| s.id)
            .map(|(at, _)| at)?;
        Some(self.slots.remove(at))
    }

    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether every slot has a running process.
    pub fn all_running(&self) -> bool {
        self.slots.iter().all(|s| s.pid().is_some())
    }

    pub fn iter(&self) -> impl Iterator<Item = &WorkerSlot> {
        self.slots.iter()
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut WorkerSlot> {
        self.slots.iter_mut()
    }

    pub fn get_mut(&mut self, id: u32) -> Option<&mut WorkerSlot> {
        self.slots.iter_mut().find(|s| s.id == id)
    }

    pub fn by_pid(&mut self, pid: Pid) -> Option<&mut WorkerSlot> {
        self.slots.iter_mut().find(|s| s.pid() == Some(pid))
    }

    /// Pids of every running worker.
    pub fn running(&self) -> Vec<(u32, Pid)> {
        self.slots
            .iter()
            .filter_map(|s| s.pid().map(|pid| (s.id, pid)))
            .collect()
    }

    /// The earliest scheduled respawn.
    pub fn next_respawn(&self) -> Option<Instant> {
        self.slots
            .iter()
            .filter_map(|s| match s.state {
                SlotState::Down { respawn_at } => respawn_at,
                _ => None,
            })
            .min()
    }

    /// Ids of slots whose respawn is due at `now` (or unscheduled when
    /// `include_unscheduled`).
    pub fn due(&self, now: Instant, include_unscheduled: bool) -> Vec<u32> {
        self.slots
            .iter()
            .filter(|s| match s.state {
                SlotState::Down {
                    respawn_at: Some(at),
                } => at <= now,
                SlotState::Down { respawn_at: None } => include_unscheduled,
                _ => false,
            })
            .map(|s| s.id)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn slots_are_numbered_from_one() {
        let table = WorkerTable::new(3);
        let ids: Vec<u32> = table.iter().map(|s| s.id).collect();
        assert_eq!(ids, [1, 2, 3]);
        assert_eq!(WorkerTable::new(0).iter().count(), 1);
    }

    #[test]
    fn finds_by_pid_and_schedules() {
        let now = Instant::now();
        let mut table = WorkerTable::new(3);
        if let Some(slot) = table.get_mut(2) {
            slot.state = SlotState::Running {
                pid: Pid::from_raw(42),
                since: now,
            };
        }
        if let Some(slot) = table.get_mut(3) {
            slot.state = SlotState::Down {
                respawn_at: Some(now + Duration::from_secs(2)),
            };
        }
        assert_eq!(table.by_pid(Pid::from_raw(42)).map(|s| s.id), Some(2));
        assert!(table.by_pid(Pid::from_raw(43)).is_none());
        assert_eq!(table.running(), [(2, Pid::from_raw(42))]);
        assert_eq!(table.due(now, true), [1]);
        assert_eq!(table.due(now, false), Vec::<u32>::new());
        assert_eq!(table.due(now + Duration::from_secs(2), false), [3]);
        assert_eq!(table.next_respawn(), Some(now + Duration::from_secs(2)));
    }

    #[test]
    fn grows_and_shrinks_from_the_top_but_keeps_one() {
        let mut table = WorkerTable::new(2);
        assert_eq!(table.add(), 3);
        assert_eq!(table.remove_last().map(|s| s.id), Some(3));
        assert_eq!(table.remove_last().map(|s| s.id), Some(2));
        assert!(table.remove_last().is_none());
        assert_eq!(table.len(), 1);
        assert!(!table.all_running());
    }
}
