//! A spooler process: runs the tasks written into its directory.

use std::sync::Arc;

use crate::config::AppConfig;

/// Runs spooler process `n` until it is told to stop; returns its exit code.
pub fn serve(_cfg: Arc<AppConfig>, _n: u32) -> i32 {
    crate::worker::side_process::wait_for_stop()
}
