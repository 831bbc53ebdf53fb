//! `mule-harakiri`: a mule that handles one signal for longer than this
//! many seconds is killed, and the master respawns it. uWSGI's master
//! watches the deadline in shared memory; uwsgid's mule watches its own,
//! on a thread that looks once a second, and logs uWSGI's line.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::log::log_line;

/// The limit in seconds; 0: none.
static LIMIT: AtomicU32 = AtomicU32::new(0);
/// When the signal being handled must be done (Unix seconds); 0: none.
static DEADLINE: AtomicU64 = AtomicU64::new(0);
/// That signal and the mule (for the line).
static SIGNAL: AtomicU32 = AtomicU32::new(0);
static MULE: AtomicU32 = AtomicU32::new(0);

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Starts the watch, once, when a limit is set.
pub fn configure(seconds: u32) {
    if seconds == 0 || LIMIT.swap(seconds, Ordering::Relaxed) != 0 {
        return;
    }
    let spawned = std::thread::Builder::new()
        .name("mule-harakiri".into())
        .spawn(watch);
    if let Err(err) = spawned {
        log_line!("mule-harakiri: cannot start the watch: {err}");
    }
}

/// Mule `id` starts handling `signal`.
pub fn arm(id: u32, signal: u8) {
    let limit = LIMIT.load(Ordering::Relaxed);
    if limit == 0 {
        return;
    }
    MULE.store(id, Ordering::Relaxed);
    SIGNAL.store(u32::from(signal), Ordering::Relaxed);
    DEADLINE.store(now() + u64::from(limit), Ordering::Relaxed);
}

/// The handler returned.
pub fn disarm() {
    DEADLINE.store(0, Ordering::Relaxed);
}

fn watch() {
    loop {
        std::thread::sleep(Duration::from_secs(1));
        let deadline = DEADLINE.load(Ordering::Relaxed);
        if deadline == 0 || now() <= deadline {
            continue;
        }
        log_line!(
            "*** HARAKIRI ON MULE {} HANDLING SIGNAL {} (pid: {}) ***",
            MULE.load(Ordering::Relaxed),
            SIGNAL.load(Ordering::Relaxed),
            std::process::id()
        );
        let _ = nix::sys::signal::raise(nix::sys::signal::Signal::SIGKILL);
    }
}
