//! A cache's lock: one 32-bit word in the shared mapping holding the thread
//! id of its owner (0 = free), shared by every process of the app.
//!
//! Taking a free lock is one compare-and-swap; a waiter sleeps on the word
//! with `futex(2)` and is woken by the unlock. A process killed while
//! holding it (harakiri, SIGKILL) would block the app for good: a waiter
//! checks every [`OWNER_CHECK`] whether the owner thread still exists and
//! takes the lock over when it does not, telling the caller, who then
//! empties the cache (it may have been left half-written).

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

const OWNER_CHECK: Duration = Duration::from_millis(100);

/// How the lock was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Taken {
    Clean,
    /// From a thread that died holding it.
    FromDeadOwner,
}

/// Takes the lock, waiting as long as a live thread holds it.
pub fn lock(word: &AtomicU32) -> Taken {
    let me = current_tid();
    loop {
        let owner = match word.compare_exchange(0, me, Ordering::Acquire, Ordering::Relaxed) {
            Ok(_) => return Taken::Clean,
            Err(owner) => owner,
        };
        if !thread_alive(owner) {
            if word
                .compare_exchange(owner, me, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
            {
                return Taken::FromDeadOwner;
            }
            continue;
        }
        futex_wait(word, owner);
    }
}

/// Releases the lock this thread holds.
pub fn unlock(word: &AtomicU32) {
    word.store(0, Ordering::Release);
    // SAFETY: the word lives in a shared mapping for the life of the
    // process; FUTEX_WAKE (not _PRIVATE) reaches waiters of every process.
    unsafe {
        libc::syscall(libc::SYS_futex, word.as_ptr(), libc::FUTEX_WAKE, 1);
    }
}

fn current_tid() -> u32 {
    // SAFETY: gettid has no preconditions.
    u32::try_from(unsafe { libc::gettid() }).unwrap_or(u32::MAX)
}

/// Whether thread `tid` (of any process) exists: `kill(tid, 0)` finds
/// threads as well as processes.
fn thread_alive(tid: u32) -> bool {
    let Ok(tid) = libc::pid_t::try_from(tid) else {
        return false;
    };
    // SAFETY: signal 0 only checks for existence.
    let rc = unsafe { libc::kill(tid, 0) };
    rc == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

/// Sleeps while `word` holds `owner`, at most [`OWNER_CHECK`].
fn futex_wait(word: &AtomicU32, owner: u32) {
    let ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: libc::c_long::try_from(OWNER_CHECK.as_nanos()).unwrap_or(100_000_000),
    };
    // SAFETY: as in `unlock`; a spurious or interrupted wake only makes the
    // caller look again.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAIT,
            owner,
            &ts as *const libc::timespec,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;

    #[test]
    fn excludes_other_threads_until_unlocked() {
        let word = Arc::new(AtomicU32::new(0));
        assert_eq!(lock(&word), Taken::Clean);
        let got = Arc::new(AtomicBool::new(false));
        let waiter = {
            let (word, got) = (word.clone(), got.clone());
            std::thread::spawn(move || {
                lock(&word);
                got.store(true, Ordering::SeqCst);
                unlock(&word);
            })
        };
        std::thread::sleep(Duration::from_millis(50));
        assert!(!got.load(Ordering::SeqCst), "the waiter must wait");
        unlock(&word);
        waiter.join().expect("the waiter ends");
        assert!(got.load(Ordering::SeqCst));
    }

    #[test]
    fn a_dead_owner_is_reported() {
        // A thread id above the kernel's pid_max.
        let word = AtomicU32::new(4_194_400);
        assert_eq!(lock(&word), Taken::FromDeadOwner);
        unlock(&word);
        assert_eq!(lock(&word), Taken::Clean);
    }
}
