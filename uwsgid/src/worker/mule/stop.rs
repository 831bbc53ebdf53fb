//! How a mule stops. The master sends SIGHUP to stop it gracefully and
//! SIGTERM, SIGINT or SIGQUIT to stop it at once (SIGKILL after the
//! mercy). A handler for the four, whatever thread the kernel picks: a
//! bare mule waiting in its loop is told through a pipe and ends between
//! two messages (exit 0); otherwise (a script runs, or the app's
//! post-fork hook) the process ends at once, as uWSGI's `end_me` does:
//! exit 0 for SIGHUP, uWSGI's end code for the others.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

use crate::contract::exit::END_EXIT;

/// The write end of the stop pipe (for the handler).
static STOP_FD: AtomicI32 = AtomicI32::new(-1);
/// The bare loop reads the stop pipe: SIGHUP waits for it.
static IN_LOOP: AtomicBool = AtomicBool::new(false);

/// The read end of the stop pipe, readable once SIGHUP came while the
/// bare loop runs.
#[derive(Debug)]
pub struct Stop {
    read: OwnedFd,
    _write: OwnedFd,
}

impl Stop {
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.read.as_fd()
    }

    /// From now on SIGHUP waits for the loop to see it.
    pub fn enter_loop(&self) {
        IN_LOOP.store(true, Ordering::SeqCst);
    }
}

extern "C" fn on_stop(signal: libc::c_int) {
    let fd = STOP_FD.load(Ordering::SeqCst);
    if signal == libc::SIGHUP && IN_LOOP.load(Ordering::SeqCst) && fd >= 0 {
        // SAFETY: write is async-signal-safe; a full pipe already says it.
        unsafe { libc::write(fd, [1u8].as_ptr().cast(), 1) };
        return;
    }
    let code = if signal == libc::SIGHUP { 0 } else { END_EXIT };
    // SAFETY: _exit is async-signal-safe.
    unsafe { libc::_exit(code) }
}

/// Makes the stop pipe and installs the handler for the four signals.
pub fn install() -> io::Result<Stop> {
    let flags = nix::fcntl::OFlag::O_CLOEXEC | nix::fcntl::OFlag::O_NONBLOCK;
    let (read, write) = nix::unistd::pipe2(flags)?;
    STOP_FD.store(write.as_raw_fd(), Ordering::SeqCst);
    crate::worker::side_process::handle_signals(
        &crate::worker::side_process::STOP_SIGNALS,
        on_stop,
    )?;
    Ok(Stop {
        read,
        _write: write,
    })
}
