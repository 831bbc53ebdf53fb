//! The apps the supervisor knows, by name: what each should be doing
//! (wanted), what it is doing (its app master, a restart delay), and why it
//! last failed. Only the supervisor's event loop touches it; the control
//! service sees [`AppView`] snapshots.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use super::scan::{Fingerprint, Listing};
use crate::backoff::{APP_RESTART, Backoff};

/// What the operator (or the apps directory) wants of an app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wanted {
    Run,
    /// Stopped on purpose (kept in the state file) or being removed.
    Stopped,
}

/// What happens once the app's master has exited.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum AfterExit {
    /// Restart with backoff if it should run (an unexpected death).
    #[default]
    Nothing,
    /// Start a new master at once (restart).
    Start,
    /// Forget the app (its file is gone); then start the app named, whose
    /// new ini took over this one's file.
    Forget { then_start: Option<String> },
    /// Take the ini out of the apps directory, then forget the app.
    Remove,
}

/// The answer to a control request, sent once the action is done.
pub type Reply = oneshot::Sender<Result<String, tonic::Status>>;

/// A live app master.
#[derive(Debug)]
pub struct Master {
    pub pid: u32,
    pub started: Instant,
    /// Tells this master's exit from an earlier one's.
    pub incarnation: u64,
    /// Set once it was asked to stop: when to kill what is left.
    pub kill_at: Option<Instant>,
}

/// One app.
#[derive(Debug)]
pub struct App {
    pub name: String,
    /// The ini in the apps directory (absolute; maybe a symlink).
    pub ini: PathBuf,
    pub fingerprint: Fingerprint,
    pub mercy: Duration,
    /// The ini does not resolve: the app cannot start.
    pub load_error: Option<String>,
    pub wanted: Wanted,
    pub master: Option<Master>,
    /// In backoff: when to start again.
    pub restart_at: Option<Instant>,
    pub backoff: Backoff,
    pub restarts: u32,
    /// How the last master ended, or why the last action failed.
    pub last_error: String,
    pub after_exit: AfterExit,
    /// Requests answered once the master has exited and `after_exit` ran.
    pub waiting: Vec<Reply>,
}

impl App {
    pub fn new(name: String, ini: PathBuf, fingerprint: Fingerprint, wanted: Wanted) -> App {
        App {
            name,
            ini,
            fingerprint,
            mercy: Duration::ZERO,
            load_error: None,
            wanted,
            master: None,
            restart_at: None,
            backoff: Backoff::new(APP_RESTART),
            restarts: 0,
            last_error: String::new(),
            after_exit: AfterExit::Nothing,
            waiting: Vec::new(),
        }
    }

    /// The state as the supervisor alone knows it (the app master knows
    /// better while it runs: "running", "reloading").
    pub fn state(&self) -> &'static str {
        match (&self.master, self.load_error.is_some()) {
            (Some(m), _) if m.kill_at.is_some() => "stopping",
            (Some(_), _) => "starting",
            (None, true) => "failed",
            (None, false) if self.restart_at.is_some() => "backoff",
            (None, false) if self.wanted == Wanted::Stopped => "stopped",
            (None, false) => "starting",
        }
    }

    /// Whether its ini file is its own: not while it is being forgotten
    /// (its file is gone, or names another app now).
    pub fn owns_file(&self) -> bool {
        !matches!(self.after_exit, AfterExit::Forget { .. })
    }

    /// Whether it should start now: wanted, loadable, not running, not
    /// waiting for a restart delay.
    pub fn should_start(&self) -> bool {
        self.wanted == Wanted::Run
            && self.load_error.is_none()
            && self.master.is_none()
            && self.restart_at.is_none()
            && self.after_exit == AfterExit::Nothing
    }
}

/// A file of the apps directory that is not an app: its name belongs to
/// another file.
#[derive(Debug, Clone)]
pub struct Rejected {
    pub name: String,
    pub fingerprint: Fingerprint,
    pub error: String,
}

/// What the control service sees of one app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppView {
    pub name: String,
    pub state: String,
    pub master_pid: u32,
    pub ini: PathBuf,
    pub error: String,
    pub restarts: u32,
    /// Whether a master runs (its own Status knows more).
    pub live: bool,
    /// A file refused for its name, not an app.
    pub rejected: bool,
}

