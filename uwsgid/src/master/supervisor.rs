//! The app master's event loop: one task on a current-thread tokio runtime
//! reacting to signals, zygote reports and timers (respawn backoff, stop
//! deadlines). The handlers live next to what they handle:
//! `lifecycle.rs` (workers), `zygote_life.rs` (the zygote), `shutdown.rs`.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::time::Instant;

use nix::unistd::Pid;

use super::reap::{self, ExitCause};
use super::respawn::Backoff;
use super::shutdown::{StopMode, Stopping};
use super::signals::{MasterSignal, Signals};
use super::sockets::ListenSocket;
use super::spawn::Spawner;
use super::workers::WorkerTable;
use super::zygote_link::ZygoteLink;
use crate::config::AppConfig;
use crate::master::log::log_line;

/// How many deaths of not-yet-reported pids are remembered (a worker can
/// die before the zygote's `born` line for it is read).
const ORPHAN_MEMORY: usize = 64;

/// Everything the app master knows about its children.
#[derive(Debug)]
pub struct Supervisor {
    pub(super) cfg: AppConfig,
    pub(super) config_json: String,
    pub(super) exe: PathBuf,
    pub(super) sockets: Vec<ListenSocket>,
    pub(super) table: WorkerTable,
    /// The generation new workers belong to (a reload will increment it).
    pub(super) generation: u64,
    pub(super) zygote: Option<ZygoteLink>,
    pub(super) zygote_backoff: Backoff,
    pub(super) zygote_restart_at: Option<Instant>,
    /// Whether any zygote of this app imported the app: until then a
    /// zygote's death is fatal (the app cannot load), after it a restart.
    pub(super) zygote_ever_ready: bool,
    pub(super) stopping: Option<Stopping>,
    /// Children reaped before the zygote reported their birth.
    pub(super) early_deaths: VecDeque<(Pid, ExitCause)>,
    /// False once the master has no child left.
    pub(super) children_left: bool,
    pub(super) harakiri: super::harakiri::Harakiri,
}

enum Event {
    Signal(MasterSignal),
    Report(std::io::Result<Option<String>>),
    Timer,
}

impl Supervisor {
    pub fn new(
        cfg: AppConfig,
        config_json: String,
        exe: PathBuf,
        sockets: Vec<ListenSocket>,
    ) -> Supervisor {
        Supervisor {
            table: WorkerTable::new(cfg.processes),
            cfg,
            config_json,
            exe,
            sockets,
            generation: 1,
            zygote: None,
            zygote_backoff: Backoff::default(),
            zygote_restart_at: None,
            zygote_ever_ready: false,
            stopping: None,
            early_deaths: VecDeque::new(),
            children_left: false,
            harakiri: Default::default(),
        }
    }

    /// Starts the workers and runs until the app has stopped and every
    /// child is reaped; returns the master's exit code.
    pub async fn run(mut self) -> std::io::Result<i32> {
        let mut signals = Signals::install()?;
        self.start();
        loop {
            if let Some(code) = self.finished() {
                return Ok(code);
            }
            let wake = self.next_wake();
            let event = tokio::select! {
                sig = signals.next() => Event::Signal(sig),
                line = next_report(self.zygote.as_mut()) => Event::Report(line),
                () = sleep_until(wake) => Event::Timer,
            };
            match event {
                Event::Signal(sig) => self.on_signal(sig),
                Event::Report(Ok(Some(line))) => self.on_report_line(&line),
                Event::Report(Ok(None)) => {}
                Event::Report(Err(err)) => log_line!("cannot read the zygote's reports: {err}"),
                Event::Timer => self.on_timer(),
            }
        }
    }

    pub(super) fn spawner(&self) -> Spawner<'_> {
        Spawner {
            exe: &self.exe,
            config_json: &self.config_json,
            sockets: &self.sockets,
        }
    }

    fn on_signal(&mut self, sig: MasterSignal) {
        match sig {
            MasterSignal::Child => self.reap(),
            MasterSignal::Term => self.begin_stop(StopMode::Graceful, 0),
            MasterSignal::Int | MasterSignal::Quit => self.begin_stop(StopMode::Immediate, 0),
            MasterSignal::Hup => {
                log_line!(
                    "...SIGHUP received: graceful reload is not implemented yet, ignoring it..."
                )
            }
        }
    }

    /// Collects every ended child and acts on each.
    pub(super) fn reap(&mut self) {
        let reaped = reap::reap_all();
        self.children_left = reaped.children_left;
        for (pid, cause) in reaped.ended {
            self.note_exit(pid, cause);
            self.on_child_exit(pid, cause);
        }
    }

    pub(super) fn on_child_exit(&mut self, pid: Pid, cause: ExitCause) {
        if self.zygote.as_ref().is_some_and(|z| z.pid == pid) {
            self.on_zygote_exit(cause);
        } else if self.table.by_pid(pid).is_some() {
            self.on_worker_exit(pid, cause);
        } else if self.stopping.is_none() {
            if self.early_deaths.len() >= ORPHAN_MEMORY {
                self.early_deaths.pop_front();
            }
            self.early_deaths.push_back((pid, cause));
        }
    }

    fn on_timer(&mut self) {
        let now = Instant::now();
        if self.stopping.is_some() {
            self.stop_tick(now);
            return;
        }
        if self.zygote_restart_at.is_some_and(|at| at <= now) {
            self.start_zygote();
        }
        for id in self.table.due(now, false) {
            self.spawn_worker(id);
        }
        self.harakiri_tick(now);
    }

    fn next_wake(&self) -> Option<Instant> {
        if let Some(stop) = &self.stopping {
            return Some(stop.next_tick());
        }
        [
            self.table.next_respawn(),
            self.zygote_restart_at,
            self.harakiri_wake(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    fn finished(&mut self) -> Option<i32> {
        let code = self.stopping.as_ref()?.exit_code;
        (!self.children_left).then_some(code)
    }
}

async fn next_report(link: Option<&mut ZygoteLink>) -> std::io::Result<Option<String>> {
    match link {
        Some(link) if !link.at_eof() => link.next_line().await,
        _ => std::future::pending().await,
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}
