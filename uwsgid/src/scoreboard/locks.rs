//! The app's user locks (`uwsgi.lock(n)`), shared by every process of the
//! app: one 32-bit word per lock in the scoreboard's mapping, holding the
//! thread id of its owner (0 = free).
//!
//! Taking a free lock is one compare-and-swap; a waiter sleeps on the word
//! with `futex(2)` and is woken by the unlock. A process that dies holding
//! a lock (harakiri, SIGKILL) would block the app for good with a plain
//! mutex: a waiter checks every [`OWNER_CHECK`] whether the owner thread
//! still exists, and takes the lock over when it does not (what uWSGI's
//! robust pthread mutexes do). The lock is not recursive: a thread taking
//! a lock it holds waits forever, as with uWSGI's.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// Locks 0 .. MAX_USER_LOCKS fit in the scoreboard.
pub const MAX_USER_LOCKS: usize = 1024;

/// How often a waiter checks that the owner is still alive.
const OWNER_CHECK: Duration = Duration::from_millis(100);

impl super::Scoreboard {
    /// The app's user locks (`uwsgi.lock`), after the slots.
    pub fn locks(&self) -> &UserLocks {
        // SAFETY: the mapping is board_size() long, so the locks fit after
        // the slots (a multiple of 8 bytes, aligned for AtomicU32); they are
        // atomics, valid for any bit pattern.
        unsafe {
            &*self
                .slots
                .as_ptr()
                .cast::<u8>()
                .add(super::slots_size())
                .cast::<UserLocks>()
        }
    }
}

/// The lock words, at the end of the scoreboard mapping.
#[repr(C)]
pub struct UserLocks {
    words: [AtomicU32; MAX_USER_LOCKS],
}

impl UserLocks {
    /// Takes lock `n`, waiting as long as another thread holds it. Returns
    /// false for a lock number out of range.
    pub fn lock(&self, n: usize) -> bool {
        let Some(word) = self.words.get(n) else {
            return false;
        };
        let me = current_tid();
        loop {
            let owner = match word.compare_exchange(0, me, Ordering::Acquire, Ordering::Relaxed) {
                Ok(_) => return true,
                Err(owner) => owner,
            };
            if !thread_alive(owner) {
                // The owner died holding it: take it over (unless another
                // waiter did first).
                if word
                    .compare_exchange(owner, me, Ordering::Acquire, Ordering::Relaxed)
                    .is_ok()
                {
                    return true;
                }
                continue;
            }
            futex_wait(word, owner, OWNER_CHECK);
        }
    }

    /// Releases lock `n` if this thread holds it (uWSGI ignores an unlock
    /// by another thread as well). Returns false for a lock out of range.
    pub fn unlock(&self, n: usize) -> bool {
        let Some(word) = self.words.get(n) else {
            return false;
        };
        let me = current_tid();
        if word
            .compare_exchange(me, 0, Ordering::Release, Ordering::Relaxed)
            .is_ok()
        {
            futex_wake_all(word);
        }
        true
    }

    /// Whether lock `n` is held by a live thread.
    pub fn is_locked(&self, n: usize) -> bool {
        self.words
            .get(n)
            .map(|w| w.load(Ordering::Acquire))
            .is_some_and(|owner| owner != 0 && thread_alive(owner))
    }
}

fn current_tid() -> u32 {
    // SAFETY: gettid has no preconditions.
    let tid = unsafe { libc::gettid() };
    u32::try_from(tid).unwrap_or(u32::MAX)
}

/// Whether a thread (of any process) with id `tid` exists: `kill(tid, 0)`
/// finds threads as well as processes.
fn thread_alive(tid: u32) -> bool {
    let Ok(tid) = libc::pid_t::try_from(tid) else {
        return false;
    };
    // SAFETY: signal 0 only checks for existence.
    let rc = unsafe { libc::kill(tid, 0) };
    rc == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

/// Sleeps while `word` holds `expected`, at most `timeout`.
fn futex_wait(word: &AtomicU32, expected: u32, timeout: Duration) {
    let ts = libc::timespec {
        tv_sec: libc::time_t::try_from(timeout.as_secs()).unwrap_or(1),
        tv_nsec: libc::c_long::from(timeout.subsec_nanos()),
    };
    // SAFETY: the word lives in a shared mapping for the life of the
    // process; FUTEX_WAIT (not _PRIVATE) works across processes. A spurious
    // or interrupted wake only makes the caller look again.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAIT,
            expected,
            &ts as *const libc::timespec,
        );
    }
}

fn futex_wake_all(word: &AtomicU32) {
    // SAFETY: as in futex_wait.
    unsafe {
        libc::syscall(libc::SYS_futex, word.as_ptr(), libc::FUTEX_WAKE, i32::MAX);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;

    fn locks() -> Box<UserLocks> {
        Box::new(UserLocks {
            words: std::array::from_fn(|_| AtomicU32::new(0)),
        })
    }

    #[test]
    fn a_lock_excludes_other_threads_until_unlocked() {
        let locks: Arc<UserLocks> = Arc::from(locks());
        assert!(locks.lock(3));
        assert!(locks.is_locked(3));
        assert!(!locks.is_locked(2));
        let got = Arc::new(AtomicBool::new(false));
        let waiter = {
            let (locks, got) = (locks.clone(), got.clone());
            std::thread::spawn(move || {
                locks.lock(3);
                got.store(true, Ordering::SeqCst);
                locks.unlock(3);
            })
        };
        std::thread::sleep(Duration::from_millis(50));
        assert!(!got.load(Ordering::SeqCst), "the waiter must wait");
        assert!(locks.unlock(3));
        waiter.join().expect("the waiter ends");
        assert!(got.load(Ordering::SeqCst));
        assert!(!locks.is_locked(3));
    }

    #[test]
    fn a_dead_owner_does_not_hold_the_lock() {
        let locks = locks();
        // A thread id that does not exist (above the kernel's pid_max).
        locks.words[0].store(4_194_400, Ordering::SeqCst);
        assert!(!locks.is_locked(0));
        assert!(locks.lock(0));
        assert!(locks.unlock(0));
    }

    #[test]
    fn numbers_out_of_range_are_refused() {
        let locks = locks();
        assert!(!locks.lock(MAX_USER_LOCKS));
        assert!(!locks.unlock(MAX_USER_LOCKS));
        assert!(!locks.is_locked(MAX_USER_LOCKS));
    }
}
