//! The shared-memory scoreboard: one slot per worker id, written by the
//! worker with plain atomic stores (no syscall per request) and read by the
//! master for harakiri, recycling causes and status.
//!
//! The master creates it once (a memfd mapped `MAP_SHARED`) before it starts
//! any child, and passes the descriptor to every child it execs (layout in
//! `crate::contract::child_env`); a zygote's mapping is inherited by the
//! workers it forks. The size is fixed for the app's whole life:
//! [`MAX_WORKERS`] slots of [`MAX_CORES`] cores each, so adding workers
//! (TTIN, a reload with more processes) never remaps. Untouched slots cost
//! no memory: the memfd's pages are allocated on first write. After the
//! slots come the app's user locks (`locks.rs`, `uwsgi.lock`).
//!
//! Every field of a slot is an `AtomicU64`: the layout is the same in every process
//! that maps it, and no field can be torn. The request description of a
//! core (`addr - METHOD uri`, for the harakiri log) is written before the
//! core's start time with release ordering; the master reads the start time
//! again after the text, so a text it reports belongs to that request.

mod locks;
mod packer;
mod slot;
mod spoolers;
pub mod worker;

use std::os::fd::{BorrowedFd, OwnedFd, RawFd};
use std::ptr::NonNull;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

pub use locks::{MAX_USER_LOCKS, UserLocks};
use packer::Packer;
pub use spoolers::MAX_SPOOLERS;

use crate::shared_memory::{Mapping, MappingError};

/// Worker ids 1 ..= MAX_WORKERS have a slot.
pub const MAX_WORKERS: usize = 1024;
/// Threads (cores) per worker that are tracked one by one; requests on
/// cores beyond this are counted in the slot's totals but have no harakiri
/// timer.
pub const MAX_CORES: usize = 64;
/// Words of request description per core (8 bytes each).
pub(crate) const INFO_WORDS: usize = 13;
/// Bytes of request description kept per core (longer ones are cut).
pub const INFO_BYTES: usize = INFO_WORDS * 8;

/// Why a worker process ended, when it (or the master) said so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitReason {
    /// Nothing was recorded: a crash, a signal from outside, a stop.
    Unknown,
    MaxRequests,
    ReloadOnAs,
    ReloadOnRss,
    /// The master killed it for a request running past `harakiri`.
    Harakiri,
}

impl ExitReason {
    fn code(self) -> u64 {
        match self {
            ExitReason::Unknown => 0,
            ExitReason::MaxRequests => 1,
            ExitReason::ReloadOnAs => 2,
            ExitReason::ReloadOnRss => 3,
            ExitReason::Harakiri => 4,
        }
    }

    fn from_code(code: u64) -> ExitReason {
        match code {
            1 => ExitReason::MaxRequests,
            2 => ExitReason::ReloadOnAs,
            3 => ExitReason::ReloadOnRss,
            4 => ExitReason::Harakiri,
            _ => ExitReason::Unknown,
        }
    }

    /// A deliberate, clean end (the worker recycled itself).
    pub fn is_recycle(self) -> bool {
        matches!(
            self,
            ExitReason::MaxRequests | ExitReason::ReloadOnAs | ExitReason::ReloadOnRss
        )
    }

    /// The name status output uses.
    pub fn as_str(self) -> &'static str {
        match self {
            ExitReason::Unknown => "unknown",
            ExitReason::MaxRequests => "max-requests",
            ExitReason::ReloadOnAs => "reload-on-as",
            ExitReason::ReloadOnRss => "reload-on-rss",
            ExitReason::Harakiri => "harakiri",
        }
    }
}

/// One thread of a worker: the request it is running.
#[repr(C)]
pub struct CoreSlot {
    /// Start of the request in progress, µs since the epoch; 0 = idle.
    start_us: AtomicU64,
    requests: AtomicU64,
    info_len: AtomicU64,
    info: [AtomicU64; INFO_WORDS],
}

/// One worker id.
#[repr(C)]
pub struct WorkerSlot {
    pid: AtomicU64,
    generation: AtomicU64,
    /// Requests served in this slot by every process it had.
    requests: AtomicU64,
    /// Requests served by the current process.
    delta_requests: AtomicU64,
    accepting: AtomicU64,
    /// Set by the worker (recycling) or the master (harakiri) before the
    /// process ends; moved to `last_exit` when the master reaps it.
    exit_reason: AtomicU64,
    last_exit: AtomicU64,
    tx: AtomicU64,
    running_time_us: AtomicU64,
    avg_rt_us: AtomicU64,
    exceptions: AtomicU64,
    harakiri_count: AtomicU64,
    rss: AtomicU64,
    vsz: AtomicU64,
    last_spawn_us: AtomicU64,
    respawns: AtomicU64,
    /// Set by the master for every slot while the app is paused (the
    /// master FIFO's `p`, SIGTSTP); kept across the slot's processes.
    paused: AtomicU64,
    /// `uwsgi.set_user_harakiri`: when the master kills this process, µs
    /// since the epoch (0: never).
    user_harakiri_us: AtomicU64,
    /// uWSGI signals handled in this slot (`uwsgi.signal` and timers).
    signals: AtomicU64,
    /// The process in the slot takes connections: its accept loops run
    /// (a reload's new generation takes over only then).
    serving: AtomicU64,
    cores: [CoreSlot; MAX_CORES],
}

