//! The app master's event loop: one task on a current-thread tokio runtime
//! reacting to signals, zygote reports and timers (respawn backoff, stop
//! deadlines). The handlers live next to what they handle:
//! `lifecycle.rs` (workers), `zygote_life.rs` (the zygote), `shutdown.rs`,
//! `reload.rs` (new generations, old ones finishing), `scale.rs`
//! (SIGTTIN/SIGTTOU), `stats_log.rs` (SIGUSR1), `control/command.rs`
//! (requests from the control API and the stats server). After every
//! event, systemd hears of a change of the app's state (`notify.rs`).

use std::collections::VecDeque;
use std::path::PathBuf;
use std::time::Instant;

use nix::unistd::Pid;
use tokio::sync::mpsc;

use super::control::command::Command;
use super::daemons::Daemons;
use super::fifo::{self, MasterFifo};
use super::notify::Notifier;
use super::reap::{self, ExitCause};
use super::reload::Reloads;
use super::reload::drain::Drain;
use super::shutdown::{StopMode, Stopping};
use super::signals::{self, MasterSignal};
use super::sockets::ListenSocket;
use super::spawn::Spawner;
use super::touch::{Touches, Trigger};
use super::views::AppFacts;
use super::workers::WorkerTable;
use super::zygote::Zygotes;
use super::zygote::link::ZygoteLink;
use crate::config::AppConfig;
use crate::control::socket::Rebinder;
use crate::hooks::SignalAction;
use crate::log::log_line;

/// How many deaths of not-yet-reported pids are remembered (a worker can
/// die before the zygote's `born` line for it is read).
const ORPHAN_MEMORY: usize = 64;

/// Everything the app master knows about its children.
#[derive(Debug)]
pub struct AppMaster {
    pub(super) cfg: AppConfig,
    pub(super) config_json: String,
    pub(super) exe: PathBuf,
    pub(super) sockets: Vec<ListenSocket>,
    pub(super) table: WorkerTable,
    /// The generation new workers belong to (a reload will increment it).
    pub(super) generation: u64,
    /// The highest generation ever started (a failed reload uses one up).
    pub(super) last_generation: u64,
    pub(super) zygotes: Zygotes,
    pub(super) stopping: Option<Stopping>,
    /// Children reaped before the zygote reported their birth.
    pub(super) early_deaths: VecDeque<(Pid, ExitCause)>,
    /// False once the master has no child left.
    pub(super) children_left: bool,
    /// Reloads: the generation being started, a queued one, their watchers.
    pub(super) reload: Reloads,
    /// Workers of past generations (or removed by SIGTTOU) finishing.
    pub(super) drain: Drain,
    pub(super) harakiri: super::harakiri::Harakiri,
    /// What status shows that never changes.
    pub(super) facts: AppFacts,
    /// Requests from the control API and the stats server.
    pub(super) commands: Option<mpsc::Receiver<Command>>,
    /// Makes the control socket again when it was deleted (on SIGHUP).
    pub(super) control_socket: Option<Rebinder>,
    /// `master-fifo`: commands written to a named pipe.
    pub(super) fifo: Option<MasterFifo>,
    /// `touch-reload` and its kin.
    pub(super) touches: Touches,
    /// `hook-master-start = unix_signal:N FUNCTION`: what N does instead.
    pub(super) signal_actions: Vec<(i32, SignalAction)>,
    pub(super) notifier: Notifier,
    /// The highest worker id ever used (scoreboard slots to total).
    pub(super) highest_slot: u32,
    /// Attached daemons (`attach-daemon` and its family).
    pub(super) daemons: Daemons,
    /// Adaptive workers (`cheaper`).
    pub(super) cheaper: super::cheaper::Cheaper,
    /// Paused (`pause.rs`).
    pub(super) paused: bool,
    /// Command crons (`cron.rs`).
    pub(super) crons: super::cron::Crons,
    /// uWSGI signals and their timers (`uwsgi_signals/`).
    pub(super) uwsgi_signals: super::uwsgi_signals::SignalHub,
    /// Spoolers and mules (`side_processes/`).
    pub(super) side_processes: super::side_processes::SideProcesses,
}

enum Event {
    Signal(MasterSignal),
    Report(std::io::Result<Option<String>>),
    NewReport(std::io::Result<Option<String>>),
    Control(Command),
    Fifo(Vec<u8>),
    Watchdog,
    Timer,
    UwsgiSignal(super::uwsgi_signals::Received),
}

