//! `spooler-harakiri`: a task that runs longer than its limit is killed
//! with its process (SIGKILL), with uWSGI's line, and the master starts a
//! new spooler process; the task's file stays and runs again. uWSGI's
//! master checks its spoolers once a second; here the process's own watch
//! does (`worker/own_harakiri.rs`).

use crate::worker::own_harakiri::{self, Deadline};

/// When the running task is killed.
static DEADLINE: Deadline = Deadline::new();

/// Starts the watch (once, with `spooler-harakiri` set).
pub fn start() -> std::io::Result<()> {
    own_harakiri::start_watch("spooler-harakiri", |passed| {
        passed(&DEADLINE).then(|| {
            format!(
                "*** HARAKIRI ON THE SPOOLER (pid: {}) ***",
                std::process::id()
            )
        })
    })
}

/// A task starts that may run `secs` seconds (0: no limit).
pub fn arm(secs: u32) {
    DEADLINE.arm(u64::from(secs));
}

/// The task ended.
pub fn disarm() {
    DEADLINE.disarm();
}