/// Every app and rejected file.
#[derive(Debug, Default)]
pub struct Registry {
    pub apps: BTreeMap<String, App>,
    pub rejected: BTreeMap<PathBuf, Rejected>,
}

impl Registry {
    /// The files known, as a listing to diff a new scan against.
    pub fn known_files(&self) -> Listing {
        let apps = self
            .apps
            .values()
            .filter(|a| a.owns_file())
            .map(|a| (a.ini.clone(), a.fingerprint));
        let rejected = self
            .rejected
            .iter()
            .map(|(path, r)| (path.clone(), r.fingerprint));
        apps.chain(rejected).collect()
    }

    /// The app whose ini is `path`.
    pub fn by_ini(&self, path: &Path) -> Option<&App> {
        self.apps.values().find(|a| a.owns_file() && a.ini == path)
    }

    pub fn name_of_ini(&self, path: &Path) -> Option<String> {
        self.by_ini(path).map(|a| a.name.clone())
    }

    /// Views of every app (and rejected file), or of the one named.
    pub fn views(&self, name: Option<&str>) -> Vec<AppView> {
        let apps = self.apps.values().map(view);
        let rejected = self.rejected.iter().map(|(path, r)| AppView {
            name: rejected_name(path),
            state: "failed".to_owned(),
            master_pid: 0,
            ini: path.clone(),
            error: r.error.clone(),
            restarts: 0,
            live: false,
            rejected: true,
        });
        apps.chain(rejected)
            .filter(|v| name.is_none_or(|n| v.name == n))
            .collect()
    }

    /// The earliest moment a timer (restart or kill) is due.
    pub fn next_deadline(&self) -> Option<Instant> {
        let restarts = self.apps.values().filter_map(|a| a.restart_at);
        let kills = self
            .apps
            .values()
            .filter_map(|a| a.master.as_ref()?.kill_at);
        restarts.chain(kills).min()
    }
}

/// A rejected file is shown under its file name: its app name is taken.
fn rejected_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn view(app: &App) -> AppView {
    let error = app.load_error.clone().unwrap_or_else(|| {
        if app.master.is_some() {
            String::new()
        } else {
            app.last_error.clone()
        }
    });
    AppView {
        name: app.name.clone(),
        state: app.state().to_owned(),
        master_pid: app.master.as_ref().map_or(0, |m| m.pid),
        ini: app.ini.clone(),
        error,
        restarts: app.restarts,
        live: app.master.is_some(),
        rejected: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn print() -> Fingerprint {
        Fingerprint {
            dev: 1,
            ino: 2,
            size: 3,
            mtime_ns: 4,
            owner: (0, 0),
        }
    }

    fn app(name: &str) -> App {
        App::new(
            name.into(),
            format!("/apps/{name}.ini").into(),
            print(),
            Wanted::Run,
        )
    }

    #[test]
    fn states_follow_what_the_supervisor_knows() {
        let mut a = app("a");
        assert_eq!(a.state(), "starting");
        assert!(a.should_start());
        a.restart_at = Some(Instant::now());
        assert_eq!(a.state(), "backoff");
        assert!(!a.should_start());
        a.restart_at = None;
        a.wanted = Wanted::Stopped;
        assert_eq!(a.state(), "stopped");
        a.load_error = Some("a.ini:2: bad".into());
        assert_eq!(a.state(), "failed");
        a.master = Some(Master {
            pid: 10,
            started: Instant::now(),
            incarnation: 1,
            kill_at: None,
        });
        assert_eq!(a.state(), "starting");
        if let Some(m) = a.master.as_mut() {
            m.kill_at = Some(Instant::now());
        }
        assert_eq!(a.state(), "stopping");
    }

    #[test]
    fn views_show_rejected_files_as_failed() {
        let mut r = Registry::default();
        r.apps.insert("a".into(), app("a"));
        r.rejected.insert(
            "/apps/other.ini".into(),
            Rejected {
                name: "a".into(),
                fingerprint: print(),
                error: "name a is already used by /apps/a.ini".into(),
            },
        );
        let views = r.views(None);
        assert_eq!(views.len(), 2);
        assert_eq!(views[1].name, "other.ini");
        assert_eq!(views[1].state, "failed");
        assert_eq!(r.views(Some("a")).len(), 1);
        assert_eq!(r.known_files().len(), 2);
        assert_eq!(
            r.name_of_ini(Path::new("/apps/a.ini")).as_deref(),
            Some("a")
        );
    }
}