impl AppMaster {
    pub fn new(
        cfg: AppConfig,
        config_json: String,
        exe: PathBuf,
        sockets: Vec<ListenSocket>,
    ) -> AppMaster {
        // Before any child: every child inherits the mules' queues.
        super::mule_queues::create(&cfg.mules);
        AppMaster {
            table: WorkerTable::new(cfg.cheaper.starting_workers(cfg.processes)),
            cheaper: super::cheaper::Cheaper::new(&cfg, Instant::now()),
            facts: AppFacts::new(&cfg, None),
            commands: None,
            control_socket: None,
            fifo: MasterFifo::new(&cfg.master_fifo),
            touches: Touches::new(&cfg),
            signal_actions: Vec::new(),
            notifier: Notifier::default(),
            highest_slot: cfg.processes.max(1),
            daemons: Daemons::new(&cfg),
            paused: false,
            crons: super::cron::Crons::new(&cfg),
            uwsgi_signals: super::uwsgi_signals::SignalHub::new(&cfg),
            side_processes: super::side_processes::SideProcesses::new(&cfg),
            cfg,
            config_json,
            exe,
            sockets,
            generation: 1,
            last_generation: 1,
            zygotes: Zygotes::default(),
            stopping: None,
            early_deaths: VecDeque::new(),
            children_left: false,
            reload: Reloads::default(),
            drain: Drain::default(),
            harakiri: Default::default(),
        }
    }

    /// Serves the control API's commands from `commands`, shows `facts`
    /// and notifies systemd when asked to (`NOTIFY_SOCKET`).
    pub fn with_control(
        mut self,
        commands: mpsc::Receiver<Command>,
        facts: AppFacts,
        socket: Option<Rebinder>,
    ) -> AppMaster {
        self.commands = Some(commands);
        self.control_socket = socket;
        self.facts = facts;
        self.notifier = Notifier::from_env();
        self
    }

