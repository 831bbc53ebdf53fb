//! The zygote's life as the master sees it: start it, read its reports,
//! and on its death either give up (the app never loaded: uWSGI's
//! `*** no app loaded. GAME OVER ***`, exit 22) or restart it with backoff
//! while the workers it forked keep serving.

use std::time::Instant;

use nix::unistd::Pid;

use super::link::ZygoteLink;
use crate::contract::exit::FAILED_APP_EXIT;
use crate::contract::zygote_lines::ZygoteReport;
use crate::log::log_line;
use crate::master::event_loop::AppMaster;
use crate::master::reap::ExitCause;
use crate::master::shutdown::StopMode;
use crate::master::workers::SlotState;

impl AppMaster {
    /// Execs a new zygote; workers are requested when it reports `ready`.
    pub(in crate::master) fn start_zygote(&mut self) {
        self.zygotes.cancel_restart();
        let link = self
            .spawner()
            .zygote()
            .map_err(|e| e.to_string())
            .and_then(|child| {
                ZygoteLink::new(child.pid, self.generation, child.commands, child.reports)
                    .map_err(|e| e.to_string())
            });
        match link {
            Ok(link) => {
                log_line!(
                    "spawned uWSGI zygote (pid: {}), importing the app",
                    link.pid
                );
                self.children_left = true;
                self.zygotes.started(link);
            }
            Err(err) if !self.zygotes.ever_ready() => {
                log_line!("unable to start the zygote: {err}");
                self.begin_stop(StopMode::Immediate, 1);
            }
            Err(err) => {
                log_line!("unable to start the zygote: {err}");
                let delay = self.zygotes.backoff(std::time::Duration::ZERO);
                self.schedule_zygote_restart(Instant::now(), delay);
            }
        }
    }

    /// One line from the zygote's report pipe.
    pub(in crate::master) fn on_report_line(&mut self, line: &str) {
        match ZygoteReport::parse(line) {
            Some(ZygoteReport::Ready) => self.on_zygote_ready(),
            Some(ZygoteReport::Born { id, pid }) => self.on_born(id, Pid::from_raw(pid)),
            Some(ZygoteReport::Failed { id, reason }) => {
                log_line!("the zygote could not fork worker {id}: {reason}");
                let now = Instant::now();
                if let Some(slot) = self.table.get_mut(id) {
                    let delay = slot.backoff.on_death(std::time::Duration::ZERO);
                    slot.state = SlotState::Down {
                        respawn_at: Some(now + delay),
                    };
                }
            }
            None => log_line!("unexpected line from the zygote: {line:?}"),
        }
    }

    fn on_zygote_ready(&mut self) {
        let Some(link) = self.zygotes.mark_ready() else {
            return;
        };
        log_line!(
            "zygote (pid: {}, generation: {}) ready: app imported, forking workers",
            link.pid,
            link.generation
        );
        for id in self.table.due(Instant::now(), true) {
            self.spawn_worker(id);
        }
    }

    /// The zygote ended: read the births it reported before dying, then
    /// give up or restart it.
    pub(in crate::master) fn on_zygote_exit(&mut self, cause: ExitCause) {
        let Some(mut link) = self.zygotes.current.take() else {
            return;
        };
        for line in link.drain_now() {
            self.on_report_line(&line);
        }
        for slot in self.table.iter_mut() {
            if matches!(slot.state, SlotState::Requested { .. }) {
                slot.state = SlotState::Down { respawn_at: None };
            }
        }
        if self.stopping.is_some() {
            return;
        }
        let now = Instant::now();
        if !self.zygotes.ever_ready() {
            if cause.exit_code() == Some(FAILED_APP_EXIT) {
                log_line!("*** no app loaded. GAME OVER ***");
                self.begin_stop(StopMode::Immediate, FAILED_APP_EXIT);
            } else {
                log_line!(
                    "the zygote (pid: {}) {cause} before loading the app. GAME OVER",
                    link.pid
                );
                self.begin_stop(StopMode::Immediate, 1);
            }
            return;
        }
        log_line!(
            "DAMN ! zygote (pid: {}) {cause} :( restarting it ...",
            link.pid
        );
        let delay = self.zygotes.backoff(now.duration_since(link.started));
        self.schedule_zygote_restart(now, delay);
    }

    fn schedule_zygote_restart(&mut self, now: Instant, delay: std::time::Duration) {
        if delay.is_zero() {
            self.start_zygote();
        } else {
            log_line!(
                "zygote respawning too fast !!! i have to sleep a bit ({} seconds)...",
                delay.as_secs()
            );
            self.zygotes.schedule_restart(now + delay);
        }
    }
}
