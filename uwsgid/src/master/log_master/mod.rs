//! `log-master` (and `log-maxsize`, which implies it, as in uWSGI): the
//! master's and every child's stdout and stderr are one end of a unix
//! stream socket; a thread of the master reads the other end and writes the
//! log (`writer.rs`), or sorts the lines out to uWSGI's loggers
//! (`dispatch.rs`, `loggers.rs`, `encoders.rs`). One process then owns the file, so it can rotate it
//! (`log-maxsize`) or open it again (`log-reopen`) while every worker keeps
//! writing: a line is never lost, never split across two files, and lands
//! in the new file as soon as the old one is renamed.
//!
//! uWSGI uses a non-blocking `SOCK_SEQPACKET` pair, so a line a busy master
//! cannot take at once is dropped; here the children's end blocks, so a
//! slow log slows the writers instead of losing their lines (see
//! `docs/compatibility.md`).

mod dispatch;
mod encoders;
mod loggers;
mod writer;

use std::fs::File;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, mpsc};
use std::time::Duration;

use crate::config::AppConfig;
use crate::log::log_line;
use dispatch::Dispatch;
use writer::LogWriter;

/// What the master asked of the writer thread, done before it writes
/// what it reads next (the master logs a line right after asking).
pub struct Asked {
    /// Open the file again (`log-reopen`, `touch-logreopen`, FIFO `l`).
    pub reopen: AtomicBool,
    /// Rotate the file now (FIFO `L`).
    pub rotate: AtomicBool,
}

static ASKED: Asked = Asked {
    reopen: AtomicBool::new(false),
    rotate: AtomicBool::new(false),
};

/// Set while a log master thread runs.
static RUNNING: AtomicBool = AtomicBool::new(false);

#[derive(Debug, thiserror::Error)]
pub enum LogMasterError {
    #[error("cannot create the log socket pair: {0}")]
    Socket(std::io::Error),
    #[error("cannot redirect the output to the log socket: {0}")]
    Redirect(std::io::Error),
    #[error("cannot open the log file: {0}")]
    Open(std::io::Error),
    #[error("{0}")]
    Loggers(String),
    #[error("cannot start the log thread: {0}")]
    Thread(std::io::Error),
}

/// The running log master, until `finish`.
pub struct LogMaster {
    done: mpsc::Receiver<()>,
    path: Option<PathBuf>,
    /// Where the output went before (the terminal, or a supervisor's file).
    original: File,
}

/// The log master of this process, from `after_privileges` to `finish`.
static CURRENT: Mutex<Option<LogMaster>> = Mutex::new(None);

/// Right after `logto`/`daemonize`: starts the log master at once when
/// there is no `logto2` to wait for, so the master's first lines go
/// through it too (as in uWSGI).
/// The guard ends the log master (if one started, now or later) when the
/// master returns, on every path: an error on the way out must still
/// reach the file.
pub fn early(cfg: &AppConfig, path: Option<PathBuf>) -> Result<FinishOnDrop, LogMasterError> {
    if cfg.request_logging.file.logto2.is_none() {
        let started = start(cfg, path)?;
        *CURRENT.lock().unwrap_or_else(|p| p.into_inner()) = started;
    }
    Ok(FinishOnDrop)
}

/// Calls [`finish`] when dropped.
pub struct FinishOnDrop;

impl Drop for FinishOnDrop {
    fn drop(&mut self) {
        finish();
    }
}

/// What follows the privilege drop, before any child is spawned: `logto2`
/// (the log file opened as the unprivileged user), then the log master if
/// `cfg` asks for one. `path` is the log file (absolute), if the log is a
/// file uwsgid opens.
pub fn after_privileges(cfg: &AppConfig, path: Option<PathBuf>) -> Result<(), LogMasterError> {
    if CURRENT.lock().unwrap_or_else(|p| p.into_inner()).is_some() {
        return Ok(());
    }
    if let Some(logto2) = &path
        .as_ref()
        .filter(|_| cfg.request_logging.file.logto2.is_some())
    {
        let file = open_append(logto2).map_err(LogMasterError::Open)?;
        for target in [libc::STDOUT_FILENO, libc::STDERR_FILENO] {
            // SAFETY: dup2 of an open descriptor onto a standard stream.
            if unsafe { libc::dup2(file.as_raw_fd(), target) } < 0 {
                return Err(LogMasterError::Redirect(std::io::Error::last_os_error()));
            }
        }
    }
    let started = start(cfg, path)?;
    *CURRENT.lock().unwrap_or_else(|p| p.into_inner()) = started;
    Ok(())
}

/// At exit: ends the log master, if one runs (see [`LogMaster::finish`]).
pub fn finish() {
    let current = CURRENT.lock().unwrap_or_else(|p| p.into_inner()).take();
    if let Some(log_master) = current {
        log_master.finish();
    }
}

