//! systemd socket activation: sockets handed over with `LISTEN_PID` (our
//! pid) and `LISTEN_FDS` (their count, from fd 3) are matched to the
//! configured sockets by the address they are bound to and used instead of
//! binding. The variables are removed from what children inherit.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::PathBuf;

use super::address::{BoundAddr, bound_addr, same_address};
use super::{SocketError, move_high};
use crate::config::ListenAddr;
use crate::log::log_line;

/// The environment variables of the protocol; children never see them.
pub const ACTIVATION_VARS: [&str; 3] = ["LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"];

/// Sockets received from systemd and not yet matched to a configured one.
#[derive(Debug, Default)]
pub struct Activated {
    sockets: Vec<(OwnedFd, BoundAddr)>,
    cwd: PathBuf,
}

impl Activated {
    /// Takes over the activated sockets, if the environment names this
    /// process. Must run before anything else opens a descriptor, since
    /// they sit at 3, 4, …; they are moved high at once.
    pub fn from_env() -> Result<Activated, SocketError> {
        let cwd = std::env::current_dir().unwrap_or_default();
        let count = activated_count(
            std::env::var("LISTEN_PID").ok().as_deref(),
            std::env::var("LISTEN_FDS").ok().as_deref(),
            std::process::id(),
        );
        let mut sockets = Vec::with_capacity(count);
        for raw in 3..3 + count {
            let Ok(raw) = i32::try_from(raw) else { break };
            // SAFETY: F_GETFD only queries the descriptor table.
            if unsafe { libc::fcntl(raw, libc::F_GETFD) } < 0 {
                log_line!("*** WARNING: LISTEN_FDS names fd {raw}, which is not open ***");
                continue;
            }
            // SAFETY: systemd passed these descriptors to this process
            // (LISTEN_PID is ours) and nothing else in it owns them.
            let fd = unsafe { OwnedFd::from_raw_fd(raw) };
            let fd = move_high(fd)?;
            if let Some(addr) = bound_addr(fd.as_raw_fd())? {
                sockets.push((fd, addr));
            }
        }
        if count > 0 {
            log_line!("- SystemD socket activation detected -");
        }
        Ok(Activated { sockets, cwd })
    }

    /// Removes and returns the activated socket bound to `wanted`.
    pub fn take_matching(&mut self, wanted: &ListenAddr) -> Option<(OwnedFd, BoundAddr)> {
        let index = self
            .sockets
            .iter()
            .position(|(_, addr)| same_address(wanted, addr, &self.cwd))?;
        Some(self.sockets.remove(index))
    }

    /// Closes activated sockets no configured socket asked for, saying so.
    pub fn close_unmatched(&mut self) {
        for (_, addr) in self.sockets.drain(..) {
            log_line!(
                "*** WARNING: the systemd socket {addr} matches no configured socket; closing it ***"
            );
        }
    }
}

/// How many sockets systemd passed to `our_pid` (0 when none or not ours).
fn activated_count(listen_pid: Option<&str>, listen_fds: Option<&str>, our_pid: u32) -> usize {
    match (
        listen_pid.and_then(|p| p.trim().parse::<u32>().ok()),
        listen_fds,
    ) {
        (Some(pid), Some(fds)) if pid == our_pid => fds.trim().parse().unwrap_or(0),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_our_pid_counts() {
        assert_eq!(activated_count(Some("42"), Some("2"), 42), 2);
        assert_eq!(activated_count(Some("41"), Some("2"), 42), 0);
        assert_eq!(activated_count(None, Some("2"), 42), 0);
        assert_eq!(activated_count(Some("42"), None, 42), 0);
        assert_eq!(activated_count(Some("42"), Some("x"), 42), 0);
    }
}
