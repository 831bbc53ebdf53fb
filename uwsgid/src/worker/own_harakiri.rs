//! A process's own harakiri, for the side processes uWSGI's master would
//! watch (a spooler's task, a mule's signal handler or its
//! `set_user_harakiri`): deadlines in this process, and a thread that
//! looks once a second and, when one has passed, logs uWSGI's line and
//! kills the process with SIGKILL. The master then respawns it as after
//! any death, so it needs no timer of its own for them.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::log::log_line;
use crate::scoreboard::now_us;

/// One deadline, µs since the epoch (0: none).
pub struct Deadline(AtomicU64);

impl Deadline {
    pub const fn new() -> Deadline {
        Deadline(AtomicU64::new(0))
    }

    /// `secs` from now; 0 clears it.
    pub fn arm(&self, secs: u64) {
        let at = match secs {
            0 => 0,
            s => now_us().saturating_add(s.saturating_mul(1_000_000)),
        };
        self.0.store(at, Ordering::Release);
    }

    pub fn disarm(&self) {
        self.0.store(0, Ordering::Release);
    }

    fn passed(&self, now: u64) -> bool {
        let at = self.0.load(Ordering::Acquire);
        at != 0 && now > at
    }
}

/// Tells whether a deadline has passed (at the watch's look).
pub type Passed<'a> = &'a dyn Fn(&Deadline) -> bool;

/// Starts the watch thread `name`: once a second `due` is asked, with
/// whether a deadline has passed, for the line to log before the kill.
pub fn start_watch(name: &str, due: fn(Passed<'_>) -> Option<String>) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(move || {
            loop {
                std::thread::sleep(Duration::from_secs(1));
                let now = now_us();
                if let Some(line) = due(&|d: &Deadline| d.passed(now)) {
                    log_line!("{line}");
                    let _ = nix::sys::signal::raise(nix::sys::signal::Signal::SIGKILL);
                }
            }
        })
        .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deadline_passes_only_once_armed_and_past() {
        let d = Deadline::new();
        assert!(!d.passed(u64::MAX));
        d.arm(1);
        assert!(!d.passed(now_us()));
        assert!(d.passed(now_us() + 2_000_000));
        d.disarm();
        assert!(!d.passed(u64::MAX));
        d.arm(0);
        assert!(!d.passed(u64::MAX));
    }
}