/// A plain copy of a slot's counters (for status and tests).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SlotSnapshot {
    pub pid: i32,
    pub generation: u64,
    pub requests: u64,
    pub delta_requests: u64,
    pub accepting: bool,
    pub tx: u64,
    pub running_time_us: u64,
    pub avg_rt_us: u64,
    pub exceptions: u64,
    pub harakiri_count: u64,
    pub rss: u64,
    pub vsz: u64,
    pub last_spawn_us: u64,
    /// Processes this slot had (uWSGI's `respawn_count`: 1 after the first).
    pub respawns: u64,
    /// uWSGI signals handled (uWSGI's `signals`).
    pub signals: u64,
}

/// One core's counters (for the stats server).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CoreSnapshot {
    pub requests: u64,
    pub in_request: bool,
}

/// A request in progress on one core, as the master sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusyCore {
    pub core: usize,
    pub start_us: u64,
    /// `addr - METHOD uri` (cut at [`INFO_BYTES`]).
    pub info: String,
}

#[derive(Debug, thiserror::Error)]
#[error("the scoreboard: {0}")]
pub struct ScoreboardError(#[from] pub MappingError);

/// The mapped scoreboard (only atomics: every access goes through them).
/// Cloning is not needed: share it by reference.
#[derive(Debug)]
pub struct Scoreboard {
    memory: Mapping,
}

/// The worker slots, then the user locks, then the spoolers' words.
const fn board_size() -> usize {
    slots_size() + std::mem::size_of::<UserLocks>() + std::mem::size_of::<spoolers::SpoolerWords>()
}

const fn slots_size() -> usize {
    MAX_WORKERS * std::mem::size_of::<WorkerSlot>()
}

impl Scoreboard {
    /// Creates a zeroed scoreboard (in the master, before any child).
    pub fn create() -> Result<Scoreboard, ScoreboardError> {
        let memory = Mapping::create(c"uwsgid-scoreboard", board_size())?;
        Ok(Scoreboard { memory })
    }

    /// Maps a scoreboard descriptor inherited from the master, and closes
    /// the descriptor (the mapping outlives it).
    pub fn from_fd(fd: OwnedFd) -> Result<Scoreboard, ScoreboardError> {
        let memory = Mapping::inherit(fd, board_size())?;
        Ok(Scoreboard { memory })
    }

    /// The descriptor, to pass to a child (the creator's board only).
    pub fn fd(&self) -> Option<BorrowedFd<'_>> {
        self.memory.fd()
    }

    /// Moves the descriptor to one at or above `min` (close-on-exec), out
    /// of the range children's descriptors are placed in.
    pub fn relocate_fd(&mut self, min: RawFd) -> std::io::Result<()> {
        self.memory.relocate_fd(min)
    }

    /// The first worker slot; the slots start the mapping.
    fn slots(&self) -> NonNull<WorkerSlot> {
        self.memory.base().cast()
    }

    /// Pauses (or resumes) every worker, present and future: each slot's
    /// flag, which the workers look at before they take a request.
    pub fn set_paused(&self, paused: bool) {
        for id in 1..=MAX_WORKERS as u32 {
            if let Some(slot) = self.slot(id) {
                slot.paused.store(u64::from(paused), Ordering::Release);
            }
        }
    }

    /// The slot of worker `id` (1-based), if it has one.
    pub fn slot(&self, id: u32) -> Option<&WorkerSlot> {
        let index = usize::try_from(id).ok()?.checked_sub(1)?;
        if index >= MAX_WORKERS {
            return None;
        }
        // SAFETY: index is in bounds of the mapping, which lives as long as
        // `self` and holds only atomics (valid for any bit pattern, zero
        // included).
        Some(unsafe { &*self.slots().as_ptr().add(index) })
    }
}

/// The master's scoreboard: one per master process, made before its
/// first child.
static MASTER_BOARD: OnceLock<Scoreboard> = OnceLock::new();

/// Installs the master's scoreboard (a second call keeps the first board).
pub fn install_master(board: Scoreboard) -> &'static Scoreboard {
    MASTER_BOARD.get_or_init(|| board)
}

/// The master's scoreboard, once installed.
pub fn master() -> Option<&'static Scoreboard> {
    MASTER_BOARD.get()
}

/// Microseconds since the epoch, now.
pub fn now_us() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests;
