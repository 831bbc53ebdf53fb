//! `touch-reload`, `touch-workers-reload`, `touch-chain-reload`: files the
//! master looks at once a second, as uWSGI's master does; a change of a
//! file's modification time (a `touch`, and also its removal or creation)
//! reloads the app gracefully, with uWSGI's log line. uwsgid never
//! re-execs the master, so the three reload the workers the same way:
//! a new generation, then the old one drains.

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

use crate::config::AppConfig;
use crate::log::log_line;

/// How often the files are looked at.
const EVERY: Duration = Duration::from_secs(1);

/// What a touched file asks for, in uWSGI's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Reload,
    Workers,
    Chain,
}

impl Kind {
    fn words(self) -> &'static str {
        match self {
            Kind::Reload => "grace them all",
            Kind::Workers => "workers reload",
            Kind::Chain => "chain reload",
        }
    }
}

/// The watched files and their last modification time (`None`: absent).
#[derive(Debug, Default)]
pub struct Touches {
    files: Vec<(PathBuf, Kind, Option<SystemTime>)>,
    next: Option<Instant>,
}

impl Touches {
    /// The files of `cfg`, with their times now.
    pub fn new(cfg: &AppConfig) -> Touches {
        let kinds = [
            (&cfg.touch_reload, Kind::Reload),
            (&cfg.touch_workers_reload, Kind::Workers),
            (&cfg.touch_chain_reload, Kind::Chain),
        ];
        let files: Vec<_> = kinds
            .into_iter()
            .flat_map(|(paths, kind)| paths.iter().map(move |p| (p.clone(), kind)))
            .map(|(path, kind)| {
                let time = modified(&path);
                (path, kind, time)
            })
            .collect();
        let next = (!files.is_empty()).then(|| Instant::now() + EVERY);
        Touches { files, next }
    }

    /// When to look next.
    pub fn next_check(&self) -> Option<Instant> {
        self.next
    }

    /// Looks at the files if it is time; true when one changed (logged).
    pub fn check(&mut self, now: Instant) -> bool {
        if self.next.is_none_or(|at| at > now) {
            return false;
        }
        self.next = Some(now + EVERY);
        let mut touched = false;
        for (path, kind, last) in &mut self.files {
            let time = modified(path);
            if time != *last {
                *last = time;
                log_line!(
                    "*** {} has been touched... {} !!! ***",
                    path.display(),
                    kind.words()
                );
                touched = true;
            }
        }
        touched
    }
}

fn modified(path: &PathBuf) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_touch_a_removal_and_a_creation_each_count_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("reload");
        std::fs::write(&file, "").expect("create");
        let mut cfg = AppConfig::default();
        cfg.touch_chain_reload.push(file.clone());
        let mut touches = Touches::new(&cfg);
        let mut later = Instant::now() + EVERY;
        let mut tick = || {
            later += EVERY;
            later
        };
        assert!(!touches.check(tick()));
        let old = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        std::fs::File::options()
            .write(true)
            .open(&file)
            .and_then(|f| f.set_modified(old))
            .expect("set mtime");
        assert!(touches.check(tick()));
        assert!(!touches.check(tick()));
        std::fs::remove_file(&file).expect("remove");
        assert!(touches.check(tick()));
        std::fs::write(&file, "").expect("create again");
        assert!(touches.check(tick()));
        assert!(!touches.check(Instant::now()), "not before its time");
    }
}
