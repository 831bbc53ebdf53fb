//! The supervisor's event loop: one task on a current-thread tokio runtime
//! owns the [`Registry`] and reacts to control commands (over an mpsc
//! channel, answered on oneshots), app masters' exits, signals, the scan
//! timer, restart and kill deadlines, and systemd's watchdog. Nothing here
//! waits on an app: slow work (an app's own control API, a process's
//! death) runs in tasks that report back as [`Event`]s. The handlers live
//! next to what they handle: `actions.rs` (start, stop, restart, add,
//! remove, exits), `watch.rs` (scans), `adopt.rs` (masters found at start).

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};
use tonic::Status;
use uwsgid_proto::v1::AppStatus;

use super::notify::Notifier;
use super::options::Paths;
use super::registry::{AppView, Registry, Reply};
use super::signals::{self, SupervisorSignal};
use super::state_file::StateFile;
use super::status;
use crate::control::socket::Rebinder;
use crate::log::log_line;

/// A request of the control service to the event loop.
#[derive(Debug)]
pub enum Command {
    /// Snapshots of every app, or of one (NOT_FOUND if unknown).
    Views {
        app: Option<String>,
        reply: oneshot::Sender<Result<Vec<AppView>, Status>>,
    },
    Start {
        app: String,
        reply: Reply,
    },
    /// Start by ini path: an app of the apps directory, or one to add.
    StartIni {
        ini: PathBuf,
        reply: Reply,
    },
    Stop {
        app: String,
        reply: Reply,
    },
    Restart {
        app: String,
        reply: Reply,
    },
    Add {
        ini: PathBuf,
        start: bool,
        reply: Reply,
    },
    Remove {
        app: String,
        reply: Reply,
    },
    Rescan {
        reply: Reply,
    },
}

/// What tasks report to the event loop.
#[derive(Debug)]
pub enum Event {
    /// An app master ended; `how` says how ("exit code 22", "signal 9").
    Exited {
        name: String,
        incarnation: u64,
        how: String,
    },
    /// A reload through an app's control API finished.
    Reloaded {
        name: String,
        result: Result<(), String>,
    },
    /// Every app's status, for systemd's READY=1 and STATUS=.
    Statuses(Vec<AppStatus>),
}

/// The supervisor's state; see the module doc.
#[derive(Debug)]
pub struct Supervisor {
    pub(super) paths: Paths,
    pub(super) exe: PathBuf,
    pub(super) registry: Registry,
    pub(super) state_file: StateFile,
    /// The apps stopped on purpose (what the state file holds).
    pub(super) stopped: BTreeSet<String>,
    pub(super) events: mpsc::UnboundedSender<Event>,
    pub(super) incarnation: u64,
    pub(super) shutting_down: bool,
    pub(super) notifier: Notifier,
    /// Reloads through app masters' APIs not finished yet.
    pub(super) reloads_in_flight: usize,
    /// A status collection for the notifier is under way.
    status_in_flight: bool,
    /// When to collect the next one.
    next_status_at: Instant,
    /// Makes the control socket again when it was deleted (on SIGHUP).
    control: Option<Rebinder>,
    /// Vassal files of other formats already named in the log.
    pub(super) other_formats_named: BTreeSet<PathBuf>,
}

/// How far past an app's mercy a stopping master gets before SIGKILL.
pub const STOP_MARGIN: Duration = Duration::from_secs(10);

impl Supervisor {
    pub fn new(paths: Paths, exe: PathBuf, events: mpsc::UnboundedSender<Event>) -> Supervisor {
        let state_file = StateFile::new(&paths.state_dir);
        let stopped = match state_file.load() {
            Ok(state) => state.stopped,
            Err(err) => {
                log_line!("uwsgid: warning: {err}; every app starts");
                BTreeSet::new()
            }
        };
        Supervisor {
            paths,
            exe,
            registry: Registry::default(),
            state_file,
            stopped,
            events,
            incarnation: 0,
            shutting_down: false,
            notifier: Notifier::from_env(),
            reloads_in_flight: 0,
            status_in_flight: false,
            next_status_at: Instant::now(),
            control: None,
            other_formats_named: BTreeSet::new(),
        }
    }

    /// Scans, adopts the masters that survived a previous supervisor,
    /// starts the rest, and runs until a stop signal has stopped every app.
    pub async fn run(
        mut self,
        mut commands: mpsc::Receiver<Command>,
        mut events: mpsc::UnboundedReceiver<Event>,
    ) -> std::io::Result<()> {
        let mut signals = signals::install()?;
        self.scan_without_starting();
        self.adopt().await;
        self.start_wanted();
        let mut scan = tokio::time::interval(self.paths.scan_interval);
        scan.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut watchdog = self.notifier.watchdog_interval();
        loop {
            if self.shutting_down && self.no_master_left() {
                return Ok(());
            }
            let deadline = self.registry.next_deadline();
            tokio::select! {
                Some(cmd) = commands.recv() => self.on_command(cmd),
                Some(event) = events.recv() => self.on_event(event),
                sig = signals.next() => self.on_signal(sig),
                _ = scan.tick(), if !self.shutting_down => {
                    self.rescan();
                }
                () = sleep_until(deadline) => self.on_timer(),
                _ = tick(watchdog.as_mut()) => self.notifier.watchdog(),
                () = sleep_until(Some(self.next_status_at)), if self.wants_statuses() => {
                    self.collect_statuses();
                }
            }
        }
    }

