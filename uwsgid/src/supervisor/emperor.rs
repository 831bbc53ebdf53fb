//! uWSGI's Emperor mode: a configuration with `emperor = DIR` (or a glob),
//! from an ini or the command line, runs uwsgid's supervisor on the
//! vassals, each an app master of its own, as `uwsgi --emperor` does.
//!
//! What the Emperor's options become (see `config/emperor.rs`):
//! - `emperor = DIR`: the apps directory; `emperor = GLOB`: the files it
//!   matches (checked at every scan), the apps directory being the current
//!   one;
//! - `emperor-freq`: the scan interval (uWSGI's default, 3 s);
//! - `emperor-pidfile`: the supervisor's pidfile;
//! - `uid`/`gid` of the Emperor: every vassal runs as that user, and
//!   `emperor-tyrant` as its file's owner (a root-owned file is refused),
//!   dropped to before the vassal's master is exec'd ([`VassalUser`]);
//! - `vassals-include`, `vassal-set`, …: arguments of every vassal;
//! - `logto`, `daemonize`: the supervisor's own log.
//!
//! The supervisor's own paths (control socket, state and log directories)
//! are its defaults, or `--control`, `--state-dir`, `--log-dir` given next
//! to the configuration.

use std::ffi::OsString;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use nix::unistd::{Gid, Uid};

use super::options::{Options, Paths};
use crate::config::{AppConfig, Loaded};
use crate::log::log_line;

/// uWSGI's `emperor-freq` default: seconds between two scans.
const DEFAULT_FREQ: u64 = 3;

/// How the vassals are found and started; the default is the plain
/// supervisor's (an apps directory, apps run as the supervisor's user).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Vassals {
    /// `emperor = GLOB`: the vassal files are those it matches.
    pub glob: Option<String>,
    /// Each vassal runs as its file's owner, without supplementary groups.
    pub tyrant: bool,
    /// Every vassal runs as this user (the Emperor's `uid`/`gid`).
    pub user: Option<VassalUser>,
    /// Arguments before and after each vassal's `--ini FILE`.
    pub before: Vec<OsString>,
    pub after: Vec<OsString>,
}

/// The user a vassal's master is exec'd as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VassalUser {
    pub uid: Uid,
    pub gid: Gid,
    /// Supplementary groups, looked up before the fork (the child may only
    /// make system calls).
    pub groups: Vec<Gid>,
}

/// Why a vassal cannot be started.
#[derive(Debug, thiserror::Error)]
pub enum VassalError {
    #[error("[emperor-tyrant] invalid permissions for vassal {0}: it is owned by root")]
    RootOwned(String),
    #[error("cannot read the vassal file {0}: {1}")]
    Stat(String, std::io::Error),
    #[error("cannot look up the groups of uid {0}: {1}")]
    Groups(u32, nix::Error),
}

impl Vassals {
    /// The user the vassal of `ini` runs as, if not the supervisor's.
    pub fn user_for(&self, ini: &Path) -> Result<Option<VassalUser>, VassalError> {
        if !self.tyrant {
            return Ok(self.user.clone());
        }
        let shown = ini.display().to_string();
        let meta = std::fs::metadata(ini).map_err(|e| VassalError::Stat(shown.clone(), e))?;
        if meta.uid() == 0 || meta.gid() == 0 {
            return Err(VassalError::RootOwned(shown));
        }
        let (uid, gid) = (Uid::from_raw(meta.uid()), Gid::from_raw(meta.gid()));
        let groups = Vec::new();
        log_line!(
            "[emperor-tyrant] dropping privileges to {uid} {gid} for instance {}",
            ini.file_name()
                .map_or(shown.clone(), |n| n.to_string_lossy().into_owned())
        );
        Ok(Some(VassalUser { uid, gid, groups }))
    }
}

impl VassalUser {
    /// In the forked child: setgroups, setgid, setuid (system calls only).
    pub fn drop_privileges(&self) -> std::io::Result<()> {
        nix::unistd::setgroups(&self.groups)?;
        nix::unistd::setgid(self.gid)?;
        nix::unistd::setuid(self.uid)?;
        Ok(())
    }
}

/// The supplementary groups of the user `uid` (with `gid`), as initgroups
/// would set them; none for a uid without a passwd entry.
fn groups_of(uid: Uid, gid: Gid) -> Result<Vec<Gid>, VassalError> {
    let user =
        nix::unistd::User::from_uid(uid).map_err(|e| VassalError::Groups(uid.as_raw(), e))?;
    let Some(user) = user else {
        return Ok(Vec::new());
    };
    let Ok(name) = std::ffi::CString::new(user.name) else {
        return Ok(Vec::new());
    };
    nix::unistd::getgrouplist(&name, gid).map_err(|e| VassalError::Groups(uid.as_raw(), e))
}

