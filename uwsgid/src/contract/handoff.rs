//! The hand-off socket pair: how the workers of one app pass kept-alive
//! HTTP connections to each other.
//!
//! The master makes one `SOCK_SEQPACKET` socket pair per app, once, and
//! every child it execs inherits both ends (`UWSGID_HANDOFF_FDS` = `"SEND
//! RECV"`; a zygote's workers inherit them from the zygote). A worker whose
//! Python threads are all stuck sends an idle keep-alive connection's
//! descriptor (`SCM_RIGHTS`) with the bytes it had read of it on the send
//! end; every worker with a free Python thread reads the receive end as it
//! reads a listen socket. The pair is one queue shared by all the workers
//! of every generation, and the master keeps its ends open, so a connection
//! in the queue outlives the worker that sent it.
//!
//! A child takes its ends once, before any thread starts
//! ([`crate::contract::child_env::ChildEnv::take_listeners`]); the worker
//! runtime picks them up with [`take_inherited`].

use std::io;
use std::os::fd::OwnedFd;
use std::sync::Mutex;

/// `"SEND RECV"`: where a child finds the two ends.
pub const HANDOFF_FDS_VAR: &str = "UWSGID_HANDOFF_FDS";

/// Both ends of the hand-off pair: connections sent on `send` are received
/// on `recv`.
#[derive(Debug)]
pub struct HandoffEnds {
    pub send: OwnedFd,
    pub recv: OwnedFd,
}

/// The ends this process inherited, until the worker runtime takes them.
static INHERITED: Mutex<Option<HandoffEnds>> = Mutex::new(None);

/// Makes the pair (master side): non-blocking for every process that shares
/// it, close-on-exec until the spawn places the ends.
pub fn create() -> io::Result<HandoffEnds> {
    let (send, recv) = super::seqpacket_pair()?;
    Ok(HandoffEnds { send, recv })
}

/// Keeps the inherited ends for the worker runtime (child side), closed on
/// exec: a program the app runs must not hold the app's connections.
pub(crate) fn keep_inherited(ends: HandoffEnds) {
    for fd in [&ends.send, &ends.recv] {
        // SAFETY: F_SETFD on a descriptor `ends` owns. A failure leaves it
        // inheritable, which is harmless.
        unsafe {
            libc::fcntl(
                std::os::fd::AsRawFd::as_raw_fd(fd),
                libc::F_SETFD,
                libc::FD_CLOEXEC,
            )
        };
    }
    *INHERITED.lock().unwrap_or_else(|p| p.into_inner()) = Some(ends);
}

/// The inherited ends, once; `None` when the master passed none.
pub fn take_inherited() -> Option<HandoffEnds> {
    INHERITED.lock().unwrap_or_else(|p| p.into_inner()).take()
}

/// The value of [`HANDOFF_FDS_VAR`] for the given descriptors.
pub fn format_fds(send: i32, recv: i32) -> String {
    format!("{send} {recv}")
}

/// The two descriptors named by a [`HANDOFF_FDS_VAR`] value.
pub fn parse_fds(value: &str) -> Option<(i32, i32)> {
    let (a, b) = value.trim().split_once(' ')?;
    let (a, b) = (a.parse().ok()?, b.parse().ok()?);
    (a > 2 && b > 2 && a != b).then_some((a, b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fds_round_trip() {
        assert_eq!(parse_fds(&format_fds(7, 8)), Some((7, 8)));
        assert_eq!(parse_fds("7"), None);
        assert_eq!(parse_fds("2 8"), None);
        assert_eq!(parse_fds("8 8"), None);
    }

    #[test]
    fn the_pair_carries_a_message_from_send_to_recv() {
        let ends = create().expect("a socket pair");
        let sent = nix::sys::socket::send(
            std::os::fd::AsRawFd::as_raw_fd(&ends.send),
            b"x",
            nix::sys::socket::MsgFlags::empty(),
        );
        assert_eq!(sent.ok(), Some(1));
        let mut buf = [0u8; 4];
        let got = nix::sys::socket::recv(
            std::os::fd::AsRawFd::as_raw_fd(&ends.recv),
            &mut buf,
            nix::sys::socket::MsgFlags::empty(),
        );
        assert_eq!(got.ok(), Some(1));
    }
}
