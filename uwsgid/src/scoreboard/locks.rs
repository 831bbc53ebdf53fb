//! The app's user locks (`uwsgi.lock(n)`), shared by every process of the
//! app: one `crate::shared_lock` word per lock in the scoreboard's mapping
//! (a dead owner's lock is taken over; not recursive, as uWSGI's).

use std::sync::atomic::AtomicU32;

use crate::shared_lock;

/// Locks 0 .. MAX_USER_LOCKS fit in the scoreboard.
pub const MAX_USER_LOCKS: usize = 1024;

impl super::Scoreboard {
    /// The app's user locks (`uwsgi.lock`), after the slots.
    pub fn locks(&self) -> &UserLocks {
        // SAFETY: the mapping is board_size() long, so the locks fit after
        // the slots (a multiple of 8 bytes, aligned for AtomicU32); they are
        // atomics, valid for any bit pattern.
        unsafe {
            &*self
                .slots()
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
        self.words.get(n).map(shared_lock::lock).is_some()
    }

    /// Releases lock `n` if this thread holds it (uWSGI ignores an unlock
    /// by another thread as well). Returns false for a lock out of range.
    pub fn unlock(&self, n: usize) -> bool {
        self.words.get(n).map(shared_lock::unlock).is_some()
    }

    /// Whether lock `n` is held by a live thread.
    pub fn is_locked(&self, n: usize) -> bool {
        self.words.get(n).is_some_and(shared_lock::is_locked)
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
                got.store(true, std::sync::atomic::Ordering::SeqCst);
                locks.unlock(3);
            })
        };
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert!(
            !got.load(std::sync::atomic::Ordering::SeqCst),
            "the waiter must wait"
        );
        assert!(locks.unlock(3));
        waiter.join().expect("the waiter ends");
        assert!(got.load(std::sync::atomic::Ordering::SeqCst));
        assert!(!locks.is_locked(3));
    }

    #[test]
    fn a_dead_owner_does_not_hold_the_lock() {
        let locks = locks();
        // A thread id that does not exist (above the kernel's pid_max).
        locks.words[0].store(4_194_400, std::sync::atomic::Ordering::SeqCst);
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
