//! A mule's harakiri: `mule-harakiri` (a signal handler running longer
//! than this many seconds) and `uwsgi.set_user_harakiri(N)` in a mule
//! (its own deadline) kill the mule, and the master respawns it. uWSGI's
//! master watches both deadlines in shared memory; uwsgid's mule watches
//! its own, on a thread that looks once a second (started with the first
//! deadline it may need), and logs uWSGI's lines.

use std::sync::Once;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::log::log_line;

/// `mule-harakiri` in seconds; 0: none.
static LIMIT: AtomicU32 = AtomicU32::new(0);
/// When the signal being handled must be done (Unix seconds); 0: none.
static DEADLINE: AtomicU64 = AtomicU64::new(0);
/// `set_user_harakiri`'s deadline (Unix seconds); 0: none.
static USER_DEADLINE: AtomicU64 = AtomicU64::new(0);
/// The signal being handled and the mule (for the lines).
static SIGNAL: AtomicU32 = AtomicU32::new(0);
static MULE: AtomicU32 = AtomicU32::new(0);
static WATCH: Once = Once::new();

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn ensure_watch() {
    WATCH.call_once(|| {
        let spawned = std::thread::Builder::new()
            .name("mule-harakiri".into())
            .spawn(watch);
        if let Err(err) = spawned {
            log_line!("mule harakiri: cannot start the watch: {err}");
        }
    });
}

/// Mule `id` with `mule-harakiri = seconds` (0: none).
pub fn configure(id: u32, seconds: u32) {
    MULE.store(id, Ordering::Relaxed);
    LIMIT.store(seconds, Ordering::Relaxed);
    if seconds > 0 {
        ensure_watch();
    }
}

/// The mule starts handling `signal`.
pub fn arm(signal: u8) {
    let limit = LIMIT.load(Ordering::Relaxed);
    if limit == 0 {
        return;
    }
    SIGNAL.store(u32::from(signal), Ordering::Relaxed);
    DEADLINE.store(now() + u64::from(limit), Ordering::Relaxed);
}

/// The handler returned.
pub fn disarm() {
    DEADLINE.store(0, Ordering::Relaxed);
}

/// `uwsgi.set_user_harakiri(seconds)` in a mule (0 clears it).
pub fn set_user(seconds: u64) {
    let deadline = if seconds == 0 { 0 } else { now() + seconds };
    USER_DEADLINE.store(deadline, Ordering::Relaxed);
    if deadline > 0 {
        ensure_watch();
    }
}

fn watch() {
    loop {
        std::thread::sleep(Duration::from_secs(1));
        let (id, pid, now) = (MULE.load(Ordering::Relaxed), std::process::id(), now());
        let passed = |deadline: u64| deadline > 0 && now > deadline;
        if passed(DEADLINE.load(Ordering::Relaxed)) {
            let signal = SIGNAL.load(Ordering::Relaxed);
            log_line!("*** HARAKIRI ON MULE {id} HANDLING SIGNAL {signal} (pid: {pid}) ***");
        } else if passed(USER_DEADLINE.load(Ordering::Relaxed)) {
            log_line!("*** HARAKIRI ON MULE {id} (pid: {pid}) ***");
        } else {
            continue;
        }
        let _ = nix::sys::signal::raise(nix::sys::signal::Signal::SIGKILL);
    }
}
