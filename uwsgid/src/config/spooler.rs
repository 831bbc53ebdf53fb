//! The spooler's options (`spooler`, `spooler-processes`, …): directories
//! of task files, each served by its own processes that run the app's
//! Python (`master/side_processes/`, `worker/spooler/`).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Every spooler of the app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpoolerConfig {
    /// `spooler = DIR`, in order; absolute after resolution.
    pub dirs: Vec<PathBuf>,
    /// `spooler-processes`: processes per directory (uWSGI's default 1).
    pub processes: u32,
}

impl Default for SpoolerConfig {
    fn default() -> Self {
        SpoolerConfig {
            dirs: Vec::new(),
            processes: 1,
        }
    }
}
