//! The master's side of a graceful reload: start the new generation, follow
//! its zygote's reports and its workers' births and deaths, then hand over
//! (or give up), as `super` describes.

use std::time::Instant;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use super::drain::OldWorker;
use super::{Reload, count};
use crate::contract::exit::FAILED_APP_EXIT;
use crate::contract::zygote_lines::{ZygoteCommand, ZygoteReport};
use crate::log::log_line;
use crate::master::control::progress::ReloadEvent;
use crate::master::event_loop::AppMaster;
use crate::master::reap::ExitCause;
use crate::master::shutdown;
use crate::master::spawn::Spawner;
use crate::master::workers::{SlotState, WorkerTable};
use crate::master::zygote::link::ZygoteLink;

impl AppMaster {
    /// SIGHUP: reload now, or after the reload in progress.
    pub(in crate::master) fn request_reload(&mut self) {
        if self.stopping.is_some() {
            log_line!("...SIGHUP received while stopping: ignored...");
            return;
        }
        if self.reload.current.is_some() {
            log_line!("...SIGHUP received during a reload: queued...");
            self.reload.queue();
            return;
        }
        log_line!("...gracefully reloading: reading the configuration again...");
        self.resume_if_paused();
        self.reload_daemons();
        self.ensure_control_socket();
        if let Some(fifo) = self.fifo.as_mut() {
            fifo.ensure();
        }
        self.reload.watchers.promote();
        if let Err(why) = self.begin_reload() {
            self.reload_failed(&why);
        }
    }

    /// Makes the control socket again if it was deleted: SIGHUP is how an
    /// operator who lost it gets `uwsgictl` working again.
    fn ensure_control_socket(&self) {
        let Some(socket) = &self.control_socket else {
            return;
        };
        match socket.ensure() {
            Ok(true) => log_line!("the control socket was gone: made it again"),
            Ok(false) => {}
            Err(err) => log_line!("{err}"),
        }
    }

    fn begin_reload(&mut self) -> Result<(), String> {
        let reread = super::reread::reread(&self.cfg).map_err(|e| {
            let msgs = e.messages().join("; ");
            format!("the configuration does not resolve: {msgs}")
        })?;
        // `log-reopen`: before the new generation, which inherits the file.
        crate::master::log_master::reopen_on_reload(&self.cfg, self.facts.log_path.as_deref());
        for line in reread.warnings.iter().chain(&reread.kept) {
            log_line!("{line}");
        }
        let cfg = reread.cfg;
        let config_json = serde_json::to_string(&cfg)
            .map_err(|e| format!("cannot serialise the configuration: {e}"))?;
        self.last_generation += 1;
        let generation = self.last_generation;
        let chain = std::mem::take(&mut self.reload.chain).then(|| {
            log_line!("chain reload starting...");
            super::chain::Chain::default()
        });
        if cfg.lazy_apps {
            self.begin_lazy_reload(cfg, config_json, generation, chain);
            return Ok(());
        }
        let spawner = Spawner {
            exe: &self.exe,
            config_json: &config_json,
            sockets: &self.sockets,
        };
        let child = spawner
            .zygote()
            .map_err(|e| format!("cannot start the new zygote: {e}"))?;
        let zygote = ZygoteLink::new(child.pid, generation, child.commands, child.reports)
            .map_err(|e| format!("cannot read the new zygote: {e}"))?;
        log_line!(
            "spawned uWSGI zygote (pid: {}) for generation {generation}, importing the app",
            zygote.pid
        );
        self.children_left = true;
        let total = cfg.cheaper.starting_workers(cfg.processes);
        self.reload.current = Some(Reload {
            started: Instant::now(),
            generation,
            table: WorkerTable::new(total),
            cfg,
            config_json,
            zygote: Some(zygote),
            next_poll: Instant::now(),
            chain,
        });
        self.reload_event(ReloadEvent::Started { generation, total });
        Ok(())
    }

