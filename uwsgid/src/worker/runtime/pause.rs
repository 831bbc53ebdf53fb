//! A paused app (the master FIFO's `p`, SIGTSTP to the master): the master
//! sets a flag in every scoreboard slot, and each worker looks at it
//! before it takes a request: its Python threads finish what they run,
//! then wait; its accept loops leave new connections in the listen queue.
//! Nothing is refused or lost: the requests wait until the app resumes, as
//! with uWSGI's `suspend_resume_them_all`. The flag is polled only while
//! set: a running app pays one atomic load per request.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::watch;

use super::context::stopped;
use crate::log::log_line;
use crate::scoreboard::worker::paused;

/// How often a paused worker looks whether it may go on.
const POLL: Duration = Duration::from_millis(50);

/// Whether this worker said it is suspended (said once, by whichever part
/// noticed first).
static SUSPENDED: AtomicBool = AtomicBool::new(false);

/// uWSGI's lines, once per change.
fn announce(worker_id: u32, suspended: bool) {
    if SUSPENDED.swap(suspended, Ordering::AcqRel) != suspended {
        let what = if suspended { "suspended" } else { "resumed" };
        log_line!("*** worker {worker_id} {what} ***");
    }
}

/// A Python thread, before it takes a request: waits (without the GIL)
/// while the app is paused.
pub fn wait_blocking(worker_id: u32) {
    if !paused() {
        return;
    }
    announce(worker_id, true);
    while paused() {
        std::thread::sleep(POLL);
    }
    announce(worker_id, false);
}

/// An accept loop, before it takes a connection: waits while the app is
/// paused; false if the worker stops meanwhile.
pub async fn wait(worker_id: u32, stop: &mut watch::Receiver<bool>) -> bool {
    if !paused() {
        return true;
    }
    announce(worker_id, true);
    while paused() {
        tokio::select! {
            biased;
            _ = stopped(stop) => return false,
            _ = tokio::time::sleep(POLL) => {}
        }
    }
    announce(worker_id, false);
    true
}
