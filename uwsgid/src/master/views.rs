//! What the app master shows of itself: the app's state and one view per
//! worker process (current generation, one being started, old ones
//! finishing), made from the worker table and the scoreboard. The control
//! API's `Status`, the stats server and systemd's notifications all read
//! these, so they always agree.

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use nix::unistd::Pid;

use super::event_loop::AppMaster;
use super::reap::ExitCause;
use super::workers::{SlotState, WorkerSlot};
use crate::config::AppConfig;
use crate::scoreboard::{self, CoreSnapshot, ExitReason, MAX_CORES, SlotSnapshot};

/// What the app is doing, as the control API names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppState {
    /// Some worker slot of the current generation has no live worker.
    Starting,
    /// Every slot of the current generation has a live worker.
    Running,
    Reloading,
    Stopping,
    /// Paused (the master FIFO's `p`, SIGTSTP): no request is taken.
    Paused,
}

impl AppState {
    pub fn as_str(self) -> &'static str {
        match self {
            AppState::Starting => "starting",
            AppState::Running => "running",
            AppState::Reloading => "reloading",
            AppState::Stopping => "stopping",
            AppState::Paused => "paused",
        }
    }
}

/// What a worker process is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkerState {
    Idle,
    Busy,
    /// No process yet (being forked, waiting to respawn), or one of a
    /// generation being started.
    Starting,
    /// Told to finish (an old generation, or removed by scaling down).
    Stopping,
}

impl WorkerState {
    pub fn as_str(self) -> &'static str {
        match self {
            WorkerState::Idle => "idle",
            WorkerState::Busy => "busy",
            WorkerState::Starting => "starting",
            WorkerState::Stopping => "stopping",
        }
    }
}

/// Facts about the app fixed at startup.
#[derive(Debug, Clone)]
pub struct AppFacts {
    /// `project`, else the ini's stem, else the app's file or package.
    pub name: String,
    /// The file the log goes to (`daemonize`/`logto`, absolute).
    pub log_path: Option<PathBuf>,
    pub started: Instant,
}

impl AppFacts {
    pub fn new(cfg: &AppConfig, log_path: Option<PathBuf>) -> AppFacts {
        AppFacts {
            name: app_name(cfg),
            log_path,
            started: Instant::now(),
        }
    }
}

/// The app's name: `project` or the ini's stem (the configuration engine's
/// choice), else the stem of the wsgi file or the module's top package.
pub fn app_name(cfg: &AppConfig) -> String {
    if let Some(name) = &cfg.name {
        return name.clone();
    }
    if let Some(stem) = cfg.wsgi_file.as_ref().and_then(|f| f.file_stem()) {
        return stem.to_string_lossy().into_owned();
    }
    if let Some(module) = &cfg.module {
        // `blog.wsgi:application` is the app `blog` (Django's layout).
        let package = module.split([':', '.']).next().unwrap_or(module);
        return package.to_string();
    }
    "uwsgid".to_string()
}

/// One worker process (or empty slot) as shown.
#[derive(Debug, Clone)]
pub struct WorkerView {
    pub id: u32,
    pub pid: Option<Pid>,
    pub generation: u64,
    pub state: WorkerState,
    /// The scoreboard's counters, when its slot is this process's.
    pub counters: Option<SlotSnapshot>,
    pub cores: Vec<CoreSnapshot>,
    /// When the oldest request in progress started (µs since the epoch).
    pub busy_since_us: Option<u64>,
    /// Processes of this slot after the first (this generation's).
    pub respawns: u32,
    /// Why the slot's previous process ended; empty if none did.
    pub last_exit: String,
    pub started_unix: u64,
}

impl AppMaster {
    /// The app's state (see [`AppState`]).
    pub(super) fn app_state(&self) -> AppState {
        if self.stopping.is_some() {
            AppState::Stopping
        } else if self.reload.current.is_some() {
            AppState::Reloading
        } else if self.paused {
            AppState::Paused
        } else if self.table.all_running() {
            AppState::Running
        } else {
            AppState::Starting
        }
    }

    /// Every worker: the current generation's slots, then a generation
    /// being started, then old workers finishing.
    pub(super) fn worker_views(&self) -> Vec<WorkerView> {
        let cores = cores(&self.cfg);
        let mut out: Vec<WorkerView> = self
            .table
            .iter()
            .map(|slot| slot_view(slot, cores, false))
            .collect();
        if let Some(r) = &self.reload.current {
            out.extend(r.table.iter().map(|slot| slot_view(slot, cores, true)));
        }
        out.extend(self.drain.workers.iter().map(|old| {
            let counters = counters_of(old.id, old.pid);
            WorkerView {
                id: old.id,
                pid: Some(old.pid),
                generation: old.generation,
                state: WorkerState::Stopping,
                started_unix: counters.as_ref().map_or(0, |c| c.last_spawn_us / 1_000_000),
                counters,
                cores: Vec::new(),
                busy_since_us: None,
                respawns: 0,
                last_exit: String::new(),
            }
        }));
        out
    }
}

