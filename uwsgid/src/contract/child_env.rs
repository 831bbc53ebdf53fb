//! The environment contract between the master and the processes it execs
//! (the zygote and `lazy-apps` workers): variable names, and the child's
//! side of reading them back.
//!
//! Layout of a child: listen sockets at fds 3 .. 3+n-1 (`UWSGID_LISTEN_FDS`
//! = n, fd 3+i bound for `sockets[i]`), the resolved `AppConfig` as JSON in
//! `UWSGID_CONFIG`, the master's pid in `UWSGID_MASTER_PID`. The zygote also
//! gets its command pipe (read end) at 3+n and its report pipe (write end)
//! at 3+n+1, named by `UWSGID_ZYGOTE_FDS` = `"CMD REPORT"`. A lazy worker
//! gets its id in `UWSGID_WORKER_ID` and its generation in
//! `UWSGID_WORKER_GENERATION`. Every child then gets the two ends
//! of the workers' hand-off pair (`UWSGID_HANDOFF_FDS` = `"SEND RECV"`,
//! [`crate::contract::handoff`]), then the uWSGI signal socket's child end
//! (`UWSGID_SIGNAL_FD`, [`crate::contract::uwsgi_signals`]). Last comes the
//! scoreboard
//! (`crate::scoreboard`), named by `UWSGID_SCOREBOARD_FD`: the child maps
//! it and closes the descriptor (the mapping stays, and is inherited by
//! the workers a zygote forks). When the app has caches, their mapping's
//! descriptor comes after the scoreboard's, named by `UWSGID_CACHES_FD`
//! (`crate::cache`), and is taken the same way.

use std::os::fd::{FromRawFd, OwnedFd, RawFd};

use crate::cache::Caches;
use crate::config::AppConfig;
use crate::contract::InheritedListener;
use crate::contract::handoff::{self, HANDOFF_FDS_VAR, HandoffEnds};
use crate::scoreboard::Scoreboard;
use crate::sharedarea::SharedAreas;

pub const CONFIG_VAR: &str = "UWSGID_CONFIG";
pub const LISTEN_FDS_VAR: &str = "UWSGID_LISTEN_FDS";
pub const MASTER_PID_VAR: &str = "UWSGID_MASTER_PID";
pub const ZYGOTE_FDS_VAR: &str = "UWSGID_ZYGOTE_FDS";
pub const WORKER_ID_VAR: &str = "UWSGID_WORKER_ID";
pub const WORKER_GENERATION_VAR: &str = "UWSGID_WORKER_GENERATION";
pub const SCOREBOARD_FD_VAR: &str = "UWSGID_SCOREBOARD_FD";
pub const CACHES_FD_VAR: &str = "UWSGID_CACHES_FD";
pub const SHAREDAREAS_FD_VAR: &str = "UWSGID_SHAREDAREAS_FD";
/// A spooler's or a mule's number: for a mule its id (from 1); for a
/// spooler process its place (from 0) among all of them, directory by
/// directory (`spooler-processes` each).
pub const SIDE_ID_VAR: &str = "UWSGID_SIDE_ID";

/// The first inherited listen socket.
pub const FIRST_LISTEN_FD: RawFd = 3;

