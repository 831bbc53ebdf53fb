//! Graceful reload (SIGHUP), invisible to clients.
//!
//! 1. The configuration is read again (`reload/reread.rs`); if it does not
//!    resolve, the reload fails and nothing changes.
//! 2. A new zygote is started with it (new generation) and imports the app
//!    again, while the old generation keeps serving and the old zygote
//!    still respawns its workers.
//! 3. The new generation is *ready* when its zygote reported `ready` and
//!    a worker of the new generation was born in every slot (each slot's
//!    `born` line read). New workers accept on the same listen sockets as
//!    soon as they are born, so there is no moment without an acceptor.
//! 4. Then the new generation takes over: the old workers get SIGHUP and
//!    `reload-mercy` (else `worker-reload-mercy`) seconds to finish
//!    (`reload/drain.rs`), the old zygote is retired, and a reload queued
//!    meanwhile starts.
//!
//! If the new zygote dies before that (exit 22: the app failed to import),
//! or the new generation is not ready within `reload-mercy` (an import
//! that hangs, say on a database that does not answer), the reload fails: the workers it forked are told to finish and the old
//! generation keeps serving. A SIGHUP during a reload is queued (at most
//! one). With `lazy-apps` there is no zygote: each new worker is exec'd
//! and imports the app itself, and the generation is ready when every new
//! worker has imported it (`reload/lazy.rs`).

pub(super) mod drain;
mod lazy;
pub(super) mod reread;

use std::time::Instant;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use super::control::progress::ReloadEvent;
use super::event_loop::AppMaster;
use super::reap::ExitCause;
use super::shutdown;
use super::spawn::Spawner;
use super::workers::{SlotState, WorkerTable};
use super::zygote_link::ZygoteLink;
use crate::config::AppConfig;
use crate::contract::exit::FAILED_APP_EXIT;
use crate::contract::zygote_lines::{ZygoteCommand, ZygoteReport};
use crate::log::log_line;

/// A new generation being started.
#[derive(Debug)]
pub struct Reload {
    pub started: Instant,
    pub generation: u64,
    pub cfg: AppConfig,
    pub config_json: String,
    pub table: WorkerTable,
    /// `None` with `lazy-apps`.
    pub zygote: Option<ZygoteLink>,
}

impl AppMaster {
    /// SIGHUP: reload now, or after the reload in progress.
    pub(super) fn request_reload(&mut self) {
        if self.stopping.is_some() {
            log_line!("...SIGHUP received while stopping: ignored...");
            return;
        }
        if self.reloading.is_some() {
            log_line!("...SIGHUP received during a reload: queued...");
            self.reload_queued = true;
            return;
        }
        log_line!("...gracefully reloading: reading the configuration again...");
        self.watchers.promote();
        if let Err(why) = self.begin_reload() {
            self.reload_failed(&why);
        }
    }

