//! Pausing the app (the master FIFO's `p`, SIGTSTP, a `unix_signal` hook
//! to `suspend_resume_them_all`), as uWSGI's `suspend_resume_them_all`: a
//! toggle. The master sets the flag of every scoreboard slot, so present
//! and future workers take no request until it is cleared
//! (`worker/runtime/pause.rs`); in-flight requests finish. While paused,
//! the adaptive workers decide nothing. A stop or a reload resumes first
//! (uWSGI's reload re-execs, which resumes too): workers told to finish
//! must be able to finish what they took.

use crate::log::log_line;
use crate::master::event_loop::AppMaster;
use crate::scoreboard;

impl AppMaster {
    /// Pauses a running app, or resumes a paused one.
    pub(in crate::master) fn toggle_pause(&mut self) {
        if self.paused {
            log_line!("*** (SIGTSTP received) resuming workers ***");
            self.set_paused(false);
        } else if self.stopping.is_some() {
            log_line!("...pause requested while stopping: ignored...");
        } else {
            log_line!(
                "*** PAUSE (press start to resume, if you do not have a joypad send SIGTSTP) ***"
            );
            self.set_paused(true);
        }
    }

    /// Before a stop or a reload: the workers may take requests again.
    pub(in crate::master) fn resume_if_paused(&mut self) {
        if self.paused {
            log_line!("...resuming the paused workers first...");
            self.set_paused(false);
        }
    }

    fn set_paused(&mut self, paused: bool) {
        self.paused = paused;
        if let Some(board) = scoreboard::master() {
            board.set_paused(paused);
        }
    }
}
