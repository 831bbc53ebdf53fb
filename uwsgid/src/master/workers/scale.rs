//! SIGTTIN / SIGTTOU: one worker more or less, as Gunicorn does (uWSGI
//! leaves both signals unhandled); the control API's `Scale` sets the
//! count with the same steps. Removing is graceful: the highest-id worker
//! gets SIGHUP and the mercy, and is not respawned; there is always at
//! least one worker. The count holds until a reload reads `processes`
//! again.

use std::time::Instant;

use super::SlotState;
use crate::log::log_line;
use crate::master::event_loop::AppMaster;
use crate::master::shutdown;

impl AppMaster {
    /// Adds or removes workers until there are `processes`.
    pub(in crate::master) fn scale_to(&mut self, processes: usize) {
        while self.table.len() < processes && self.add_worker("scale") {}
        while self.table.len() > processes.max(1) && self.remove_worker("scale") {}
    }

    /// A new slot, filled at once (or when the zygote is ready); false
    /// when stopping. `why` starts the log line (`SIGTTIN`, `scale`).
    pub(in crate::master) fn add_worker(&mut self, why: &str) -> bool {
        if self.stopping.is_some() {
            return false;
        }
        let id = self.table.add();
        self.highest_slot = self.highest_slot.max(id);
        log_line!("{why}: adding worker {id} (workers: {})", self.table.len());
        self.spawn_worker(id);
        true
    }

    /// The highest slot goes; its worker finishes gracefully. False when
    /// stopping or only one is left.
    pub(in crate::master) fn remove_worker(&mut self, why: &str) -> bool {
        if self.stopping.is_some() {
            return false;
        }
        let Some(slot) = self.table.remove_last() else {
            log_line!("{why}: only one worker left, keeping it");
            return false;
        };
        log_line!(
            "{why}: removing worker {} (workers: {})",
            slot.id,
            self.table.len()
        );
        match slot.state {
            SlotState::Running { pid, .. } => {
                self.drain
                    .curse(slot.id, pid, slot.generation, shutdown::mercy(&self.cfg));
            }
            SlotState::Requested { since } => {
                // Its `born` line finds no slot: that worker is then
                // stopped gracefully (`retire_stray`).
                log_line!(
                    "worker {} was being forked ({} ms ago): it will be stopped when born",
                    slot.id,
                    Instant::now().duration_since(since).as_millis()
                );
            }
            SlotState::Down { .. } => {}
        }
        true
    }
}