    fn reload_failed(&mut self, why: &str) {
        self.reload.brutal = false;
        log_line!("reload failed: {why}; the old workers keep serving");
        self.reload_event(ReloadEvent::Failed {
            error: why.to_string(),
        });
        self.after_reload();
    }

    /// Starts the queued reload, if any.
    fn after_reload(&mut self) {
        if self.reload.take_queued() && self.stopping.is_none() {
            self.request_reload();
        }
    }

    /// One line from the new generation's zygote.
    pub(in crate::master) fn on_new_report_line(&mut self, line: &str) {
        match ZygoteReport::parse(line) {
            Some(ZygoteReport::Ready) => {
                let Some(r) = self.reload.current.as_mut() else {
                    return;
                };
                let Some(zygote) = r.zygote.as_mut() else {
                    return;
                };
                zygote.ready = true;
                log_line!(
                    "zygote (pid: {}, generation: {}) ready: app imported, forking workers",
                    zygote.pid,
                    r.generation
                );
                if r.chain.is_some() {
                    self.chain_step();
                    return;
                }
                let ids: Vec<u32> = r.table.iter().map(|s| s.id).collect();
                for id in ids {
                    self.request_new(id);
                }
            }
            Some(ZygoteReport::Born { id, pid }) => self.on_new_born(id, Pid::from_raw(pid)),
            Some(ZygoteReport::Failed { id, reason }) => {
                self.abort_reload(&format!(
                    "the new zygote could not fork worker {id}: {reason}"
                ));
            }
            None => log_line!("unexpected line from the new zygote: {line:?}"),
        }
    }

    /// Asks the new zygote for a worker in slot `id` (with `lazy-apps`,
    /// execs it).
    pub(super) fn request_new(&mut self, id: u32) {
        let Some(r) = self.reload.current.as_mut() else {
            return;
        };
        let generation = r.generation;
        let Some(zygote) = r.zygote.as_mut() else {
            self.spawn_new_lazy(id);
            return;
        };
        if zygote.send(ZygoteCommand::Spawn { id, generation }).is_ok()
            && let Some(slot) = r.table.get_mut(id)
        {
            slot.state = SlotState::Requested {
                since: Instant::now(),
            };
        }
        // A failed send: the new zygote is gone; its reaping fails the reload.
    }

    pub(super) fn on_new_born(&mut self, id: u32, pid: Pid) {
        let Some(r) = self.reload.current.as_mut() else {
            return;
        };
        if !r.table.record_birth(id, pid, r.generation, r.cfg.threads) {
            let generation = r.generation;
            self.retire_stray(id, pid, generation);
            return;
        }
        self.children_left = true;
        if let Some(cause) = self.take_early_death(pid) {
            self.on_new_worker_exit(pid, cause);
            return;
        }
        if let Some(progress) = self.reload.current.as_ref().map(Reload::progress) {
            self.reload_event(progress);
        }
        self.chain_step();
        if self.reload.ready() {
            self.complete_reload();
        }
    }

    /// A worker of the generation being started died: respawn it from the
    /// new zygote (with the slot's backoff).
    pub(in crate::master) fn on_new_worker_exit(&mut self, pid: Pid, cause: ExitCause) {
        let now = Instant::now();
        let Some(r) = self.reload.current.as_mut() else {
            return;
        };
        let Some(slot) = r.table.by_pid(pid) else {
            return;
        };
        let SlotState::Running { since, .. } = slot.state else {
            return;
        };
        let id = slot.id;
        slot.last_exit = Some(cause);
        if r.zygote.is_none() && cause.exit_code() == Some(FAILED_APP_EXIT) {
            slot.state = SlotState::Down { respawn_at: None };
            let why = format!(
                "the app failed to import in the new worker {id} (pid: {pid}, exit code 22)"
            );
            self.abort_reload(&why);
            return;
        }
        log_line!("DAMN ! worker {id} (pid: {pid}) {cause} :( trying respawn ...");
        let delay = slot.backoff.on_death(now.duration_since(since));
        slot.state = SlotState::Down {
            respawn_at: Some(now + delay),
        };
        if delay.is_zero() {
            self.request_new(id);
        }
    }

