//! Tells when the worker is stuck: every Python thread in a request, and
//! none finished one for a whole tick of [`STUCK_AFTER`] (so each request
//! running has run that long). A stuck worker takes no connection from
//! the listen sockets or the hand-off queue (they wait there for an idle
//! sibling, or for the first worker to free a thread), and passes its idle
//! keep-alive connections on (`fronts/http.rs`, `handoff.rs`). A worker
//! that is merely full, its threads finishing requests, is not stuck: its
//! queued requests are served in a moment.
//!
//! The watch ticks only while requests are in flight; after
//! [`PARK_AFTER_IDLE_TICKS`] idle ticks it sleeps until the next request,
//! so an idle worker is not woken.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::sync::watch;

use super::context::{WorkerCtx, stopped};

/// How long every Python thread must have been in its request, with none
/// finished, for the worker to count as stuck.
pub const STUCK_AFTER: Duration = Duration::from_millis(5);

/// How many ticks without a request in flight put the watch to sleep: not
/// the first, so a worker under load, idle for moments between requests,
/// does not pay a wake-up of the runtime for each moment.
const PARK_AFTER_IDLE_TICKS: u32 = 20;

/// Runs for the life of the worker, keeping `ctx.stuck` up to date.
pub async fn watch_stuck(ctx: Arc<WorkerCtx>, mut stop: watch::Receiver<bool>) {
    let mut served = ctx.requests.load(Ordering::Relaxed);
    let mut was_full = false;
    let mut idle_ticks = 0;
    loop {
        if idle_ticks >= PARK_AFTER_IDLE_TICKS {
            tokio::select! {
                biased;
                _ = stopped(&mut stop) => return,
                _ = ctx.gate.wait_busy() => {}
            }
            idle_ticks = 0;
        }
        tokio::select! {
            biased;
            _ = stopped(&mut stop) => return,
            _ = tokio::time::sleep(STUCK_AFTER) => {}
        }
        idle_ticks = if ctx.gate.is_busy() {
            0
        } else {
            idle_ticks + 1
        };
        let now = ctx.requests.load(Ordering::Relaxed);
        let full = ctx.gate.is_full() && !ctx.jobs.has_idle_thread();
        // Full at both ends of a tick with no request finished between:
        // the same requests ran the whole tick.
        let stuck = full && was_full && now == served;
        (was_full, served) = (full, now);
        ctx.stuck.send_if_modified(|state| {
            let changed = *state != stuck;
            *state = stuck;
            changed
        });
    }
}
