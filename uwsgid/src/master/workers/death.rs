//! What the scoreboard says about a worker that just ended, read when it is
//! reaped and before its slot is respawned.
//!
//! Respawn backoff is for workers that cannot start. A worker that served
//! requests and then crashed (a segfault in a C extension, `os._exit` in a
//! view) is a runtime crash: it is respawned at once, whatever happened to
//! its siblings, so one client hitting a crashing URL cannot push every
//! worker into a growing backoff and take the site down. The request it was
//! running is logged, so the crash can be traced to a URL (the worker's own
//! faulthandler traceback precedes it in the log).

use nix::unistd::Pid;

use crate::backoff::{Backoff, WORKER_RESPAWN};
use crate::contract::exit::FAILED_APP_EXIT;
use crate::log::log_line;
use crate::master::event_loop::AppMaster;
use crate::master::reap::ExitCause;
use crate::scoreboard::{self, MAX_CORES};

impl AppMaster {
    /// The reap hook: settles the scoreboard's exit cause of worker `pid`;
    /// a worker that recycled itself (clean exit after `max-requests` or a
    /// memory limit) or crashed at runtime gets its slot's backoff cleared,
    /// so its replacement starts at once.
    pub(in crate::master) fn note_exit(&mut self, pid: Pid, cause: ExitCause) {
        self.forget_harakiri(pid);
        let Some(board) = scoreboard::master() else {
            return;
        };
        let Some(slot) = self.table.by_pid(pid) else {
            return;
        };
        let Some(board_slot) = board.slot(slot.id).filter(|s| s.pid() == pid.as_raw()) else {
            return;
        };
        let reason = board_slot.settle_exit();
        if reason.is_recycle() && cause == ExitCause::Exited(0) {
            slot.backoff = Backoff::new(WORKER_RESPAWN);
            return;
        }
        if !is_crash(cause) {
            return;
        }
        let cores = usize::try_from(self.cfg.threads)
            .unwrap_or(1)
            .clamp(1, MAX_CORES);
        let busy = board_slot.busy_cores(cores);
        for core in &busy {
            log_line!(
                "worker {} (pid: {pid}) {cause} while serving [core {}] {}",
                slot.id,
                core.core,
                core.info
            );
        }
        if !busy.is_empty() || board_slot.snapshot().delta_requests > 0 {
            slot.backoff = Backoff::new(WORKER_RESPAWN);
        }
    }
}

/// A death that is neither a clean exit nor a failed import.
fn is_crash(cause: ExitCause) -> bool {
    !matches!(
        cause,
        ExitCause::Exited(0) | ExitCause::Exited(FAILED_APP_EXIT)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_and_error_exits_are_crashes_clean_exits_and_failed_imports_are_not() {
        assert!(is_crash(ExitCause::Signaled(11)));
        assert!(is_crash(ExitCause::Exited(1)));
        assert!(!is_crash(ExitCause::Exited(0)));
        assert!(!is_crash(ExitCause::Exited(FAILED_APP_EXIT)));
    }
}
