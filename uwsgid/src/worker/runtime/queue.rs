//! The Python threads' job queue, with a wake-up fd for the threads that
//! wait on it and on the uwsgi listen sockets at once (`idle.rs`): a
//! thread waiting in `poll(2)` cannot wait on a channel, so a job sent
//! while some thread polls also posts one token on an eventfd.
//!
//! The eventfd counts in semaphore mode: each token wakes one poller,
//! which takes it and looks at the queue. A token is posted only while a
//! thread is registered as polling, so a queue whose threads are all busy
//! costs no system call per job.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicUsize, Ordering, fence};
use std::sync::mpsc;

use crate::worker::fronts::job::Job;

/// The Python threads are gone: the job was dropped.
#[derive(Debug, thiserror::Error)]
#[error("the Python threads are gone")]
pub struct Closed;

/// The sending side of the queue, shared by the fronts.
pub struct JobQueue {
    tx: mpsc::Sender<Job>,
    wake: OwnedFd,
    /// Threads that will look at the queue before they next sleep in poll.
    polling: AtomicUsize,
}

impl JobQueue {
    pub fn new(tx: mpsc::Sender<Job>) -> io::Result<JobQueue> {
        // SAFETY: plain syscall; the result is checked before use.
        let raw = unsafe {
            libc::eventfd(
                0,
                libc::EFD_CLOEXEC | libc::EFD_NONBLOCK | libc::EFD_SEMAPHORE,
            )
        };
        if raw < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: eventfd returned a fresh descriptor owned by nobody else.
        let wake = unsafe { OwnedFd::from_raw_fd(raw) };
        Ok(JobQueue {
            tx,
            wake,
            polling: AtomicUsize::new(0),
        })
    }

    /// Queues a job for a Python thread, waking one that polls.
    pub fn send(&self, job: Job) -> Result<(), Closed> {
        self.tx.send(job).map_err(|_| Closed)?;
        // Pairs with the fence in `enter_poll`: either the poller sees the
        // job when it looks at the queue, or this sees the poller.
        fence(Ordering::SeqCst);
        if self.polling.load(Ordering::SeqCst) > 0 {
            self.post(1);
        }
        Ok(())
    }

    /// Posts `tokens` wake-ups (the stop posts one per thread).
    pub fn post(&self, tokens: u64) {
        // SAFETY: writes 8 bytes from a live u64 to the eventfd. A full
        // counter (EAGAIN) already wakes every poller: nothing is lost.
        unsafe {
            libc::write(
                self.wake.as_raw_fd(),
                (&raw const tokens).cast(),
                size_of::<u64>(),
            )
        };
    }

    /// Takes one token, if there is one.
    pub fn take_token(&self) {
        let mut value = 0u64;
        // SAFETY: reads 8 bytes into a live u64; EAGAIN (another poller
        // took it) is harmless.
        unsafe {
            libc::read(
                self.wake.as_raw_fd(),
                (&raw mut value).cast(),
                size_of::<u64>(),
            )
        };
    }

    /// The fd that turns readable when a token is posted.
    pub fn wake_fd(&self) -> RawFd {
        self.wake.as_raw_fd()
    }

    /// Registers the calling thread as polling; it must look at the queue
    /// after this and before it sleeps.
    pub fn enter_poll(&self) {
        self.polling.fetch_add(1, Ordering::SeqCst);
        fence(Ordering::SeqCst);
    }

    /// The calling thread stopped polling.
    pub fn leave_poll(&self) {
        self.polling.fetch_sub(1, Ordering::SeqCst);
    }

    /// Some Python thread is idle, waiting for work.
    pub fn has_idle_thread(&self) -> bool {
        self.polling.load(Ordering::SeqCst) > 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn readable(fd: RawFd) -> bool {
        let mut pfd = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd, no wait.
        unsafe { libc::poll(&raw mut pfd, 1, 0) == 1 }
    }

    #[test]
    fn a_job_wakes_a_poller_only_while_one_polls() {
        let (tx, _rx) = mpsc::channel();
        let queue = JobQueue::new(tx).expect("an eventfd");
        queue.post(0);
        assert!(!readable(queue.wake_fd()));
        queue.enter_poll();
        assert!(queue.has_idle_thread());
        queue.post(2);
        queue.take_token();
        assert!(readable(queue.wake_fd()), "one token per poller");
        queue.take_token();
        assert!(!readable(queue.wake_fd()));
        queue.leave_poll();
        assert!(!queue.has_idle_thread());
    }
}
