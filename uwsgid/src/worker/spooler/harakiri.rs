//! `spooler-harakiri`: a task that runs longer than its limit is killed
//! with its process (SIGKILL), with uWSGI's line, and the master starts a
//! new spooler process; the task's file stays and runs again. uWSGI's
//! master checks its spoolers once a second; here a thread of the spooler
//! process does, so the master needs no spooler-specific timer.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::log::log_line;
use crate::scoreboard::now_us;

/// When the running task is killed, µs since the epoch (0: no task).
static DEADLINE_US: AtomicU64 = AtomicU64::new(0);

/// Starts the thread (once, with `spooler-harakiri` set).
pub fn start() -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("spooler-harakiri".into())
        .spawn(watch)
        .map(drop)
}

/// A task starts that may run `secs` seconds (0: no limit).
pub fn arm(secs: u32) {
    let deadline = match secs {
        0 => 0,
        s => now_us().saturating_add(u64::from(s) * 1_000_000),
    };
    DEADLINE_US.store(deadline, Ordering::Release);
}

/// The task ended.
pub fn disarm() {
    DEADLINE_US.store(0, Ordering::Release);
}

fn watch() {
    loop {
        std::thread::sleep(Duration::from_secs(1));
        let deadline = DEADLINE_US.load(Ordering::Acquire);
        if deadline != 0 && now_us() > deadline {
            log_line!(
                "*** HARAKIRI ON THE SPOOLER (pid: {}) ***",
                std::process::id()
            );
            // SAFETY: signalling this very process; SIGKILL cannot be caught.
            unsafe { libc::kill(libc::getpid(), libc::SIGKILL) };
        }
    }
}
