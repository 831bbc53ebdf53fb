//! The commands the control service (and the stats server) send into the
//! master's event loop, which owns all the app's state and answers each on
//! its own oneshot channel.

use tokio::sync::oneshot;
use tonic::Status;
use uwsgid_proto::v1::AppStatus;

use super::progress::Watcher;
use crate::master::event_loop::AppMaster;
use crate::master::shutdown::{self, StopMode};
use crate::master::stats::Snapshot;
use crate::scoreboard::MAX_WORKERS;

/// A request for the event loop.
#[derive(Debug)]
pub enum Command {
    /// The app's status, memory not filled in (read outside the loop).
    Status { reply: oneshot::Sender<AppStatus> },
    /// A graceful stop, as SIGTERM.
    Stop { reply: oneshot::Sender<String> },
    /// A graceful reload, as SIGHUP; progress goes to `watcher`.
    Reload { watcher: Watcher },
    /// Sets the number of workers.
    Scale {
        processes: u32,
        reply: oneshot::Sender<Result<String, Status>>,
    },
    /// What the stats server shows.
    Stats { reply: oneshot::Sender<Snapshot> },
}

impl AppMaster {
    /// Runs one command. A caller that went away is not an error.
    pub(in crate::master) fn on_command(&mut self, command: Command) {
        match command {
            Command::Status { reply } => {
                let _ = reply.send(self.app_status());
            }
            Command::Stop { reply } => {
                let _ = reply.send(self.stop_requested());
            }
            Command::Reload { watcher } => self.reload_requested(watcher),
            Command::Scale { processes, reply } => {
                let _ = reply.send(self.scale_requested(processes));
            }
            Command::Stats { reply } => {
                let _ = reply.send(self.stats_snapshot());
            }
        }
    }

    fn stop_requested(&mut self) -> String {
        if self.stopping.is_some() {
            return format!("{} is already stopping", self.facts.name);
        }
        crate::log::log_line!("stop requested through the control socket");
        self.begin_stop(StopMode::Graceful, 0);
        format!(
            "{} is stopping gracefully (workers finish their requests; mercy: {} seconds)",
            self.facts.name,
            shutdown::mercy(&self.cfg).as_secs()
        )
    }

    fn reload_requested(&mut self, watcher: Watcher) {
        let next = match &self.reload.current {
            Some(r) => r.generation + 1,
            None => self.last_generation + 1,
        };
        self.reload.watchers.add(watcher, &self.facts.name, next);
        if self.stopping.is_some() {
            self.reload
                .watchers
                .cancel_all(&self.facts.name, "the app is stopping");
            return;
        }
        crate::log::log_line!("reload requested through the control socket");
        self.request_reload();
    }

    fn scale_requested(&mut self, processes: u32) -> Result<String, Status> {
        let most = MAX_WORKERS as u32;
        if !(1..=most).contains(&processes) {
            return Err(Status::invalid_argument(format!(
                "processes must be between 1 and {most}"
            )));
        }
        if self.stopping.is_some() {
            return Err(Status::failed_precondition("the app is stopping"));
        }
        if self.reload.current.is_some() {
            return Err(Status::failed_precondition(
                "a reload is in progress: scale once it is done",
            ));
        }
        if self.cheaper.enabled() {
            return self.scale_cheaper(processes);
        }
        let before = self.table.len();
        self.scale_to(processes as usize);
        Ok(format!(
            "{}: {before} → {processes} workers (until the next reload or restart, which read `processes` again)",
            self.facts.name
        ))
    }
}