/// The supervisor flags that may come with an Emperor's configuration.
#[derive(Debug, Default)]
pub struct Flags {
    pub control: Option<PathBuf>,
    pub state_dir: Option<PathBuf>,
    pub log_dir: Option<PathBuf>,
}

/// Runs the supervisor for the Emperor configuration `loaded`.
pub fn run(loaded: &Loaded, flags: Flags) -> i32 {
    for warning in &loaded.warnings {
        log_line!("{warning}");
    }
    match setup(&loaded.app, flags) {
        Ok((options, paths)) => super::run_paths(&options, paths),
        Err(err) => {
            log_line!("uwsgid: {err:#}");
            1
        }
    }
}

/// The supervisor's options and paths for the Emperor `cfg`.
fn setup(cfg: &AppConfig, flags: Flags) -> anyhow::Result<(Options, Paths)> {
    let emperor = &cfg.emperor;
    let source = emperor.source.clone().unwrap_or_default();
    let glob = is_glob(&source).then(|| source.clone());
    let apps_dir = match glob {
        Some(_) => PathBuf::from("."),
        None => PathBuf::from(&source),
    };
    if let Some(binary) = &emperor.binary_path {
        log_line!("binary-path = {binary}: uwsgid runs its vassals with itself");
    }
    let options = Options {
        apps_dir,
        control: flags.control,
        control_group: None,
        state_dir: flags.state_dir,
        log_dir: flags.log_dir,
        pidfile: emperor.pidfile.clone(),
        daemonize: cfg.daemonize.clone(),
        scan_interval: emperor.freq.unwrap_or(DEFAULT_FREQ),
    };
    let mut paths = options.resolve()?;
    let user = crate::master::privileges::to_drop(cfg)?
        .map(|id| emperor_user(&id))
        .transpose()?;
    paths.vassals = Vassals {
        glob: glob.map(|g| absolute(&g)),
        tyrant: emperor.tyrant,
        user,
        before: emperor.before.iter().map(OsString::from).collect(),
        after: emperor.after.iter().map(OsString::from).collect(),
    };
    if let Some(logto) = &cfg.logto {
        redirect_output(logto)?;
    }
    Ok((options, paths))
}

/// The Emperor's `uid`/`gid` as the vassals' user: a `uid` alone brings
/// the user's primary group and groups, as `initgroups` would.
fn emperor_user(id: &crate::master::privileges::Identity) -> anyhow::Result<VassalUser> {
    let uid = id.uid.unwrap_or_else(Uid::effective);
    let primary = nix::unistd::User::from_uid(uid)?.map(|u| u.gid);
    let gid = id.gid.or(primary).unwrap_or_else(Gid::effective);
    let groups = match id.user_name {
        Some(_) => groups_of(uid, gid)?,
        None => Vec::new(),
    };
    Ok(VassalUser { uid, gid, groups })
}

/// Whether an `emperor` value is a glob (uWSGI's test: a `*`).
fn is_glob(source: &str) -> bool {
    source.contains('*') || source.contains('?') || source.contains('[')
}

fn absolute(pattern: &str) -> String {
    std::path::absolute(pattern)
        .map_or_else(|_| pattern.to_owned(), |p| p.to_string_lossy().into_owned())
}

/// `logto`: the supervisor's output appended to the file.
fn redirect_output(path: &Path) -> anyhow::Result<()> {
    use std::os::fd::AsRawFd;
    let file = super::spawn::open_log(path)?;
    for target in [libc::STDOUT_FILENO, libc::STDERR_FILENO] {
        // SAFETY: dup2 of an open descriptor onto a standard stream.
        if unsafe { libc::dup2(file.as_raw_fd(), target) } < 0 {
            return Err(std::io::Error::last_os_error().into());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_star_makes_a_glob() {
        assert!(is_glob("/etc/uwsgi/vassals/*.ini"));
        assert!(is_glob("./vassals/*/*.ini"));
        assert!(!is_glob("/etc/uwsgi/vassals"));
    }

    #[test]
    fn root_owned_files_are_refused_in_tyrant_mode() {
        let dir = tempfile::tempdir().expect("tempdir");
        let ini = dir.path().join("app.ini");
        std::fs::write(&ini, "[uwsgi]\n").expect("write");
        let vassals = Vassals {
            tyrant: true,
            ..Vassals::default()
        };
        let owner = std::fs::metadata(&ini).expect("stat").uid();
        match vassals.user_for(&ini) {
            Err(VassalError::RootOwned(_)) => assert_eq!(owner, 0),
            Ok(Some(user)) => assert_eq!(user.uid.as_raw(), owner),
            other => panic!("{other:?}"),
        }
        assert_eq!(Vassals::default().user_for(&ini).expect("plain"), None);
    }
}
