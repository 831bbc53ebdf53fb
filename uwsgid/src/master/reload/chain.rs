//! Chain reload (`touch-chain-reload`, the master FIFO's `c`): as uWSGI's,
//! one worker at a time, the next only once the new one is ready. It is a
//! reload of the new generation whose workers are started slot by slot:
//! the new worker of a slot is ready once it owns its scoreboard slot
//! (forked by the new zygote, or exec'd and done importing with
//! `lazy-apps`); then the old worker of that slot is told to finish
//! (`chain next victim is worker N`) and the next slot's new worker is
//! started. At most one worker more than `processes` runs (uWSGI stops the
//! old one first, running one fewer), so memory stays flat and no request
//! is lost. When every slot is done, the generation takes over as in a
//! graceful reload. If the reload fails midway, the old slots already
//! given up are respawned from the old generation.

use std::time::Instant;

use crate::log::log_line;
use crate::master::event_loop::AppMaster;
use crate::master::shutdown;
use crate::master::workers::SlotState;

/// Where a chain reload is.
#[derive(Debug, Default)]
pub struct Chain {
    /// The slot whose new worker is being started.
    current: Option<u32>,
}

impl AppMaster {
    /// Asks for a chain reload (now, or after the reload in progress).
    pub(in crate::master) fn request_chain_reload(&mut self) {
        if self.stopping.is_none() {
            self.reload.chain = true;
        }
        self.request_reload();
    }

    /// Moves the chain on as far as it can: retires the old worker of a
    /// slot whose new worker is ready, starts the next slot's.
    pub(super) fn chain_step(&mut self) {
        loop {
            let Some(r) = self.reload.current.as_mut() else {
                return;
            };
            if r.zygote.as_ref().is_some_and(|z| !z.ready) {
                return;
            }
            let Some(chain) = r.chain.as_mut() else {
                return;
            };
            if let Some(id) = chain.current {
                let ready = r.table.get_mut(id).is_some_and(|slot| match slot.state {
                    SlotState::Running { pid, .. } => super::serving(id, pid),
                    _ => false,
                });
                if !ready {
                    return;
                }
                chain.current = None;
                self.retire_old_slot(id);
                continue;
            }
            // The next slot not started yet (still down, never scheduled).
            let next = r
                .table
                .iter()
                .find(|s| {
                    matches!(s.state, SlotState::Down { respawn_at: None }) && !s.ever_started
                })
                .map(|s| s.id);
            let Some(id) = next else {
                return;
            };
            chain.current = Some(id);
            self.request_new(id);
            return;
        }
    }

    /// The new worker of slot `id` is ready: the old one finishes.
    fn retire_old_slot(&mut self, id: u32) {
        let mercy = shutdown::mercy(&self.cfg);
        let generation = self.generation;
        let Some(slot) = self.table.get_mut(id) else {
            return;
        };
        if let SlotState::Running { pid, .. } = slot.state {
            log_line!("chain next victim is worker {id}");
            // Down without a schedule: the old generation does not
            // respawn it (a failed reload reschedules it).
            slot.state = SlotState::Down { respawn_at: None };
            self.drain.curse(id, pid, generation, mercy);
        }
    }

    /// A chain reload failed: the old slots it gave up are respawned.
    pub(super) fn chain_failed(&mut self) {
        let now = Instant::now();
        for slot in self.table.iter_mut() {
            if matches!(slot.state, SlotState::Down { respawn_at: None }) {
                slot.state = SlotState::Down {
                    respawn_at: Some(now),
                };
            }
        }
    }
}
