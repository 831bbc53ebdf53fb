//! Reload with `lazy-apps`: there is no zygote, each new worker is exec'd
//! and imports the app itself. A lazy worker takes its scoreboard slot only
//! once the app is imported, so the new generation is ready when every new
//! worker has been born and owns its slot (its pid is in it); the master
//! looks every [`POLL`]. A new worker exiting 22 (the app did not import)
//! fails the reload, the old workers still serving.

use std::time::{Duration, Instant};

use nix::unistd::Pid;

use super::Reload;
use crate::config::AppConfig;
use crate::log::log_line;
use crate::master::control::progress::ReloadEvent;
use crate::master::event_loop::AppMaster;
use crate::master::spawn::Spawner;
use crate::master::workers::WorkerTable;
use crate::scoreboard;

/// How often a reload checks whether its new workers serve: often, since
/// the old workers keep serving until they do, but only during a reload.
pub(super) const POLL: Duration = Duration::from_millis(5);

impl AppMaster {
    /// Starts the new generation's workers.
    pub(super) fn begin_lazy_reload(
        &mut self,
        cfg: AppConfig,
        config_json: String,
        generation: u64,
        chain: Option<super::chain::Chain>,
    ) {
        log_line!("starting the workers of generation {generation} (lazy-apps)");
        let table = WorkerTable::new(cfg.cheaper.starting_workers(cfg.processes));
        let ids: Vec<u32> = table.iter().map(|s| s.id).collect();
        self.reload.current = Some(Reload {
            started: Instant::now(),
            generation,
            cfg,
            config_json,
            table,
            zygote: None,
            next_poll: Instant::now() + POLL,
            chain,
        });
        let total = u32::try_from(ids.len()).unwrap_or(u32::MAX);
        self.reload_event(ReloadEvent::Started { generation, total });
        if self
            .reload
            .current
            .as_ref()
            .is_some_and(|r| r.chain.is_some())
        {
            self.chain_step();
            return;
        }
        for id in ids {
            self.spawn_new_lazy(id);
        }
    }

    /// Execs the new generation's worker for slot `id`.
    pub(super) fn spawn_new_lazy(&mut self, id: u32) {
        let Some(r) = self.reload.current.as_ref() else {
            return;
        };
        let spawner = Spawner {
            exe: &self.exe,
            config_json: &r.config_json,
            sockets: &self.sockets,
        };
        match spawner.lazy_worker(id) {
            Ok(pid) => self.on_new_born(id, pid),
            Err(err) => self.abort_reload(&format!("cannot start the new worker {id}: {err}")),
        }
    }
}

/// Whether the new worker `pid` of slot `id` serves: it took the slot
/// (with `lazy-apps`, once it imported the app) and its accept loops run.
/// Taking over any earlier would leave the listen sockets with nobody
/// accepting while the new workers start: every connection would wait,
/// which under load was the whole tail of a reload's latency. A worker
/// without a slot (no scoreboard, an id past its size) counts as ready
/// once born: nothing better can be known.
pub(super) fn serving(id: u32, pid: Pid) -> bool {
    match scoreboard::master().and_then(|board| board.slot(id)) {
        Some(slot) => slot.pid() == pid.as_raw() && slot.serving(),
        None => true,
    }
}
