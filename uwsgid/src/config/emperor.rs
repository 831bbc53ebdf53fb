//! The Emperor options of a configuration (`emperor = DIR`): when set,
//! `uwsgid` runs its supervisor on the vassals instead of an app (see
//! `crate::supervisor::emperor`). uWSGI 2.0.31's meanings:
//!
//! - `emperor`: a directory of vassal files, or a glob of them;
//! - `emperor-pidfile`: the Emperor's pid, written at start;
//! - `emperor-tyrant`: each vassal runs as its file's owner (root-owned
//!   files are refused), without supplementary groups;
//! - `vassals-include(-before)`, `vassals-inherit(-before)`, `vassal-set`:
//!   arguments added to every vassal's command line (`--include`,
//!   `--inherit`, `--set`), before or after its `--ini`;
//! - `emperor-freq`: seconds between two scans;
//! - `binary-path`: the vassals' binary. uwsgid runs its vassals with
//!   itself, so it is accepted and named in the log at start.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Emperor {
    /// `emperor`: where the vassals are (a directory or a glob).
    pub source: Option<String>,
    pub pidfile: Option<PathBuf>,
    pub tyrant: bool,
    /// Arguments put before every vassal's `--ini FILE`, in order.
    pub before: Vec<String>,
    /// Arguments put after it, in order.
    pub after: Vec<String>,
    /// `emperor-freq`, seconds.
    pub freq: Option<u64>,
    pub binary_path: Option<String>,
}

impl Emperor {
    /// Whether the configuration is an Emperor's.
    pub fn is_set(&self) -> bool {
        self.source.is_some()
    }

    /// `emperor = X`: uWSGI runs one Emperor per value; uwsgid's supervisor
    /// watches one place.
    pub fn set_source(&mut self, value: String) -> Result<(), String> {
        match &self.source {
            Some(first) if *first != value => Err(format!(
                "uwsgid runs one Emperor, already on {first}: put the vassals in one \
                 directory, or match them with one glob"
            )),
            _ => {
                self.source = Some(value);
                Ok(())
            }
        }
    }
}
