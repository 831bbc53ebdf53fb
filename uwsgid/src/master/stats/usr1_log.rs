//! SIGUSR1: the workers' stats to the log, one line per worker (uWSGI logs
//! its own `stats()` there): what the master knows about each slot, the
//! scoreboard's counters of its current process, and the workers of past
//! generations still finishing.

use std::fmt::Write;
use std::time::Instant;

use crate::log::log_line;
use crate::master::event_loop::AppMaster;
use crate::master::views::counters_of;
use crate::master::workers::{SlotState, WorkerSlot};
use crate::scoreboard::SlotSnapshot;

impl AppMaster {
    pub(in crate::master) fn log_stats(&self) {
        let now = Instant::now();
        log_line!(
            "*** workers stats (master pid: {}, generation: {}, workers: {}) ***",
            std::process::id(),
            self.generation,
            self.table.len()
        );
        if let Some(z) = &self.zygotes.current {
            log_line!(
                "zygote pid: {}, generation: {}, ready: {}",
                z.pid,
                z.generation,
                z.ready
            );
        }
        for slot in self.table.iter() {
            let counters = slot.pid().and_then(|pid| counters_of(slot.id, pid));
            log_line!("{}", slot_line(slot, counters.as_ref(), now));
        }
        for old in &self.drain.workers {
            log_line!(
                "worker {} pid: {}, generation: {}, state: finishing for {} s (mercy left: {} s{})",
                old.id,
                old.pid,
                old.generation,
                now.duration_since(old.cursed_at).as_secs(),
                old.deadline.saturating_duration_since(now).as_secs(),
                if old.no_mercy { ", killed" } else { "" }
            );
        }
        if let Some(r) = &self.reload.current {
            let zygote = r.zygote.as_ref().map_or("lazy-apps".to_string(), |z| {
                format!("zygote pid: {}, ready: {}", z.pid, z.ready)
            });
            log_line!(
                "reload in progress: generation {} started {} s ago ({zygote})",
                r.generation,
                now.duration_since(r.started).as_secs(),
            );
        }
        log_line!("*** end of workers stats ***");
    }
}

/// `worker ID pid: P, generation: G, state: S, [requests: …,] respawns: N,
/// last exit: …`; the request counters when the scoreboard has them.
fn slot_line(slot: &WorkerSlot, counters: Option<&SlotSnapshot>, now: Instant) -> String {
    let mut line = format!("worker {} ", slot.id);
    let _ = match slot.state {
        SlotState::Running { pid, since } => write!(
            line,
            "pid: {pid}, generation: {}, state: running for {} s",
            slot.generation,
            now.duration_since(since).as_secs()
        ),
        SlotState::Requested { since } => write!(
            line,
            "pid: -, generation: {}, state: being forked for {} ms",
            slot.generation,
            now.duration_since(since).as_millis()
        ),
        SlotState::Down { respawn_at } => write!(
            line,
            "pid: -, generation: {}, state: down{}",
            slot.generation,
            respawn_at.map_or(String::new(), |at| format!(
                ", respawn in {} s",
                at.saturating_duration_since(now).as_secs()
            ))
        ),
    };
    if let Some(c) = counters {
        let _ = write!(
            line,
            ", requests: {} (slot total: {}), exceptions: {}, harakiri: {}, avg response: {} ms, rss: {} KiB",
            c.delta_requests,
            c.requests,
            c.exceptions,
            c.harakiri_count,
            c.avg_rt_us / 1000,
            c.rss / 1024
        );
    }
    let _ = write!(line, ", respawns: {}, last exit: ", slot.respawns);
    let _ = match slot.last_exit {
        Some(cause) => write!(line, "{cause}"),
        None => write!(line, "none"),
    };
    line
}

#[cfg(test)]
mod tests {
    use nix::unistd::Pid;

    use super::*;
    use crate::master::reap::ExitCause;
    use crate::master::workers::WorkerTable;

    #[test]
    fn a_line_says_what_the_master_knows() {
        let now = Instant::now();
        let mut table = WorkerTable::new(1);
        let slot = table.get_mut(1).expect("slot 1");
        slot.state = SlotState::Running {
            pid: Pid::from_raw(42),
            since: now,
        };
        slot.generation = 3;
        slot.respawns = 2;
        slot.last_exit = Some(ExitCause::Signaled(9));
        assert_eq!(
            slot_line(slot, None, now),
            "worker 1 pid: 42, generation: 3, state: running for 0 s, respawns: 2, \
             last exit: killed by signal 9 (SIGKILL)"
        );
        let counters = SlotSnapshot {
            pid: 42,
            requests: 10,
            delta_requests: 4,
            avg_rt_us: 2500,
            rss: 8 << 20,
            ..SlotSnapshot::default()
        };
        assert!(slot_line(slot, Some(&counters), now).contains(
            "running for 0 s, requests: 4 (slot total: 10), exceptions: 0, harakiri: 0, \
                 avg response: 2 ms, rss: 8192 KiB, respawns: 2"
        ));
    }
}
