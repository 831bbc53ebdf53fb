//! Files the master looks at once a second, as uWSGI's master does, and
//! what a change of one (a `touch`, and also its removal or creation)
//! triggers, with uWSGI's log lines:
//!
//! - `touch-reload`, `touch-workers-reload`: a graceful reload (uwsgid
//!   never re-execs the master, so both reload the workers the same way: a
//!   new generation, then the old one drains);
//! - `touch-chain-reload`: a chain reload (one worker at a time);
//! - `fs-reload`, `fs-brutal-reload`: the same (uWSGI watches these with
//!   inotify; a directory counts when an entry is added or removed);
//! - `touch-spoolers-reload`: the spooler processes are replaced by new
//!   ones (the old ones finish their task);
//! - `touch-mules-reload`: the mules are restarted (`side_processes/`);
//! - `touch-logreopen`: the log file is opened again;
//! - `touch-exec = FILE COMMAND`: the command runs.

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

use crate::config::AppConfig;
use crate::log::log_line;

/// uWSGI's words for `touch-chain-reload`.
const CHAIN: &str = "chain reload";
/// uWSGI's words for `touch-spoolers-reload`.
const SPOOLERS: &str = "spoolers reload";

/// How often the files are looked at.
const EVERY: Duration = Duration::from_secs(1);

/// What a changed file asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    Reload,
    ChainReload,
    SpoolersReload,
    MulesReload,
    ReopenLog,
    Exec(String),
}

/// Which option a watched file comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Reload(&'static str),
    Fs,
    Mules,
    LogReopen,
    Exec(String),
}

impl Kind {
    fn announce(&self, path: &std::path::Path) -> Trigger {
        let shown = path.display();
        match self {
            Kind::Reload(words) => {
                log_line!("*** {shown} has been touched... {words} !!! ***");
                match *words {
                    CHAIN => Trigger::ChainReload,
                    SPOOLERS => Trigger::SpoolersReload,
                    _ => Trigger::Reload,
                }
            }
            Kind::Fs => {
                log_line!("[uwsgi-fsmon] detected event on \"{shown}\"");
                Trigger::Reload
            }
            Kind::Mules => {
                log_line!("*** {shown} has been touched... mules reload !!! ***");
                Trigger::MulesReload
            }
            Kind::LogReopen => {
                log_line!("*** {shown} has been touched... reopening logs !!! ***");
                Trigger::ReopenLog
            }
            Kind::Exec(command) => {
                log_line!("*** {shown} has been touched... running \"{command}\" !!! ***");
                Trigger::Exec(command.clone())
            }
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
        let mut watched: Vec<(PathBuf, Kind)> = Vec::new();
        let reloads = [
            (&cfg.touch_reload, "grace them all"),
            (&cfg.touch_workers_reload, "workers reload"),
            (&cfg.touch_chain_reload, CHAIN),
            (&cfg.spooler.touch_reload, SPOOLERS),
        ];
        for (paths, words) in reloads {
            watched.extend(paths.iter().map(|p| (p.clone(), Kind::Reload(words))));
        }
        for path in &cfg.fs_reload {
            log_line!(
                "[uwsgi-fsmon] registered monitor for \"{}\"",
                path.display()
            );
            watched.push((path.clone(), Kind::Fs));
        }
        watched.extend(
            cfg.mules
                .touch_reload
                .iter()
                .map(|p| (p.clone(), Kind::Mules)),
        );
        watched.extend(
            cfg.touch_logreopen
                .iter()
                .map(|p| (p.clone(), Kind::LogReopen)),
        );
        watched.extend(
            cfg.touch_exec
                .iter()
                .map(|(p, command)| (p.clone(), Kind::Exec(command.clone()))),
        );
        let files: Vec<_> = watched
            .into_iter()
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

    /// Looks at the files if it is time; what the changed ones trigger
    /// (each logged), a reload once however many asked for it.
    pub fn check(&mut self, now: Instant) -> Vec<Trigger> {
        if self.next.is_none_or(|at| at > now) {
            return Vec::new();
        }
        self.next = Some(now + EVERY);
        let mut triggers = Vec::new();
        for (path, kind, last) in &mut self.files {
            let time = modified(path);
            if time != *last {
                *last = time;
                let trigger = kind.announce(path);
                if !triggers.contains(&trigger) {
                    triggers.push(trigger);
                }
            }
        }
        triggers
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
        cfg.touch_exec.push((file.clone(), "true".into()));
        let mut touches = Touches::new(&cfg);
        let mut later = Instant::now() + EVERY;
        let mut tick = || {
            later += EVERY;
            later
        };
        assert!(touches.check(tick()).is_empty());
        let old = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        std::fs::File::options()
            .write(true)
            .open(&file)
            .and_then(|f| f.set_modified(old))
            .expect("set mtime");
        let both = vec![Trigger::ChainReload, Trigger::Exec("true".into())];
        assert_eq!(touches.check(tick()), both);
        assert!(touches.check(tick()).is_empty());
        std::fs::remove_file(&file).expect("remove");
        assert_eq!(touches.check(tick()), both);
        std::fs::write(&file, "").expect("create again");
        assert_eq!(touches.check(tick()), both);
        assert!(
            touches.check(Instant::now()).is_empty(),
            "not before its time"
        );
    }
}
