//! `daemonize=LOGFILE` and `logto=FILE` (uWSGI's `uwsgi_setup_log`):
//! both append stdout and stderr of the master, and so of every child, to
//! the file (created with mode 0640); `daemonize` also detaches first
//! (fork, setsid, fork, with the `daemonize` crate): the launched process
//! exits 0 and the daemon goes on, in the same working directory and with
//! the same umask. Done before the pidfile is written, so the pidfile holds
//! the daemon's pid. Must run while the master is single-threaded.

use std::fs::{File, OpenOptions};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum LogSetupError {
    #[error("cannot open the log file {0}: {1}")]
    Open(String, std::io::Error),
    #[error("cannot redirect the output to {0}: {1}")]
    Redirect(String, std::io::Error),
    #[error("cannot daemonize: {0}")]
    Daemonize(String),
}

/// Opens `path` for appending, creating it with mode 0640.
fn open_log(path: &Path) -> Result<File, LogSetupError> {
    OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o640)
        .open(path)
        .map_err(|e| LogSetupError::Open(path.display().to_string(), e))
}

/// `logto`: stdout and stderr go to the end of `path`; no detach.
pub fn log_to(path: &Path) -> Result<(), LogSetupError> {
    let file = open_log(path)?;
    for target in [libc::STDOUT_FILENO, libc::STDERR_FILENO] {
        // SAFETY: plain dup2 of an open descriptor onto a standard stream.
        if unsafe { libc::dup2(file.as_raw_fd(), target) } < 0 {
            let err = std::io::Error::last_os_error();
            return Err(LogSetupError::Redirect(path.display().to_string(), err));
        }
    }
    Ok(())
}

/// `daemonize`: detaches, then logs to `path`. Returns in the daemon only;
/// the launched process exits 0 once the first child has.
pub fn detach(path: &Path) -> Result<(), LogSetupError> {
    let stdout = open_log(path)?;
    let stderr = stdout
        .try_clone()
        .map_err(|e| LogSetupError::Open(path.display().to_string(), e))?;
    let cwd = std::env::current_dir().unwrap_or_else(|_| "/".into());
    daemonize::Daemonize::new()
        .working_directory(cwd)
        .umask(current_umask())
        .stdout(stdout)
        .stderr(stderr)
        .start()
        .map_err(|e| LogSetupError::Daemonize(e.to_string()))
}

/// The process's umask (read by setting it and setting it back).
/// Who supervises this process, if anyone: systemd sets `INVOCATION_ID`
/// for every unit it starts; uwsgid's own supervisor sets
/// `UWSGID_SUPERVISED`.
pub fn supervisor() -> Option<&'static str> {
    if std::env::var_os("UWSGID_SUPERVISED").is_some() {
        Some("the uwsgid supervisor")
    } else if std::env::var_os("INVOCATION_ID").is_some() {
        Some("systemd")
    } else {
        None
    }
}

fn current_umask() -> libc::mode_t {
    // SAFETY: umask cannot fail; the original mask is restored at once
    // while the process is single-threaded.
    let mask = unsafe { libc::umask(0o022) };
    unsafe { libc::umask(mask) };
    mask
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn the_log_is_created_0640_and_appended() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("app.log");
        std::fs::write(dir.path().join("other"), "x").expect("write");
        {
            use std::io::Write;
            let mut file = open_log(&path).expect("open");
            file.write_all(b"one\n").expect("write");
        }
        let mode = std::fs::metadata(&path).expect("stat").permissions().mode();
        assert_eq!(mode & 0o777, 0o640 & !current_umask());
        {
            use std::io::Write;
            let mut file = open_log(&path).expect("open again");
            file.write_all(b"two\n").expect("write");
        }
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "one\ntwo\n");
        assert!(open_log(&dir.path().join("missing/dir/log")).is_err());
    }
}