/// Threads per worker that the scoreboard tracks.
pub fn cores(cfg: &AppConfig) -> usize {
    usize::try_from(cfg.threads)
        .unwrap_or(1)
        .clamp(1, MAX_CORES)
}

fn slot_view(slot: &WorkerSlot, cores: usize, starting: bool) -> WorkerView {
    let pid = slot.pid();
    let board = pid.and_then(|pid| {
        let board_slot = scoreboard::master()?.slot(slot.id)?;
        (board_slot.pid() == pid.as_raw()).then_some(board_slot)
    });
    let busy_since_us = board.and_then(|b| b.busy_cores(cores).iter().map(|c| c.start_us).min());
    // A reload's new worker is starting until it serves (the master's
    // test for the take-over).
    let serving = !starting || board.is_some_and(|b| b.serving());
    let state = match (pid, busy_since_us) {
        (None, _) => WorkerState::Starting,
        (Some(_), _) if !serving => WorkerState::Starting,
        (Some(_), Some(_)) => WorkerState::Busy,
        (Some(_), None) => WorkerState::Idle,
    };
    let started_unix = match slot.state {
        SlotState::Running { since, .. } => unix_secs_at(since),
        _ => 0,
    };
    let board_reason = scoreboard::master()
        .and_then(|b| b.slot(slot.id))
        .map_or(ExitReason::Unknown, |b| b.last_exit());
    WorkerView {
        id: slot.id,
        pid,
        generation: slot.generation,
        state,
        counters: board.map(|b| b.snapshot()),
        cores: board.map_or_else(Vec::new, |b| b.core_snapshots(cores)),
        busy_since_us,
        respawns: slot.respawns,
        last_exit: last_exit(slot.last_exit, board_reason, slot.reloaded),
        started_unix,
    }
}

/// The scoreboard's counters of worker `id`, if its slot is `pid`'s.
pub fn counters_of(id: u32, pid: Pid) -> Option<SlotSnapshot> {
    let snap = scoreboard::master()?.slot(id)?.snapshot();
    (snap.pid == pid.as_raw()).then_some(snap)
}

/// Why a slot's previous process ended, in the control API's words: the
/// reason the worker or the master recorded, else how it ended; "reload"
/// when a reload replaced it; empty when none ended.
pub fn last_exit(cause: Option<ExitCause>, recorded: ExitReason, reloaded: bool) -> String {
    match cause {
        Some(_) if recorded != ExitReason::Unknown => recorded.as_str().to_string(),
        Some(ExitCause::Signaled(sig)) => format!("signal {sig}"),
        Some(ExitCause::Exited(code)) => format!("exit code {code}"),
        None if reloaded => "reload".to_string(),
        None => String::new(),
    }
}

/// The unix time (seconds) of the monotonic instant `at` in the past.
fn unix_secs_at(at: Instant) -> u64 {
    let ago = Instant::now().saturating_duration_since(at);
    SystemTime::now()
        .checked_sub(ago)
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs())
}

/// Milliseconds from `since_us` (µs since the epoch) to now; 0 without one.
pub fn elapsed_ms(since_us: Option<u64>) -> u64 {
    since_us.map_or(0, |since| {
        let now = scoreboard::now_us();
        Duration::from_micros(now.saturating_sub(since)).as_millis() as u64
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_exits_read_as_the_proto_lists_them() {
        let harakiri = ExitReason::Harakiri;
        let none = ExitReason::Unknown;
        assert_eq!(
            last_exit(Some(ExitCause::Signaled(9)), harakiri, false),
            "harakiri"
        );
        assert_eq!(
            last_exit(Some(ExitCause::Exited(0)), ExitReason::MaxRequests, true),
            "max-requests"
        );
        assert_eq!(
            last_exit(Some(ExitCause::Signaled(9)), none, false),
            "signal 9"
        );
        assert_eq!(
            last_exit(Some(ExitCause::Exited(3)), none, false),
            "exit code 3"
        );
        assert_eq!(last_exit(None, none, true), "reload");
        assert_eq!(last_exit(None, none, false), "");
    }

    #[test]
    fn names_fall_back_to_the_app_file_or_module() {
        let mut cfg = AppConfig {
            module: Some("blog.wsgi:application".into()),
            ..AppConfig::default()
        };
        assert_eq!(app_name(&cfg), "blog");
        cfg.wsgi_file = Some(PathBuf::from("/srv/hello.py"));
        assert_eq!(app_name(&cfg), "hello");
        cfg.name = Some("site".into());
        assert_eq!(app_name(&cfg), "site");
        assert_eq!(app_name(&AppConfig::default()), "uwsgid");
    }

    #[test]
    fn past_instants_become_unix_times() {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("after 1970")
            .as_secs();
        let t = unix_secs_at(Instant::now());
        assert!(t.abs_diff(now) <= 1, "{t} vs {now}");
        assert_eq!(elapsed_ms(None), 0);
    }
}
