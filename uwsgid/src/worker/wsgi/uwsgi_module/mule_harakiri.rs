//! A mule's harakiri: `mule-harakiri` (a signal handler running longer
//! than this many seconds) and `uwsgi.set_user_harakiri(N)` in a mule
//! (its own deadline) kill the mule, and the master respawns it. uWSGI's
//! master watches both deadlines in shared memory; uwsgid's mule watches
//! its own (`worker/own_harakiri.rs`, started with the first deadline it
//! may need), with uWSGI's lines.

use std::sync::Once;
use std::sync::atomic::{AtomicU32, Ordering};

use crate::log::log_line;
use crate::worker::own_harakiri::{self, Deadline, Passed};

/// `mule-harakiri` in seconds; 0: none.
static LIMIT: AtomicU32 = AtomicU32::new(0);
/// When the signal being handled must be done.
static DEADLINE: Deadline = Deadline::new();
/// `set_user_harakiri`'s deadline.
static USER_DEADLINE: Deadline = Deadline::new();
/// The signal being handled and the mule (for the lines).
static SIGNAL: AtomicU32 = AtomicU32::new(0);
static MULE: AtomicU32 = AtomicU32::new(0);
static WATCH: Once = Once::new();

fn ensure_watch() {
    WATCH.call_once(|| {
        if let Err(err) = own_harakiri::start_watch("mule-harakiri", due) {
            log_line!("mule harakiri: cannot start the watch: {err}");
        }
    });
}

/// uWSGI's line for the deadline that passed, if one did.
fn due(passed: Passed<'_>) -> Option<String> {
    let (id, pid) = (MULE.load(Ordering::Relaxed), std::process::id());
    if passed(&DEADLINE) {
        let signal = SIGNAL.load(Ordering::Relaxed);
        Some(format!(
            "*** HARAKIRI ON MULE {id} HANDLING SIGNAL {signal} (pid: {pid}) ***"
        ))
    } else if passed(&USER_DEADLINE) {
        Some(format!("*** HARAKIRI ON MULE {id} (pid: {pid}) ***"))
    } else {
        None
    }
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
    DEADLINE.arm(u64::from(limit));
}

/// The handler returned.
pub fn disarm() {
    DEADLINE.disarm();
}

/// `uwsgi.set_user_harakiri(seconds)` in a mule (0 clears it).
pub fn set_user(seconds: u64) {
    USER_DEADLINE.arm(seconds);
    if seconds > 0 {
        ensure_watch();
    }
}
