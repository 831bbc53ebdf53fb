//! The spooler's options (`spooler`, `spooler-processes`, …): directories
//! of task files, each served by its own processes that run the app's
//! Python (`master/side_processes/`, `worker/spooler/`).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// uWSGI's default `spooler-frequency`, in seconds.
pub const DEFAULT_FREQUENCY: u32 = 30;

/// Every spooler of the app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpoolerConfig {
    /// `spooler = DIR`, in order; absolute after resolution (see
    /// [`SpoolerConfig::anchor`]).
    pub dirs: Vec<PathBuf>,
    /// `spooler-processes`: processes per directory (uWSGI's default 1).
    pub processes: u32,
    /// `spooler-frequency` (`spooler-freq`): seconds between two scans of
    /// the directory when no task wakes it.
    pub frequency: u32,
    /// `spooler-ordered`: tasks in name order, priority subdirectories
    /// (numbers) first, lowest first.
    pub ordered: bool,
    /// `spooler-max-tasks`: tasks before the process recycles (0: never).
    pub max_tasks: u32,
    /// `spooler-harakiri`: seconds a task may run before its process is
    /// killed (0: never).
    pub harakiri: u32,
    /// `spooler-chdir`: the directory each task runs in (default: the
    /// spooler's directory, as uWSGI).
    pub chdir: Option<PathBuf>,
    /// `spooler-quiet`: no line per task.
    pub quiet: bool,
    /// `spooler-import` (`spooler-python-import`, …): modules (or `.py`
    /// files) imported in the spooler processes before the first task.
    pub imports: Vec<String>,
    /// `touch-spoolers-reload`: files whose change makes the master
    /// replace the spooler processes.
    pub touch_reload: Vec<PathBuf>,
}

impl Default for SpoolerConfig {
    fn default() -> Self {
        SpoolerConfig {
            dirs: Vec::new(),
            processes: 1,
            frequency: DEFAULT_FREQUENCY,
            ordered: false,
            max_tasks: 0,
            harakiri: 0,
            chdir: None,
            quiet: false,
            imports: Vec::new(),
            touch_reload: Vec::new(),
        }
    }
}

impl SpoolerConfig {
    /// Makes relative directories absolute against `cwd`, the directory
    /// uwsgid started in, as uWSGI resolves them when it reads the option
    /// (before any `chdir`).
    pub fn anchor(&mut self, cwd: &Path) {
        for dir in &mut self.dirs {
            if dir.is_relative() {
                let joined = cwd.join(&*dir);
                *dir = joined
                    .components()
                    .filter(|c| !matches!(c, std::path::Component::CurDir))
                    .collect();
            }
        }
    }

    /// Processes per directory: `spooler-processes = 0` runs one, as
    /// uWSGI.
    pub fn per_dir(&self) -> u32 {
        self.processes.max(1)
    }

    /// Every spooler process of the app, all directories together.
    pub fn total_processes(&self) -> u32 {
        u32::try_from(self.dirs.len())
            .unwrap_or(u32::MAX)
            .saturating_mul(self.per_dir())
    }

    /// The directory of spooler process `n` (from 0, directory by
    /// directory).
    pub fn dir_of(&self, n: u32) -> Option<&Path> {
        let index = usize::try_from(n / self.per_dir()).ok()?;
        self.dirs.get(index).map(PathBuf::as_path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn processes_are_numbered_directory_by_directory() {
        let cfg = SpoolerConfig {
            dirs: vec![PathBuf::from("/a"), PathBuf::from("/b")],
            processes: 2,
            ..SpoolerConfig::default()
        };
        assert_eq!(cfg.total_processes(), 4);
        assert_eq!(cfg.dir_of(1), Some(Path::new("/a")));
        assert_eq!(cfg.dir_of(2), Some(Path::new("/b")));
        assert_eq!(cfg.dir_of(4), None);
    }

    #[test]
    fn relative_directories_are_anchored_at_the_start_directory() {
        let mut cfg = SpoolerConfig {
            dirs: vec![PathBuf::from("./spool"), PathBuf::from("/abs")],
            ..SpoolerConfig::default()
        };
        cfg.anchor(Path::new("/srv/app"));
        assert_eq!(
            cfg.dirs,
            [PathBuf::from("/srv/app/spool"), PathBuf::from("/abs")]
        );
    }

    #[test]
    fn zero_processes_run_one() {
        let cfg = SpoolerConfig {
            dirs: vec![PathBuf::from("/a")],
            processes: 0,
            ..SpoolerConfig::default()
        };
        assert_eq!(cfg.total_processes(), 1);
        assert_eq!(cfg.dir_of(0), Some(Path::new("/a")));
    }
}