    /// Gives up a reload past its deadline; else requests the slots of the
    /// generation being started whose respawn is due.
    pub(in crate::master) fn reload_tick(&mut self, now: Instant) {
        let Some(r) = self.reload.current.as_mut() else {
            return;
        };
        r.next_poll = now + super::POLL;
        if let Some(why) = r.overdue(now) {
            self.abort_reload(&why);
            return;
        }
        let due = r.due(now);
        for id in due {
            self.request_new(id);
        }
        self.chain_step();
        if self.reload.ready() {
            self.complete_reload();
        }
    }

    /// The new zygote died before its generation was ready.
    pub(in crate::master) fn on_new_zygote_exit(&mut self, cause: ExitCause) {
        let Some(zygote) = self.reload.current.as_mut().and_then(|r| r.zygote.as_mut()) else {
            return;
        };
        let lines = zygote.drain_now();
        let pid = zygote.pid;
        for line in lines {
            self.on_new_report_line(&line);
        }
        if self.reload.current.is_none() {
            // Its last lines completed (or failed) the reload.
            return;
        }
        let why = if cause.exit_code() == Some(FAILED_APP_EXIT) {
            format!("the app failed to import in the new zygote (pid: {pid}, exit code 22)")
        } else {
            format!("the new zygote (pid: {pid}) {cause}")
        };
        self.abort_reload(&why);
    }

    /// Gives up the generation being started: its workers finish what they
    /// took, its zygote is stopped.
    pub(super) fn abort_reload(&mut self, why: &str) {
        let Some(r) = self.reload.current.take() else {
            return;
        };
        self.reload.brutal = false;
        log_line!("reload failed: {why}; the old workers keep serving");
        self.reload_event(ReloadEvent::Failed {
            error: why.to_string(),
        });
        if r.chain.is_some() {
            self.chain_failed();
        }
        if let Some(zygote) = r.zygote {
            let _ = kill(zygote.pid, Signal::SIGKILL);
            self.zygotes.retire(zygote);
        }
        for (id, pid) in r.table.running() {
            self.hand_slot_back(id, pid);
        }
        self.retire_generation(r.table, r.generation);
        self.after_reload();
    }

    /// Gives scoreboard slot `id`, if `from` (a failed generation's
    /// worker, or one that ended) still holds it, to the worker serving in
    /// it: after a failed reload the old workers keep serving and must be
    /// seen by harakiri and status again.
    fn hand_slot_back(&self, id: u32, from: Pid) {
        let serving = self.table.running().into_iter().find(|&(i, _)| i == id);
        let slot = crate::scoreboard::master().and_then(|board| board.slot(id));
        if let (Some((_, to)), Some(slot)) = (serving, slot) {
            slot.hand_back(from.as_raw(), to.as_raw(), self.generation);
        }
    }

    /// The new generation is ready: it becomes the app's, the old one is
    /// told to finish.
    fn complete_reload(&mut self) {
        let Some(r) = self.reload.current.take() else {
            return;
        };
        if r.chain.is_some() {
            log_line!("chain reloading complete");
        }
        let old_table = std::mem::replace(&mut self.table, r.table);
        for slot in self.table.iter_mut() {
            slot.reloaded = old_table
                .iter()
                .any(|old| old.id == slot.id && old.ever_started);
        }
        self.highest_slot = self.highest_slot.max(count(self.table.len()));
        let old_generation = self.generation;
        self.cfg = r.cfg;
        self.crons.reconfigure(&self.cfg);
        // Adaptive workers start over with the new generation's options.
        self.cheaper = crate::master::cheaper::Cheaper::after_reload(&self.cfg, Instant::now());
        self.config_json = r.config_json;
        self.generation = r.generation;
        self.zygotes.take_over(r.zygote);
        let workers: Vec<String> = self
            .table
            .running()
            .iter()
            .map(|(id, pid)| format!("{id} (pid: {pid})"))
            .collect();
        log_line!(
            "gracefully (RE)spawned uWSGI master process (pid: {}): generation {} ready in {:.2} seconds, workers {}",
            std::process::id(),
            self.generation,
            r.started.elapsed().as_secs_f64(),
            workers.join(", ")
        );
        self.retire_generation(old_table, old_generation);
        // Spoolers and mules run the new code too.
        self.restart_side_processes(|_| true);
        self.reload_event(ReloadEvent::TookOver {
            generation: self.generation,
            total: count(self.table.len()),
            draining: self.old_workers_left(),
        });
        self.check_drained();
        self.after_reload();
    }

