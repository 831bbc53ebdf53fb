//! SIGTTIN / SIGTTOU: one worker more or less, as Gunicorn does (uWSGI
//! leaves both signals unhandled). Removing is graceful: the highest-id
//! worker gets SIGHUP and the mercy, and is not respawned; there is always
//! at least one worker. The count holds until a reload reads `processes`
//! again.

use std::time::Instant;

use super::shutdown;
use super::supervisor::Supervisor;
use super::workers::SlotState;
use crate::master::log::log_line;

impl Supervisor {
    /// SIGTTIN: a new slot, filled at once (or when the zygote is ready).
    pub(super) fn add_worker(&mut self) {
        if self.stopping.is_some() {
            return;
        }
        let id = self.table.add();
        log_line!(
            "SIGTTIN: adding worker {id} (workers: {})",
            self.table.len()
        );
        self.spawn_worker(id);
    }

    /// SIGTTOU: the highest slot goes; its worker finishes gracefully.
    pub(super) fn remove_worker(&mut self) {
        if self.stopping.is_some() {
            return;
        }
        let Some(slot) = self.table.remove_last() else {
            log_line!("SIGTTOU: only one worker left, keeping it");
            return;
        };
        log_line!(
            "SIGTTOU: removing worker {} (workers: {})",
            slot.id,
            self.table.len()
        );
        match slot.state {
            SlotState::Running { pid, .. } => {
                self.curse(slot.id, pid, slot.generation, shutdown::mercy(&self.cfg));
            }
            SlotState::Requested { since } => {
                // Its `born` line finds no slot: that worker is killed
                // before it could have served much.
                log_line!(
                    "worker {} was being forked ({} ms ago): it will be stopped when born",
                    slot.id,
                    Instant::now().duration_since(since).as_millis()
                );
            }
            SlotState::Down { .. } => {}
        }
    }
}