    fn begin_reload(&mut self) -> Result<(), String> {
        let reread = reread::reread(&self.cfg).map_err(|e| {
            let msgs = e.messages().join("; ");
            format!("the configuration does not resolve: {msgs}")
        })?;
        for line in reread.warnings.iter().chain(&reread.kept) {
            log_line!("{line}");
        }
        let cfg = reread.cfg;
        let config_json = serde_json::to_string(&cfg)
            .map_err(|e| format!("cannot serialise the configuration: {e}"))?;
        self.last_generation += 1;
        let generation = self.last_generation;
        if cfg.lazy_apps {
            self.begin_lazy_reload(cfg, config_json, generation);
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
        let total = cfg.processes;
        self.reloading = Some(Reload {
            started: Instant::now(),
            generation,
            table: WorkerTable::new(cfg.processes),
            cfg,
            config_json,
            zygote: Some(zygote),
        });
        self.reload_event(ReloadEvent::Started { generation, total });
        Ok(())
    }

    fn reload_failed(&mut self, why: &str) {
        log_line!("reload failed: {why}; the old workers keep serving");
        self.reload_event(ReloadEvent::Failed {
            error: why.to_string(),
        });
        self.after_reload();
    }

    /// Starts the queued reload, if any.
    fn after_reload(&mut self) {
        if std::mem::take(&mut self.reload_queued) && self.stopping.is_none() {
            self.request_reload();
        }
    }

    /// One line from the new generation's zygote.
    pub(super) fn on_new_report_line(&mut self, line: &str) {
        match ZygoteReport::parse(line) {
            Some(ZygoteReport::Ready) => {
                let Some(r) = self.reloading.as_mut() else {
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
    fn request_new(&mut self, id: u32) {
        let Some(r) = self.reloading.as_mut() else {
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

    fn on_new_born(&mut self, id: u32, pid: Pid) {
        let Some(r) = self.reloading.as_mut() else {
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
        if let Some(r) = &self.reloading {
            let progress = ReloadEvent::Progress {
                generation: r.generation,
                ready: count(r.table.running().len()),
                total: count(r.table.len()),
            };
            self.reload_event(progress);
        }
        if self.new_generation_ready() {
            self.complete_reload();
        }
    }

    /// A worker of the generation being started died: respawn it from the
    /// new zygote (with the slot's backoff).
    pub(super) fn on_new_worker_exit(&mut self, pid: Pid, cause: ExitCause) {
        let now = Instant::now();
        let Some(r) = self.reloading.as_mut() else {
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

    /// When the generation being started must be ready: the reload's whole
    /// budget is its `reload-mercy`, as for a stop.
    pub(super) fn reload_deadline(&self) -> Option<Instant> {
        let r = self.reloading.as_ref()?;
        Some(r.started + shutdown::mercy(&r.cfg))
    }

    /// Gives up a reload past its deadline; else requests the slots of the
    /// generation being started whose respawn is due.
    pub(super) fn reload_tick(&mut self, now: Instant) {
        if let Some(r) = &self.reloading
            && self.reload_deadline().is_some_and(|at| at <= now)
        {
            let why = format!(
                "generation {} was not ready within {} seconds (reload-mercy)",
                r.generation,
                shutdown::mercy(&r.cfg).as_secs()
            );
            self.abort_reload(&why);
            return;
        }
        let due = match self.reloading.as_ref() {
            Some(r) if r.zygote.as_ref().is_none_or(|z| z.ready) => r.table.due(now, false),
            _ => return,
        };
        for id in due {
            self.request_new(id);
        }
        if self.new_generation_ready() {
            self.complete_reload();
        }
    }

    /// Whether `pid` is the new generation's zygote.
    pub(super) fn is_new_zygote(&self, pid: Pid) -> bool {
        self.reloading
            .as_ref()
            .and_then(|r| r.zygote.as_ref())
            .is_some_and(|z| z.pid == pid)
    }

    /// Whether `pid` is a worker of the generation being started.
    pub(super) fn is_new_worker(&mut self, pid: Pid) -> bool {
        self.reloading
            .as_mut()
            .is_some_and(|r| r.table.by_pid(pid).is_some())
    }

    /// The new zygote died before its generation was ready.
    pub(super) fn on_new_zygote_exit(&mut self, cause: ExitCause) {
        let Some(zygote) = self.reloading.as_mut().and_then(|r| r.zygote.as_mut()) else {
            return;
        };
        let lines = zygote.drain_now();
        let pid = zygote.pid;
        for line in lines {
            self.on_new_report_line(&line);
        }
        if self.reloading.is_none() {
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
    fn abort_reload(&mut self, why: &str) {
        let Some(r) = self.reloading.take() else {
            return;
        };
        log_line!("reload failed: {why}; the old workers keep serving");
        self.reload_event(ReloadEvent::Failed {
            error: why.to_string(),
        });
        if let Some(mut zygote) = r.zygote {
            zygote.close_commands();
            let _ = kill(zygote.pid, Signal::SIGKILL);
            self.retired_zygotes.push(zygote);
        }
        self.retire_generation(r.table, r.generation);
        self.after_reload();
    }

    /// The new generation is ready: it becomes the app's, the old one is
    /// told to finish.
    fn complete_reload(&mut self) {
        let Some(r) = self.reloading.take() else {
            return;
        };
        let old_table = std::mem::replace(&mut self.table, r.table);
        for slot in self.table.iter_mut() {
            slot.reloaded = old_table
                .iter()
                .any(|old| old.id == slot.id && old.ever_started);
        }
        self.highest_slot = self.highest_slot.max(count(self.table.len()));
        let old_generation = self.generation;
        self.cfg = r.cfg;
        self.config_json = r.config_json;
        self.generation = r.generation;
        self.zygote_restart_at = None;
        self.zygote_ever_ready = true;
        if let Some(new) = r.zygote
            && let Some(mut old) = self.zygote.replace(new)
        {
            // It exits at EOF; births it still reports are drained at its exit.
            old.close_commands();
            self.retired_zygotes.push(old);
        }
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
        self.reload_event(ReloadEvent::TookOver {
            generation: self.generation,
            total: count(self.table.len()),
            draining: self.old_workers_left(),
        });
        self.check_drained();
        self.after_reload();
    }

    /// Tells every worker of `table` to finish within the mercy.
    fn retire_generation(&mut self, table: WorkerTable, generation: u64) {
        let mercy = shutdown::mercy(&self.cfg);
        let running = table.running();
        if running.is_empty() {
            return;
        }
        log_line!(
            "...gracefully killing workers of generation {generation} (mercy: {} seconds)...",
            mercy.as_secs()
        );
        for (id, pid) in running {
            self.curse(id, pid, generation, mercy);
        }
    }

    /// A retired zygote ended: workers it forked and reported only now
    /// belong to a retired generation, so they are told to finish too.
    pub(super) fn on_retired_zygote_exit(&mut self, pid: Pid) {
        let Some(at) = self.retired_zygotes.iter().position(|z| z.pid == pid) else {
            return;
        };
        let mut link = self.retired_zygotes.remove(at);
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
            self.curse(id, pid, link.generation, mercy);
        }
        log_line!(
            "zygote (pid: {pid}) of generation {} retired",
            link.generation
        );
    }

    /// Whether `pid` is a retired zygote.
    pub(super) fn is_retired_zygote(&self, pid: Pid) -> bool {
        self.retired_zygotes.iter().any(|z| z.pid == pid)
    }

    /// The app is stopping: what a reload started joins the children to stop.
    pub(super) fn cancel_reload(&mut self) {
        self.reload_queued = false;
        self.watchers
            .cancel_all(&self.facts.name, "the app is stopping");
        if let Some(r) = self.reloading.take() {
            if let Some(mut zygote) = r.zygote {
                zygote.close_commands();
                self.retired_zygotes.push(zygote);
            }
            let generation = r.generation;
            for (id, pid) in r.table.running() {
                self.drain.workers.push(drain::OldWorker {
                    id,
                    pid,
                    generation,
                    cursed_at: Instant::now(),
                    deadline: Instant::now(),
                    no_mercy: true,
                });
            }
        }
    }
}

/// A worker count for the control API.
fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
