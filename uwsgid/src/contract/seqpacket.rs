//! The socket pairs the master makes for its children (the uWSGI signal
//! socket, the workers' hand-off pair, the mule queues): `SOCK_SEQPACKET`,
//! so each message is one packet, non-blocking for every process that
//! shares an end, close-on-exec until a spawn places the ends.

use std::io;
use std::os::fd::{FromRawFd, OwnedFd};

/// A new pair.
pub fn seqpacket_pair() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors socketpair writes.
    let rc = unsafe {
        libc::socketpair(
            libc::AF_UNIX,
            libc::SOCK_SEQPACKET | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            0,
            fds.as_mut_ptr(),
        )
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: socketpair returned two fresh descriptors owned by nobody else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}