    /// Starts the workers and runs until the app has stopped and every
    /// child is reaped; returns the master's exit code.
    pub async fn run(mut self) -> std::io::Result<i32> {
        let mut signals = signals::install()?;
        if let Some(fifo) = self.fifo.as_mut() {
            fifo.make()?;
        }
        self.signal_actions = crate::hooks::run("master-start", &self.cfg.hooks.master_start)
            .map_err(std::io::Error::other)?;
        signals::check_hooked(&self.signal_actions).map_err(std::io::Error::other)?;
        self.start();
        self.start_side_processes();
        self.start_daemons();
        loop {
            self.notifier.on_state(self.app_state(), self.table.len());
            if let Some(code) = self.finished() {
                if self.cfg.vacuum
                    && let Some(fifo) = self.fifo.as_mut()
                {
                    fifo.remove();
                }
                return Ok(code);
            }
            let wake = self.next_wake();
            let watchdog = self.notifier.watchdog_at();
            let event = tokio::select! {
                sig = signals.next() => Event::Signal(sig),
                line = next_report(self.zygotes.current.as_mut()) => Event::Report(line),
                line = next_report(self.reload.current.as_mut().and_then(|r| r.zygote.as_mut())) => {
                    Event::NewReport(line)
                }
                Some(command) = next_command(self.commands.as_mut()) => Event::Control(command),
                bytes = fifo::next_bytes(self.fifo.as_mut()) => Event::Fifo(bytes),
                () = sleep_until(watchdog) => Event::Watchdog,
                () = sleep_until(wake) => Event::Timer,
                received = self.uwsgi_signals.next() => Event::UwsgiSignal(received),
            };
            match event {
                Event::Signal(sig) => self.on_signal(sig),
                Event::Report(Ok(Some(line))) => self.on_report_line(&line),
                Event::Report(Ok(None)) => {}
                Event::Report(Err(err)) => log_line!("cannot read the zygote's reports: {err}"),
                Event::NewReport(Ok(Some(line))) => self.on_new_report_line(&line),
                Event::NewReport(Ok(None)) => {}
                Event::NewReport(Err(err)) => {
                    log_line!("cannot read the new zygote's reports: {err}")
                }
                Event::Control(command) => self.on_command(command),
                Event::Fifo(bytes) => self.on_fifo_bytes(&bytes),
                Event::Watchdog => self.notifier.watchdog_tick(Instant::now()),
                Event::Timer => self.on_timer(),
                Event::UwsgiSignal(received) => self.on_uwsgi_signal(received),
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
        let number = sig.number();
        if let Some(&(_, action)) = self.signal_actions.iter().find(|(n, _)| *n == number) {
            self.on_signal_action(action);
            return;
        }
        match sig {
            MasterSignal::Child => self.reap(),
            // Also with `die-on-term`: TERM never reloads here.
            MasterSignal::Term => self.begin_stop(StopMode::Graceful, 0),
            MasterSignal::Int | MasterSignal::Quit => self.begin_stop(StopMode::Immediate, 0),
            MasterSignal::Hup => self.request_reload(),
            MasterSignal::Usr1 => self.log_stats(),
            MasterSignal::Ttin => {
                self.add_worker("SIGTTIN");
            }
            MasterSignal::Ttou => {
                self.remove_worker("SIGTTOU");
            }
            MasterSignal::Tstp => self.toggle_pause(),
        }
    }

    /// What a watched file's change asks for (`master/touch.rs`).
    fn on_touched(&mut self, trigger: Trigger) {
        match trigger {
            Trigger::Reload => self.request_reload(),
            Trigger::ChainReload => self.request_chain_reload(),
            Trigger::SpoolersReload => self.restart_side_processes(|role| {
                matches!(role, crate::contract::side_role::SideRole::Spooler(_))
            }),
            Trigger::MulesReload => self.restart_side_processes(|role| {
                matches!(role, crate::contract::side_role::SideRole::Mule(_))
            }),
            Trigger::ReopenLog => super::log_master::reopen(self.facts.log_path.as_deref()),
            Trigger::Exec(command) => {
                // Not fatal: the app serves on whatever the command did.
                let _ = crate::hooks::run("touch-exec", &[format!("exec:{command}")]);
            }
        }
    }

    /// What a `unix_signal` hook made a signal do.
    fn on_signal_action(&mut self, action: SignalAction) {
        match action {
            SignalAction::GracefulStop => self.begin_stop(StopMode::Graceful, 0),
            SignalAction::ImmediateStop => self.begin_stop(StopMode::Immediate, 0),
            SignalAction::Reload => self.request_reload(),
            SignalAction::Stats => self.log_stats(),
            SignalAction::Pause => self.toggle_pause(),
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
        if self.on_daemon_exit(pid, cause)
            || self.crons.on_exit(pid)
            || self.on_side_exit(pid, cause)
        {
            return;
        }
        if self.zygotes.is_current(pid) {
            self.on_zygote_exit(cause);
        } else if self.table.by_pid(pid).is_some() {
            self.on_worker_exit(pid, cause);
        } else if let Some(old) = self.drain.take(pid) {
            self.on_old_worker_exit(old, cause);
        } else if self.reload.is_new_zygote(pid) {
            self.on_new_zygote_exit(cause);
        } else if self.reload.is_new_worker(pid) {
            self.on_new_worker_exit(pid, cause);
        } else if self.is_retired_zygote(pid) {
            self.on_retired_zygote_exit(pid);
        } else if self.stopping.is_none() {
            if self.early_deaths.len() >= ORPHAN_MEMORY {
                self.early_deaths.pop_front();
            }
            self.early_deaths.push_back((pid, cause));
        }
    }

    fn on_timer(&mut self) {
        let now = Instant::now();
        self.daemons_tick(now);
        self.side_processes_tick(now);
        if self.stopping.is_some() {
            self.stop_tick(now);
            return;
        }
        if self.zygotes.restart_at().is_some_and(|at| at <= now) {
            self.start_zygote();
        }
        for id in self.table.due(now, false) {
            self.spawn_worker(id);
        }
        self.reload_tick(now);
        self.crons.tick(now);
        self.drain.enforce(now);
        self.harakiri_tick(now);
        for trigger in self.touches.check(now) {
            self.on_touched(trigger);
        }
        self.cheaper_tick(now);
        self.uwsgi_signals_tick(now);
    }

    fn next_wake(&self) -> Option<Instant> {
        if let Some(stop) = &self.stopping {
            return Some(stop.next_tick());
        }
        [
            self.table.next_respawn(),
            self.zygotes.restart_at(),
            self.reload.next_respawn(),
            self.reload.deadline(),
            self.drain.next_deadline(),
            self.reload.poll_at(),
            self.harakiri_wake(),
            self.touches.next_check(),
            self.daemons.next_wake(),
            self.side_processes.next_wake(),
            self.cheaper.next_cycle(),
            self.crons.next_wake(),
            self.uwsgi_signals_wake(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    fn finished(&mut self) -> Option<i32> {
        let code = self.stopping.as_ref()?.exit_code;
        (!self.children_left || self.daemons.only_kept_left()).then_some(code)
    }
}

async fn next_report(link: Option<&mut ZygoteLink>) -> std::io::Result<Option<String>> {
    match link {
        Some(link) if !link.at_eof() => link.next_line().await,
        _ => std::future::pending().await,
    }
}

/// The next command; never, without a control channel or once every
/// sender is gone.
async fn next_command(commands: Option<&mut mpsc::Receiver<Command>>) -> Option<Command> {
    match commands {
        Some(rx) => match rx.recv().await {
            Some(command) => Some(command),
            None => std::future::pending().await,
        },
        None => std::future::pending().await,
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}
