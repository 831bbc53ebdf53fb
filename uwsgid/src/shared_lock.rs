//! A lock shared by every process of an app: one 32-bit word in a shared
//! mapping holding the thread id of its owner (0 = free). The user locks
//! (`uwsgi.lock`), each cache and each sharedarea have one.
//!
//! Taking a free lock is one compare-and-swap; a waiter sleeps on the word
//! with `futex(2)` and is woken by the unlock. A process killed while
//! holding it (harakiri, SIGKILL) would block the app for good with a plain
//! mutex: a waiter checks every [`OWNER_CHECK`] whether the owner thread
//! still exists and takes the lock over when it does not (what uWSGI's
//! robust pthread mutexes do), telling the caller, who may have to repair
//! what the owner left half-written. The lock is not recursive: a thread
//! taking a lock it holds waits forever, as with uWSGI's.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// How often a waiter checks that the owner is still alive.
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
            // Unless another waiter took it over first.
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

/// Releases the lock if this thread holds it (uWSGI ignores an unlock by
/// another thread as well); true if it did.
pub fn unlock(word: &AtomicU32) -> bool {
    let released = word
        .compare_exchange(current_tid(), 0, Ordering::Release, Ordering::Relaxed)
        .is_ok();
    if released {
        // SAFETY: the word lives in a shared mapping for the life of the
        // process; FUTEX_WAKE (not _PRIVATE) reaches waiters of every process.
        unsafe {
            libc::syscall(libc::SYS_futex, word.as_ptr(), libc::FUTEX_WAKE, i32::MAX);
        }
    }
    released
}

/// Whether a live thread holds the lock.
pub fn is_locked(word: &AtomicU32) -> bool {
    let owner = word.load(Ordering::Acquire);
    owner != 0 && thread_alive(owner)
}

/// Whether the calling thread holds the lock.
pub fn held_by_me(word: &AtomicU32) -> bool {
    word.load(Ordering::Acquire) == current_tid()
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

    /// A thread id above the kernel's pid_max: no thread has it.
    const DEAD: u32 = 4_194_400;

    #[test]
    fn excludes_other_threads_until_unlocked() {
        let word = Arc::new(AtomicU32::new(0));
        assert_eq!(lock(&word), Taken::Clean);
        assert!(is_locked(&word) && held_by_me(&word));
        let got = Arc::new(AtomicBool::new(false));
        let waiter = {
            let (word, got) = (word.clone(), got.clone());
            std::thread::spawn(move || {
                assert!(!held_by_me(&word));
                assert!(!unlock(&word), "not the owner");
                lock(&word);
                got.store(true, Ordering::SeqCst);
                unlock(&word);
            })
        };
        std::thread::sleep(Duration::from_millis(50));
        assert!(!got.load(Ordering::SeqCst), "the waiter must wait");
        assert!(unlock(&word));
        waiter.join().expect("the waiter ends");
        assert!(got.load(Ordering::SeqCst));
        assert!(!is_locked(&word));
    }

    #[test]
    fn a_dead_owner_is_reported_and_holds_nothing() {
        let word = AtomicU32::new(DEAD);
        assert!(!is_locked(&word));
        assert_eq!(lock(&word), Taken::FromDeadOwner);
        assert!(unlock(&word));
        assert_eq!(lock(&word), Taken::Clean);
    }
}