fn start(cfg: &AppConfig, path: Option<PathBuf>) -> Result<Option<LogMaster>, LogMasterError> {
    let options = &cfg.request_logging.file;
    if !cfg.request_logging.master_writes() {
        return Ok(None);
    }
    let hostname = crate::config::Context::from_process().hostname;
    let dispatch = Dispatch::build(&cfg.request_logging.loggers, &hostname)
        .map_err(|e| LogMasterError::Loggers(e.to_string()))?;
    let original = dup(libc::STDERR_FILENO).map_err(LogMasterError::Redirect)?;
    let writer_file = original.try_clone().map_err(LogMasterError::Redirect)?;
    let (read_end, write_end) = socket_pair().map_err(LogMasterError::Socket)?;
    for target in [libc::STDOUT_FILENO, libc::STDERR_FILENO] {
        // SAFETY: dup2 of an open descriptor onto a standard stream; the
        // copy is inherited by the children (dup2 clears close-on-exec).
        if unsafe { libc::dup2(write_end.as_raw_fd(), target) } < 0 {
            return Err(LogMasterError::Redirect(std::io::Error::last_os_error()));
        }
    }
    drop(write_end);
    let mut writer = LogWriter::new(writer_file, path.clone(), options);
    let (tx, done) = mpsc::channel();
    std::thread::Builder::new()
        .name("log-master".into())
        .spawn(move || {
            writer.run(File::from(read_end), &ASKED, dispatch);
            let _ = tx.send(());
        })
        .map_err(LogMasterError::Thread)?;
    RUNNING.store(true, Ordering::Release);
    Ok(Some(LogMaster {
        done,
        path,
        original,
    }))
}

impl LogMaster {
    /// At exit, once no child is left: the master's own output goes to the
    /// file directly again, so the socket's last writer is gone; the thread
    /// writes what is left and ends (waited for at most 3 s: a process the
    /// app started may still hold the socket).
    pub fn finish(self) {
        let direct = self
            .path
            .as_deref()
            .and_then(|p| open_append(p).ok())
            .unwrap_or(self.original);
        for target in [libc::STDOUT_FILENO, libc::STDERR_FILENO] {
            // SAFETY: as in `start`.
            unsafe { libc::dup2(direct.as_raw_fd(), target) };
        }
        let _ = self.done.recv_timeout(Duration::from_secs(3));
        RUNNING.store(false, Ordering::Release);
    }
}

/// `log-reopen` at a reload: the log file is opened again (an operator
/// moved it away), by the log master if one runs, else by the master for
/// itself and the children it spawns from now on.
pub fn reopen_on_reload(cfg: &AppConfig, path: Option<&Path>) {
    if cfg.request_logging.file.reopen {
        reopen(path);
    }
}

/// Opens the log file again now (`touch-logreopen`, `log-reopen`).
pub fn reopen(path: Option<&Path>) {
    if RUNNING.load(Ordering::Acquire) {
        ASKED.reopen.store(true, Ordering::Release);
        return;
    }
    let Some(path) = path else {
        return;
    };
    redirect_to(path);
}

/// Rotates the log file now (the master FIFO's `L`): the log master's
/// writer does it if one runs; else the master renames the file as uWSGI
/// does (to `log-backupname`, else `FILE.EPOCH`) and writes to a new one
/// (its children keep writing to the renamed file until they are
/// replaced, as with uWSGI without `log-master`).
pub fn rotate(path: Option<&Path>, backupname: Option<&Path>) {
    if RUNNING.load(Ordering::Acquire) {
        ASKED.rotate.store(true, Ordering::Release);
        return;
    }
    let Some(path) = path else {
        return;
    };
    let target = backupname.map_or_else(
        || {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            let mut name = path.as_os_str().to_owned();
            name.push(format!(".{now}"));
            PathBuf::from(name)
        },
        Path::to_path_buf,
    );
    log_line!("triggering rotation to {}...", target.display());
    if let Err(err) = std::fs::rename(path, &target) {
        log_line!("unable to rotate log: rename(): {err}");
        return;
    }
    redirect_to(path);
}

/// Points the master's standard output and error at `path`.
fn redirect_to(path: &Path) {
    match open_append(path) {
        Ok(file) => {
            for target in [libc::STDOUT_FILENO, libc::STDERR_FILENO] {
                // SAFETY: as in `start`.
                unsafe { libc::dup2(file.as_raw_fd(), target) };
            }
        }
        Err(err) => log_line!("log-reopen: cannot open {}: {err}", path.display()),
    }
}

/// Opens `path` for appending, creating it with mode 0640 (uWSGI's mode).
pub(crate) fn open_append(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o640)
        .open(path)
}

fn dup(fd: libc::c_int) -> std::io::Result<File> {
    // SAFETY: F_DUPFD_CLOEXEC returns a new descriptor we then own.
    let new = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 3) };
    if new < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: `new` is a fresh descriptor nobody else owns.
    Ok(unsafe { File::from_raw_fd(new) })
}

/// A unix stream socket pair, both ends close-on-exec (the children get the
/// write end as their stdout and stderr only).
fn socket_pair() -> std::io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: socketpair writes two descriptors into `fds`.
    let rc = unsafe {
        libc::socketpair(
            libc::AF_UNIX,
            libc::SOCK_STREAM | libc::SOCK_CLOEXEC,
            0,
            fds.as_mut_ptr(),
        )
    };
    if rc < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: both descriptors are fresh and ours.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}
