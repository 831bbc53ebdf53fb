//! What every process of the app reads about the spoolers: the pid of each
//! spooler process (`uwsgi.spooler_pid()`, `uwsgi.spooler_pids()`), set by
//! the master at each spawn and death, and the scan period the app set at
//! run time (`uwsgi.set_spooler_frequency`, uWSGI's
//! `shared->spooler_frequency`). They sit after the user locks.

use std::sync::atomic::{AtomicI32, AtomicU32, Ordering};

/// Spooler processes 0 .. MAX_SPOOLERS have a pid word; more run, but
/// `spooler_pids()` shows these.
pub const MAX_SPOOLERS: usize = 256;

/// The spoolers' words, at the end of the scoreboard mapping.
#[repr(C)]
pub struct SpoolerWords {
    pids: [AtomicI32; MAX_SPOOLERS],
    /// Seconds; 0: the configured `spooler-frequency`.
    frequency: AtomicU32,
}

impl super::Scoreboard {
    fn spooler_words(&self) -> &SpoolerWords {
        let offset = super::slots_size() + std::mem::size_of::<super::UserLocks>();
        // SAFETY: the mapping is board_size() long, which counts these words
        // after the slots and the locks (both multiples of 8 bytes, so
        // aligned for the atomics); atomics are valid for any bit pattern.
        unsafe {
            &*self
                .slots()
                .as_ptr()
                .cast::<u8>()
                .add(offset)
                .cast::<SpoolerWords>()
        }
    }

    /// Spooler process `n` (from 0, directory by directory) is now `pid`
    /// (0: not running). A number beyond [`MAX_SPOOLERS`] is not recorded.
    pub fn set_spooler_pid(&self, n: u32, pid: i32) {
        let words = self.spooler_words();
        if let Some(word) = usize::try_from(n).ok().and_then(|n| words.pids.get(n)) {
            word.store(pid, Ordering::Release);
        }
    }

    /// The pid of spooler process `n`, 0 when it is not running.
    pub fn spooler_pid(&self, n: u32) -> i32 {
        let words = self.spooler_words();
        usize::try_from(n)
            .ok()
            .and_then(|n| words.pids.get(n))
            .map_or(0, |word| word.load(Ordering::Acquire))
    }

    /// `uwsgi.set_spooler_frequency`: the scan period in seconds, for every
    /// spooler from its next wait (0: back to the configured one).
    pub fn set_spooler_frequency(&self, secs: u32) {
        self.spooler_words()
            .frequency
            .store(secs, Ordering::Relaxed);
    }

    /// The period `set_spooler_frequency` set, if any.
    pub fn spooler_frequency(&self) -> Option<u32> {
        match self.spooler_words().frequency.load(Ordering::Relaxed) {
            0 => None,
            secs => Some(secs),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::scoreboard::Scoreboard;

    #[test]
    fn spooler_pids_and_frequency_are_shared() {
        let board = Scoreboard::create().expect("board");
        board.set_spooler_pid(0, 42);
        board.set_spooler_pid(3, 43);
        board.set_spooler_pid(u32::MAX, 44);
        let again = Scoreboard::from_fd(board.fd().expect("fd").try_clone_to_owned().expect("dup"))
            .expect("map");
        assert_eq!(again.spooler_pid(0), 42);
        assert_eq!(again.spooler_pid(3), 43);
        assert_eq!(again.spooler_pid(1), 0);
        assert_eq!(again.spooler_frequency(), None);
        board.set_spooler_frequency(3);
        assert_eq!(again.spooler_frequency(), Some(3));
    }
}
