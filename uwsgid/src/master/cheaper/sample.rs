//! The algorithms' input, read once per cycle: which workers run and are
//! busy (the scoreboard's per-thread request start times), their time in
//! requests, the room left under the maximum, and the listen queue.

use std::os::fd::AsFd;

use super::decision::{Sample, WorkerSample};
use crate::master::event_loop::AppMaster;
use crate::master::stats::queue::tcp_accept_queue;
use crate::scoreboard::{self, MAX_CORES};

impl AppMaster {
    pub(super) fn cheaper_sample(&self) -> Sample {
        let cores = usize::try_from(self.cfg.threads)
            .unwrap_or(MAX_CORES)
            .clamp(1, MAX_CORES);
        let board = scoreboard::master();
        let workers = self
            .table
            .iter()
            .filter_map(|slot| {
                let pid = slot.pid()?;
                // The scoreboard slot, while it is this process's.
                let counters = board
                    .and_then(|b| b.slot(slot.id))
                    .filter(|s| s.pid() == pid.as_raw());
                Some(WorkerSample {
                    id: slot.id,
                    busy: counters
                        .is_some_and(|s| s.core_snapshots(cores).iter().any(|c| c.in_request)),
                    running_time_us: counters.map_or(0, |s| s.snapshot().running_time_us),
                })
            })
            .collect();
        let slots = u32::try_from(self.table.len()).unwrap_or(u32::MAX);
        Sample {
            workers,
            room: self.cheaper.maximum().saturating_sub(slots),
            backlog: self
                .sockets
                .iter()
                .filter_map(|s| tcp_accept_queue(s.fd.as_fd()))
                .map(|(queue, _)| queue)
                .max()
                .unwrap_or(0),
        }
    }
}