/// A child's environment is not what the master sets up.
#[derive(Debug, thiserror::Error)]
pub enum ChildEnvError {
    #[error("{0} is not set: this mode is started by the uwsgid master, not by hand")]
    Missing(&'static str),
    #[error("{0} is invalid: {1}")]
    Invalid(&'static str, String),
    #[error("inherited descriptor {0} is not open")]
    NotOpen(RawFd),
}

/// What every child of the master reads at startup.
#[derive(Debug)]
pub struct ChildEnv {
    pub cfg: AppConfig,
    pub listen_fds: usize,
    pub master_pid: i32,
    /// Where the hand-off pair's ends are, when the master passed them.
    pub handoff_fds: Option<(RawFd, RawFd)>,
}

impl ChildEnv {
    pub fn from_env() -> Result<ChildEnv, ChildEnvError> {
        let json = var(CONFIG_VAR)?;
        let cfg: AppConfig = serde_json::from_str(&json)
            .map_err(|e| ChildEnvError::Invalid(CONFIG_VAR, e.to_string()))?;
        let listen_fds: usize = parse_var(LISTEN_FDS_VAR)?;
        if listen_fds != cfg.sockets.len() {
            let msg = format!(
                "{listen_fds} descriptors for {} configured sockets",
                cfg.sockets.len()
            );
            return Err(ChildEnvError::Invalid(LISTEN_FDS_VAR, msg));
        }
        let master_pid = parse_var(MASTER_PID_VAR)?;
        let handoff_fds = match std::env::var(HANDOFF_FDS_VAR) {
            Ok(value) => Some(
                handoff::parse_fds(&value)
                    .ok_or_else(|| ChildEnvError::Invalid(HANDOFF_FDS_VAR, value.clone()))?,
            ),
            Err(_) => None,
        };
        Ok(ChildEnv {
            cfg,
            listen_fds,
            master_pid,
            handoff_fds,
        })
    }

    /// Takes ownership of the inherited listen sockets, paired with their
    /// specs, and keeps the hand-off pair's ends for the worker runtime
    /// ([`handoff::take_inherited`]): both are what a worker serves from.
    pub fn take_listeners(&self) -> Result<Vec<InheritedListener>, ChildEnvError> {
        if let Some((send, recv)) = self.handoff_fds {
            handoff::keep_inherited(HandoffEnds {
                send: take_fd(send)?,
                recv: take_fd(recv)?,
            });
        }
        let mut out = Vec::with_capacity(self.listen_fds);
        for (index, spec) in self.cfg.sockets.iter().enumerate() {
            let fd = take_fd(FIRST_LISTEN_FD + index as RawFd)?;
            out.push(InheritedListener {
                spec: spec.clone(),
                fd,
            });
        }
        Ok(out)
    }
}

/// Removes the variables of this contract from the environment, so the app
/// (and whatever it runs) does not see them.
///
/// # Safety
/// Must be called while the process is single-threaded (before CPython
/// or any runtime starts), as `std::env::remove_var` requires.
pub unsafe fn scrub() {
    for name in [
        CONFIG_VAR,
        LISTEN_FDS_VAR,
        MASTER_PID_VAR,
        ZYGOTE_FDS_VAR,
        WORKER_ID_VAR,
        WORKER_GENERATION_VAR,
        SCOREBOARD_FD_VAR,
        CACHES_FD_VAR,
        SHAREDAREAS_FD_VAR,
        HANDOFF_FDS_VAR,
        SIDE_ID_VAR,
    ] {
        // SAFETY: the caller guarantees no other thread exists.
        unsafe { std::env::remove_var(name) };
    }
}

/// The zygote's pipes: (command read end, report write end).
pub fn take_zygote_pipes() -> Result<(OwnedFd, OwnedFd), ChildEnvError> {
    let value = var(ZYGOTE_FDS_VAR)?;
    let (cmd, report) = parse_fd_pair(&value)
        .ok_or_else(|| ChildEnvError::Invalid(ZYGOTE_FDS_VAR, value.clone()))?;
    Ok((take_fd(cmd)?, take_fd(report)?))
}

/// The value of `UWSGID_ZYGOTE_FDS` for the given descriptors.
pub fn format_fd_pair(cmd: RawFd, report: RawFd) -> String {
    format!("{cmd} {report}")
}

fn parse_fd_pair(value: &str) -> Option<(RawFd, RawFd)> {
    let (a, b) = value.trim().split_once(' ')?;
    let (a, b) = (a.parse().ok()?, b.parse().ok()?);
    (a > 2 && b > 2 && a != b).then_some((a, b))
}

/// The scoreboard the master passed down, mapped. Callers treat a failure
/// as non-fatal (the child serves; harakiri and status cannot see it) and
/// log it.
pub fn take_scoreboard() -> Result<Scoreboard, String> {
    let fd: RawFd = parse_var(SCOREBOARD_FD_VAR).map_err(|e| e.to_string())?;
    let fd = take_fd(fd).map_err(|e| e.to_string())?;
    Scoreboard::from_fd(fd).map_err(|e| e.to_string())
}

/// The caches the master passed down, mapped; None when the app has none.
/// A failure is for the caller to log (the child serves without them).
pub fn take_caches(cfg: &AppConfig) -> Result<Option<Caches>, String> {
    if std::env::var_os(CACHES_FD_VAR).is_none() {
        return Ok(None);
    }
    let fd: RawFd = parse_var(CACHES_FD_VAR).map_err(|e| e.to_string())?;
    let fd = take_fd(fd).map_err(|e| e.to_string())?;
    Caches::from_fd(fd, &cfg.cache.all())
        .map(Some)
        .map_err(|e| e.to_string())
}

/// The sharedareas the master passed down, mapped; None when the app has
/// none. A failure is for the caller to log.
pub fn take_sharedareas(cfg: &AppConfig) -> Result<Option<SharedAreas>, String> {
    if std::env::var_os(SHAREDAREAS_FD_VAR).is_none() {
        return Ok(None);
    }
    let fd: RawFd = parse_var(SHAREDAREAS_FD_VAR).map_err(|e| e.to_string())?;
    let fd = take_fd(fd).map_err(|e| e.to_string())?;
    SharedAreas::from_fd(fd, &cfg.sharedareas)
        .map(Some)
        .map_err(|e| e.to_string())
}

/// The worker id of a lazy worker.
pub fn worker_id() -> Result<u32, ChildEnvError> {
    parse_var(WORKER_ID_VAR)
}

/// The generation of a lazy worker (its scoreboard slot goes to the
/// newest generation's worker).
pub fn worker_generation() -> Result<u64, ChildEnvError> {
    parse_var(WORKER_GENERATION_VAR)
}

/// The number of a spooler process or a mule (see [`SIDE_ID_VAR`]).
pub fn side_id() -> Result<u32, ChildEnvError> {
    parse_var(SIDE_ID_VAR)
}

fn var(name: &'static str) -> Result<String, ChildEnvError> {
    std::env::var(name).map_err(|_| ChildEnvError::Missing(name))
}

fn parse_var<T: std::str::FromStr>(name: &'static str) -> Result<T, ChildEnvError> {
    let value = var(name)?;
    value
        .trim()
        .parse()
        .map_err(|_| ChildEnvError::Invalid(name, value))
}

/// Wraps an inherited descriptor after checking it is open, so that the
/// `OwnedFd` invariant holds.
fn take_fd(fd: RawFd) -> Result<OwnedFd, ChildEnvError> {
    // SAFETY: F_GETFD only queries the descriptor table.
    if unsafe { libc::fcntl(fd, libc::F_GETFD) } < 0 {
        return Err(ChildEnvError::NotOpen(fd));
    }
    // SAFETY: the master placed this descriptor here for this process, it is
    // open, and it is taken exactly once.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fd_pair_round_trip() {
        assert_eq!(parse_fd_pair(&format_fd_pair(5, 6)), Some((5, 6)));
        assert_eq!(parse_fd_pair("5"), None);
        assert_eq!(parse_fd_pair("1 6"), None);
        assert_eq!(parse_fd_pair("7 7"), None);
        assert_eq!(parse_fd_pair("a b"), None);
    }
}
