//! Starting one app master: `<uwsgid> --control <apps/NAME.sock> --ini
//! <absolute ini>`, in the apps directory (as uWSGI's Emperor runs its
//! vassals), in a process group of its own (a Ctrl-C or a signal to the
//! supervisor's group does not reach it), stdout and stderr appended to
//! `<log-dir>/<name>.log`. The app master is not tied to the supervisor's
//! life: it keeps serving if the supervisor dies, and is adopted again.
//!
//! An Emperor's vassal gets the Emperor's arguments around its `--ini`, and
//! may run as another user (`emperor-tyrant`, the Emperor's `uid`): then
//! the supervisor binds the app's control socket itself (the user cannot
//! create it in the supervisor's directory) and passes it as descriptor
//! [`CONTROL_FD`], and the child drops to the user before the exec.

use std::fs::{File, OpenOptions};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use super::emperor::VassalUser;

/// Variables the app master must not inherit: systemd's notify and
/// watchdog (the supervisor answers for its apps), and socket activation
/// meant for the supervisor.
const SCRUBBED_ENV: &[&str] = &[
    "NOTIFY_SOCKET",
    "WATCHDOG_USEC",
    "WATCHDOG_PID",
    "LISTEN_FDS",
    "LISTEN_PID",
    "LISTEN_FDNAMES",
];

/// Tells an app master (and its `daemonize` option) it runs supervised.
pub const SUPERVISED_ENV: &str = "UWSGID_SUPERVISED";

/// Where and how to start one app master.
#[derive(Debug)]
pub struct Launch<'a> {
    /// The uwsgid binary.
    pub exe: &'a Path,
    /// The app's own control socket.
    pub control: &'a Path,
    /// The ini, absolute.
    pub ini: &'a Path,
    pub apps_dir: &'a Path,
    pub log: &'a Path,
    /// Arguments before and after `--ini FILE` (the Emperor's).
    pub before: &'a [std::ffi::OsString],
    pub after: &'a [std::ffi::OsString],
    /// The user the app master runs as, if not the supervisor's.
    pub user: Option<VassalUser>,
}

/// The descriptor a vassal run as another user finds its control socket on.
pub const CONTROL_FD: i32 = 3;

