//! The `Status` reply of an app master: the app and its workers from the
//! event loop's views; memory is read from `/proc` afterwards, outside the
//! loop ([`fill_memory`]).

use std::path::Path;

use uwsgid_proto::v1::{AppStatus, CacheStatus, WorkerStatus};

use crate::master::event_loop::AppMaster;
use crate::master::views::{WorkerView, elapsed_ms};
use crate::procmem;
use crate::scoreboard;

impl AppMaster {
    /// The app's status, without memory figures.
    pub(in crate::master) fn app_status(&self) -> AppStatus {
        let path = |p: Option<&Path>| p.map(|p| p.display().to_string()).unwrap_or_default();
        AppStatus {
            name: self.facts.name.clone(),
            state: self.app_state().as_str().to_string(),
            master_pid: std::process::id(),
            sockets: self.cfg.sockets.iter().map(|s| s.raw.clone()).collect(),
            uptime_secs: self.facts.started.elapsed().as_secs(),
            generation: self.generation,
            requests: self.total_requests(),
            workers: self.worker_views().iter().map(worker_status).collect(),
            ini: path(self.cfg.ini.as_deref()),
            log_path: path(self.facts.log_path.as_deref()),
            error: String::new(),
            restarts: 0,
            stats: self.cfg.stats.clone().unwrap_or_default(),
            processes: u32::try_from(self.table.len()).unwrap_or(u32::MAX),
            daemons: self.daemon_statuses(),
            caches: cache_statuses(),
            side_processes: self.side_process_statuses(),
        }
    }

    /// Requests served by every worker the app ever had (the scoreboard
    /// keeps a total per slot).
    pub(in crate::master) fn total_requests(&self) -> u64 {
        let Some(board) = scoreboard::master() else {
            return 0;
        };
        (1..=self.highest_slot)
            .filter_map(|id| board.slot(id))
            .map(|slot| slot.snapshot().requests)
            .sum()
    }
}

/// Each cache's use, read without its lock.
fn cache_statuses() -> Vec<CacheStatus> {
    let Some(caches) = crate::cache::installed() else {
        return Vec::new();
    };
    caches
        .iter()
        .map(|c| {
            let s = c.stats();
            CacheStatus {
                name: s.name,
                items: s.items,
                max_items: s.max_items,
                blocksize: s.blocksize,
                bytes: s.bytes,
                hits: s.hits,
                misses: s.misses,
                full: s.full,
            }
        })
        .collect()
}

fn worker_status(view: &WorkerView) -> WorkerStatus {
    WorkerStatus {
        id: view.id,
        pid: view
            .pid
            .map_or(0, |p| u32::try_from(p.as_raw()).unwrap_or(0)),
        state: view.state.as_str().to_string(),
        requests: view.counters.as_ref().map_or(0, |c| c.delta_requests),
        rss_bytes: 0,
        pss_bytes: 0,
        vsz_bytes: 0,
        current_request_ms: elapsed_ms(view.busy_since_us),
        respawns: view.respawns,
        last_exit: view.last_exit.clone(),
        generation: view.generation,
        started_unix: view.started_unix,
    }
}

/// Reads each worker's RSS, PSS and address space from `/proc`. A worker
/// that ended meanwhile keeps zeros.
pub fn fill_memory(status: &mut AppStatus) {
    for worker in status.workers.iter_mut().filter(|w| w.pid != 0) {
        let Ok(pid) = i32::try_from(worker.pid) else {
            continue;
        };
        if let Ok(mem) = procmem::read(pid, true) {
            worker.rss_bytes = mem.rss;
            worker.pss_bytes = mem.pss;
            worker.vsz_bytes = mem.vsz;
        }
    }
    for side in status.side_processes.iter_mut().filter(|s| s.pid != 0) {
        let Ok(pid) = i32::try_from(side.pid) else {
            continue;
        };
        if let Ok(mem) = procmem::read(pid, true) {
            side.rss_bytes = mem.rss;
            side.pss_bytes = mem.pss;
        }
    }
}
