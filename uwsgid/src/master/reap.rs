//! Reaping: every child that ended (workers, the zygote, and orphans the
//! subreaper inherits) is collected with `waitpid(-1, WNOHANG)` after
//! SIGCHLD, and its end described the way the log and the status show it.

use std::fmt;

use nix::errno::Errno;
use nix::sys::signal::Signal;
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;

/// How a child ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCause {
    Exited(i32),
    Signaled(i32),
}

impl ExitCause {
    pub fn exit_code(self) -> Option<i32> {
        match self {
            ExitCause::Exited(code) => Some(code),
            ExitCause::Signaled(_) => None,
        }
    }
}

impl fmt::Display for ExitCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExitCause::Exited(code) => write!(f, "exited with code {code}"),
            ExitCause::Signaled(sig) => match Signal::try_from(*sig) {
                Ok(name) => write!(f, "killed by signal {sig} ({})", name.as_str()),
                Err(_) => write!(f, "killed by signal {sig}"),
            },
        }
    }
}

/// The result of one reaping pass.
#[derive(Debug, Default)]
pub struct Reaped {
    pub ended: Vec<(Pid, ExitCause)>,
    /// False once the process has no child at all (`ECHILD`).
    pub children_left: bool,
}

/// Collects every child that has ended, without blocking.
pub fn reap_all() -> Reaped {
    let mut out = Reaped::default();
    loop {
        match waitpid(None::<Pid>, Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::Exited(pid, code)) => out.ended.push((pid, ExitCause::Exited(code))),
            Ok(WaitStatus::Signaled(pid, sig, _)) => {
                out.ended.push((pid, ExitCause::Signaled(sig as i32)))
            }
            Ok(WaitStatus::StillAlive) => {
                out.children_left = true;
                return out;
            }
            // Stops and continues are not ends; keep reading.
            Ok(_) => {}
            Err(Errno::EINTR) => {}
            Err(_) => return out,
        }
    }
}

/// Every current child of this process (all threads), from
/// `/proc/self/task/*/children`; orphans adopted as subreaper included.
pub fn list_children() -> Vec<Pid> {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for task in tasks.flatten() {
        if let Ok(text) = std::fs::read_to_string(task.path().join("children")) {
            out.extend(
                text.split_whitespace()
                    .filter_map(|p| p.parse().ok())
                    .map(Pid::from_raw),
            );
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_read_like_the_log() {
        assert_eq!(ExitCause::Exited(22).to_string(), "exited with code 22");
        assert_eq!(
            ExitCause::Signaled(9).to_string(),
            "killed by signal 9 (SIGKILL)"
        );
        assert_eq!(ExitCause::Signaled(200).to_string(), "killed by signal 200");
        assert_eq!(ExitCause::Exited(3).exit_code(), Some(3));
        assert_eq!(ExitCause::Signaled(9).exit_code(), None);
    }
}