/// Why an app master could not be started.
#[derive(Debug, thiserror::Error)]
pub enum SpawnError {
    #[error("cannot open the log {}: {source}", path.display())]
    Log {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot create {}: {source}", path.display())]
    Dir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Control(#[from] crate::control::socket::ControlSocketError),
    #[error("{0}")]
    Vassal(#[from] super::emperor::VassalError),
    #[error("cannot start {}: {source}", exe.display())]
    Exec {
        exe: PathBuf,
        source: std::io::Error,
    },
}

/// Starts the app master; the caller waits for it (and so reaps it).
pub fn spawn(launch: &Launch<'_>) -> Result<tokio::process::Child, SpawnError> {
    for dir in [launch.log.parent(), launch.control.parent()]
        .into_iter()
        .flatten()
    {
        std::fs::create_dir_all(dir).map_err(|source| SpawnError::Dir {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    let stdout = open_log(launch.log)?;
    let stderr = stdout.try_clone().map_err(|source| SpawnError::Log {
        path: launch.log.to_path_buf(),
        source,
    })?;
    let mut cmd = tokio::process::Command::new(launch.exe);
    cmd.arg("--control")
        .arg(launch.control)
        .args(launch.before)
        .arg("--ini")
        .arg(launch.ini)
        .args(launch.after)
        .current_dir(launch.apps_dir)
        .env(SUPERVISED_ENV, "1")
        .stdin(Stdio::null())
        .stdout(Stdio::from(stdout))
        .stderr(Stdio::from(stderr))
        .process_group(0)
        .kill_on_drop(false);
    for name in SCRUBBED_ENV {
        cmd.env_remove(name);
    }
    // Kept open until the child has its copy.
    let _control = match &launch.user {
        Some(user) => Some(as_user(&mut cmd, launch.control, user.clone())?),
        None => None,
    };
    cmd.spawn().map_err(|source| SpawnError::Exec {
        exe: launch.exe.to_path_buf(),
        source,
    })
}

/// Makes `cmd` run as `user`, with its control socket bound here and passed
/// as [`CONTROL_FD`]; returns the socket, to close once spawned.
fn as_user(
    cmd: &mut tokio::process::Command,
    control: &Path,
    user: VassalUser,
) -> Result<OwnedFd, SpawnError> {
    let listener = crate::control::socket::bind(control, None)?;
    let fd = OwnedFd::from(listener);
    let raw = fd.as_raw_fd();
    cmd.env(
        crate::contract::modes::CONTROL_FD_ENV,
        CONTROL_FD.to_string(),
    );
    // SAFETY: the closure runs in the forked child before exec and only
    // makes system calls (dup2, fcntl, setgroups, setgid, setuid).
    unsafe {
        cmd.pre_exec(move || {
            if raw == CONTROL_FD {
                // dup2 onto itself would keep close-on-exec set.
                if libc::fcntl(raw, libc::F_SETFD, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
            } else if libc::dup2(raw, CONTROL_FD) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            user.drop_privileges()
        });
    }
    Ok(fd)
}

/// Opens a log for appending, creating it with mode 0640.
pub fn open_log(path: &Path) -> Result<File, SpawnError> {
    OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o640)
        .open(path)
        .map_err(|source| SpawnError::Log {
            path: path.to_path_buf(),
            source,
        })
}

/// The default log of the app `name`.
pub fn log_path(log_dir: &Path, name: &str) -> PathBuf {
    log_dir.join(format!("{name}.log"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_child_gets_its_arguments_env_dir_group_and_log() {
        let dir = tempfile::tempdir().expect("tempdir");
        let script = dir.path().join("fake-uwsgid");
        std::fs::write(
            &script,
            "#!/bin/sh\necho \"args=$*\"\necho \"cwd=$(pwd)\"\n\
             echo \"sup=$UWSGID_SUPERVISED notify=${NOTIFY_SOCKET-unset}\"\n\
             echo \"pgid=$(ps -o pgid= -p $$ | tr -d ' ') pid=$$\"\necho err >&2\n",
        )
        .expect("write");
        std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .expect("chmod");
        let log = dir.path().join("log/app.log");
        std::fs::create_dir_all(dir.path().join("log")).expect("mkdir");
        std::fs::write(&log, "before\n").expect("write");
        let launch = Launch {
            exe: &script,
            control: &dir.path().join("run/apps/app.sock"),
            ini: &dir.path().join("app.ini"),
            apps_dir: dir.path(),
            log: &log,
            before: &["--set".into(), "a=b".into()],
            after: &["--include".into(), "x.ini".into()],
            user: None,
        };
        let mut child = spawn(&launch).expect("spawns");
        assert!(child.wait().await.expect("waits").success());
        let text = std::fs::read_to_string(&log).expect("read");
        assert!(text.starts_with("before\n"), "{text}");
        assert!(text.contains("args=--control "), "{text}");
        assert!(
            text.contains(&format!(
                "--set a=b --ini {} --include x.ini",
                dir.path().join("app.ini").display()
            )),
            "{text}"
        );
        assert!(
            text.contains(&format!("cwd={}", dir.path().display())),
            "{text}"
        );
        assert!(text.contains("sup=1 notify=unset"), "{text}");
        assert!(text.contains("err\n"), "{text}");
        let pgid_line = text.lines().find(|l| l.starts_with("pgid=")).expect("pgid");
        let (pgid, pid) = pgid_line
            .strip_prefix("pgid=")
            .and_then(|r| r.split_once(" pid="))
            .expect("format");
        assert_eq!(pgid, pid, "own process group");
        assert!(dir.path().join("run/apps").is_dir());
    }
}
