//! Reload with `lazy-apps`: there is no zygote, each new worker is exec'd
//! and imports the app itself. A lazy worker takes its scoreboard slot only
//! once the app is imported, so the new generation is ready when every new
//! worker has been born and owns its slot (its pid is in it); the master
//! looks every [`POLL`](super::POLL). A new worker exiting 22 (the app did not import)
//! fails the reload, the old workers still serving.

use std::time::Instant;

use super::Reload;
use crate::config::AppConfig;
use crate::log::log_line;
use crate::master::control::progress::ReloadEvent;
use crate::master::event_loop::AppMaster;
use crate::master::spawn::Spawner;
use crate::master::workers::WorkerTable;

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
            next_poll: Instant::now() + super::POLL,
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
        match spawner.lazy_worker(id, r.generation) {
            Ok(pid) => self.on_new_born(id, pid),
            Err(err) => self.abort_reload(&format!("cannot start the new worker {id}: {err}")),
        }
    }
}
