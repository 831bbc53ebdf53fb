//! The app master: binds the app's sockets once, runs its zygote and
//! workers, respawns them, and owns the app's signals.

use crate::config::Loaded;

/// Runs one app in the foreground until it is stopped; returns the exit code.
pub fn run(_loaded: Loaded) -> i32 {
    eprintln!("uwsgid: the app master is not implemented yet");
    1
}
