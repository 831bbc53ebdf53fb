//! What ends a spooler's wait: a new task in its directory (inotify), a
//! stop from the master (SIGHUP: finish the task and exit; SIGTERM,
//! SIGINT, SIGQUIT: exit now), SIGUSR1 (uWSGI's way to wake a spooler),
//! or the end of `spooler-frequency`.
//!
//! The signal handlers only store a flag and write to an eventfd, both
//! async-signal-safe; the loop polls the eventfd and the inotify
//! descriptor together. A SIGTERM that comes while a task runs ends the
//! process at once (`_exit`), as a worker's does.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::time::Duration;

use crate::log::log_line;

static EVENT_FD: AtomicI32 = AtomicI32::new(-1);
static GRACEFUL: AtomicBool = AtomicBool::new(false);
static STOP: AtomicBool = AtomicBool::new(false);
static RUNNING: AtomicBool = AtomicBool::new(false);

/// The descriptors the loop waits on.
pub struct Waker {
    /// None when the kernel gives no inotify instance (a per-user limit):
    /// the spooler then runs new tasks at its next scan.
    inotify: Option<OwnedFd>,
    event: OwnedFd,
}

/// Whether the master asked this process to stop.
pub fn stop_requested() -> bool {
    GRACEFUL.load(Ordering::Acquire) || STOP.load(Ordering::Acquire)
}

/// A task runs (a hard stop then ends the process at once).
pub fn set_running(running: bool) {
    RUNNING.store(running, Ordering::Release);
}

extern "C" fn on_signal(signal: libc::c_int) {
    match signal {
        libc::SIGHUP => GRACEFUL.store(true, Ordering::Release),
        libc::SIGUSR1 => {}
        _ if RUNNING.load(Ordering::Acquire) => {
            // SAFETY: _exit is async-signal-safe.
            unsafe { libc::_exit(0) }
        }
        _ => STOP.store(true, Ordering::Release),
    }
    let fd = EVENT_FD.load(Ordering::Acquire);
    if fd >= 0 {
        let one: u64 = 1;
        // SAFETY: write(2) is async-signal-safe; the buffer is 8 bytes.
        let _ = unsafe { libc::write(fd, (&raw const one).cast(), 8) };
    }
}

impl Waker {
    /// Makes the descriptors, watches `dir` and installs the handlers.
    pub fn install(dir: &Path) -> std::io::Result<Waker> {
        // SAFETY: plain syscalls; each result is checked before use.
        let event = owned(unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) })?;
        let inotify = owned(unsafe { libc::inotify_init1(libc::IN_NONBLOCK | libc::IN_CLOEXEC) });
        let mut waker = Waker {
            inotify: inotify.ok(),
            event,
        };
        if let Err(err) = waker.watch(dir) {
            log_line!(
                "uwsgid: spooler on {}: no inotify ({err}): new tasks wait for the next scan",
                dir.display()
            );
            waker.inotify = None;
        }
        EVENT_FD.store(waker.event.as_raw_fd(), Ordering::Release);
        install_handlers()?;
        Ok(waker)
    }

    /// Wakes on tasks that appear in `dir` (linked, moved or created).
    /// Watching a directory twice is harmless.
    pub fn watch(&self, dir: &Path) -> std::io::Result<()> {
        let Some(inotify) = &self.inotify else {
            return Err(std::io::Error::from(std::io::ErrorKind::Unsupported));
        };
        let path = std::ffi::CString::new(dir.as_os_str().as_encoded_bytes())
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidInput))?;
        let mask = libc::IN_CREATE | libc::IN_MOVED_TO;
        // SAFETY: valid descriptor and NUL-terminated path.
        let rc = unsafe { libc::inotify_add_watch(inotify.as_raw_fd(), path.as_ptr(), mask) };
        if rc < 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(())
    }

    /// Waits up to `timeout` for a task or a signal, then drains both.
    pub fn wait(&self, timeout: Duration) {
        if stop_requested() {
            return;
        }
        // -1: poll skips the entry.
        let inotify = self.inotify.as_ref().map_or(-1, AsRawFd::as_raw_fd);
        let mut fds = [inotify, self.event.as_raw_fd()].map(|fd| libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        });
        let ms = libc::c_int::try_from(timeout.as_millis()).unwrap_or(libc::c_int::MAX);
        // SAFETY: fds is a valid array of two pollfd; EINTR just ends the wait.
        unsafe { libc::poll(fds.as_mut_ptr(), 2, ms) };
        if inotify >= 0 {
            drain(inotify);
        }
        drain(self.event.as_raw_fd());
    }
}

fn owned(fd: RawFd) -> std::io::Result<OwnedFd> {
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: a fresh descriptor this process owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Reads a non-blocking descriptor until it is empty.
fn drain(fd: RawFd) {
    let mut buf = [0u8; 4096];
    // SAFETY: buf is valid for its length; EAGAIN ends the loop.
    while unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) } > 0 {}
}

fn install_handlers() -> std::io::Result<()> {
    use crate::worker::side_process::{STOP_SIGNALS, handle_signals};
    // SIGUSR1 too: uWSGI's workers wake the spooler with it.
    handle_signals(&STOP_SIGNALS, on_signal)?;
    handle_signals(&[libc::SIGUSR1], on_signal)
}