    /// A brutal reload (the master FIFO's `R`, `W`): as graceful as
    /// [`Self::request_reload`] up to the take-over, where the old workers
    /// are killed instead of drained, cutting their in-flight requests as
    /// uWSGI's does.
    pub(in crate::master) fn request_brutal_reload(&mut self) {
        if self.stopping.is_none() {
            self.reload.brutal = true;
        }
        self.request_reload();
    }

    /// Tells every worker of `table` to finish within the mercy (or, after
    /// a brutal reload's take-over, at once).
    fn retire_generation(&mut self, table: WorkerTable, generation: u64) {
        let mercy = shutdown::mercy(&self.cfg);
        let running = table.running();
        if running.is_empty() {
            return;
        }
        if self.reload.current.is_none() && std::mem::take(&mut self.reload.brutal) {
            log_line!("...brutally killing workers of generation {generation}...");
            for (id, pid) in running {
                self.drain
                    .curse_now(id, pid, generation, shutdown::IMMEDIATE_GRACE);
            }
            return;
        }
        log_line!(
            "...gracefully killing workers of generation {generation} (mercy: {} seconds)...",
            mercy.as_secs()
        );
        for (id, pid) in running {
            self.drain.curse(id, pid, generation, mercy);
        }
    }

    /// A finishing worker ended: bury it; the reload may be done.
    pub(in crate::master) fn on_old_worker_exit(&mut self, old: OldWorker, cause: ExitCause) {
        self.drain.bury(&old, cause, self.generation);
        self.hand_slot_back(old.id, old.pid);
        self.cheaper.on_exit(old.id, old.pid);
        if old.generation < self.generation {
            self.check_drained();
        }
    }

    /// A retired zygote ended: workers it forked and reported only now
    /// belong to a retired generation, so they are told to finish too.
    pub(in crate::master) fn on_retired_zygote_exit(&mut self, pid: Pid) {
        let Some(mut link) = self.zygotes.take_retired(pid) else {
            return;
        };
        let mercy = shutdown::mercy(&self.cfg);
        for line in link.drain_now() {
            let Some(ZygoteReport::Born { id, pid }) = ZygoteReport::parse(&line) else {
                continue;
            };
            let pid = Pid::from_raw(pid);
            if let Some(at) = self.early_deaths.iter().position(|(p, _)| *p == pid) {
                self.early_deaths.remove(at);
                continue;
            }
            self.drain.curse(id, pid, link.generation, mercy);
        }
        log_line!(
            "zygote (pid: {pid}) of generation {} retired",
            link.generation
        );
    }

    /// Whether `pid` is a retired zygote.
    pub(in crate::master) fn is_retired_zygote(&self, pid: Pid) -> bool {
        self.zygotes.is_retired(pid)
    }

    /// The app is stopping: what a reload started joins the children to stop.
    pub(in crate::master) fn cancel_reload(&mut self) {
        if let Some(r) = self.reload.cancel(&self.facts.name) {
            if let Some(zygote) = r.zygote {
                self.zygotes.retire(zygote);
            }
            let generation = r.generation;
            for (id, pid) in r.table.running() {
                self.drain.doomed(id, pid, generation);
            }
        }
    }
}