    fn on_command(&mut self, cmd: Command) {
        if self.shutting_down && !matches!(cmd, Command::Views { .. }) {
            refuse_stopping(cmd);
            return;
        }
        match cmd {
            Command::Views { app, reply } => {
                let views = self.registry.views(app.as_deref());
                let result = match app {
                    Some(name) if views.is_empty() => Err(unknown_app(&name)),
                    _ => Ok(views),
                };
                let _ = reply.send(result);
            }
            Command::Start { app, reply } => self.start(&app, reply),
            Command::StartIni { ini, reply } => self.start_ini(ini, reply),
            Command::Stop { app, reply } => self.stop(&app, reply),
            Command::Restart { app, reply } => self.restart(&app, reply),
            Command::Add { ini, start, reply } => {
                let _ = reply.send(self.add(&ini, start));
            }
            Command::Remove { app, reply } => self.remove(&app, reply),
            Command::Rescan { reply } => {
                let summary = self.rescan();
                let _ = reply.send(Ok(summary));
            }
        }
    }

    fn on_event(&mut self, event: Event) {
        match event {
            Event::Exited {
                name,
                incarnation,
                how,
            } => self.on_exit(&name, incarnation, &how),
            Event::Reloaded { name, result } => self.on_reloaded(&name, result),
            Event::Statuses(statuses) => {
                self.status_in_flight = false;
                self.next_status_at = Instant::now() + self.notifier.poll_delay();
                let wanted = self.wanted_names();
                self.notifier
                    .on_statuses(&statuses, &wanted, self.reloads_in_flight);
            }
        }
    }

    fn on_signal(&mut self, sig: SupervisorSignal) {
        match sig {
            SupervisorSignal::Stop(name) => {
                if !self.shutting_down {
                    log_line!("uwsgid: {name}: stopping every app");
                    self.shut_down();
                }
            }
            SupervisorSignal::Reload => {
                if !self.shutting_down {
                    log_line!("uwsgid: SIGHUP: scanning and reloading every app");
                    self.ensure_control_socket();
                    self.notifier.reloading();
                    self.next_status_at = Instant::now();
                    self.rescan();
                    self.reload_all();
                }
            }
        }
    }

    /// Serves the control API through `control`'s socket, made again on
    /// SIGHUP when it was deleted.
    pub fn with_control(mut self, control: Rebinder) -> Supervisor {
        self.control = Some(control);
        self
    }

    fn ensure_control_socket(&mut self) {
        let Some(control) = &self.control else {
            return;
        };
        match control.ensure() {
            Ok(true) => log_line!(
                "uwsgid: the control socket {} was gone: made it again",
                self.paths.control.display()
            ),
            Ok(false) => {}
            Err(err) => log_line!("uwsgid: {err}"),
        }
    }

    /// Restart delays that ran out; stopping masters past their time.
    fn on_timer(&mut self) {
        let now = Instant::now();
        let due: Vec<String> = self
            .registry
            .apps
            .values()
            .filter(|a| a.restart_at.is_some_and(|t| t <= now))
            .map(|a| a.name.clone())
            .collect();
        for name in due {
            if let Some(app) = self.registry.apps.get_mut(&name) {
                app.restart_at = None;
            }
            if !self.shutting_down {
                // A failure is logged and rescheduled by start_master.
                let _ = self.start_master(&name);
            }
        }
        self.kill_overdue(now);
    }

    fn shut_down(&mut self) {
        self.shutting_down = true;
        self.notifier.stopping();
        let names: Vec<String> = self.registry.apps.keys().cloned().collect();
        for name in names {
            if let Some(app) = self.registry.apps.get_mut(&name) {
                app.restart_at = None;
            }
            self.signal_stop(&name);
        }
    }

    fn no_master_left(&self) -> bool {
        self.registry.apps.values().all(|a| a.master.is_none())
    }

    /// The apps that should be running (for readiness).
    fn wanted_names(&self) -> Vec<String> {
        self.registry
            .apps
            .values()
            .filter(|a| a.wanted == super::registry::Wanted::Run)
            .map(|a| a.name.clone())
            .collect()
    }

    fn wants_statuses(&self) -> bool {
        !self.shutting_down && !self.status_in_flight && self.notifier.wants_statuses()
    }

    /// Asks every app master its status, in a task; the answer comes back
    /// as [`Event::Statuses`].
    fn collect_statuses(&mut self) {
        self.status_in_flight = true;
        let views = self.registry.views(None);
        let control = self.paths.control.clone();
        let events = self.events.clone();
        tokio::spawn(async move {
            let statuses = status::collect(views, &control).await;
            let _ = events.send(Event::Statuses(statuses));
        });
    }

    /// Saves the apps stopped on purpose; a failure is logged (the app is
    /// stopped all the same, only a restart of uwsgid would start it).
    pub(super) fn save_state(&self) {
        let state = super::state_file::State {
            stopped: self.stopped.clone(),
        };
        if let Err(err) = self.state_file.save(&state) {
            log_line!("uwsgid: warning: {err}");
        }
    }
}

/// NOT_FOUND for an app the supervisor does not know.
pub fn unknown_app(name: &str) -> Status {
    Status::not_found(format!("no app named {name:?}"))
}

fn refuse_stopping(cmd: Command) {
    let status = || Status::unavailable("uwsgid is stopping");
    match cmd {
        Command::Views { reply, .. } => {
            let _ = reply.send(Err(status()));
        }
        Command::Start { reply, .. }
        | Command::StartIni { reply, .. }
        | Command::Stop { reply, .. }
        | Command::Restart { reply, .. }
        | Command::Add { reply, .. }
        | Command::Remove { reply, .. }
        | Command::Rescan { reply } => {
            let _ = reply.send(Err(status()));
        }
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}

async fn tick(interval: Option<&mut tokio::time::Interval>) {
    match interval {
        Some(i) => {
            i.tick().await;
        }
        None => std::future::pending().await,
    }
}
