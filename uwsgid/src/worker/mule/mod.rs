//! A mule: runs its script, or waits for messages and signals.

use std::sync::Arc;

use crate::config::AppConfig;

/// Runs mule `id` until it is told to stop; returns its exit code.
pub fn serve(_cfg: Arc<AppConfig>, _id: u32) -> i32 {
    crate::worker::side_process::wait_for_stop()
}
