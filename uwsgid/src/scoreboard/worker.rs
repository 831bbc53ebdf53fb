//! The worker's side of the scoreboard: the slot of this process, attached
//! once after the fork (or exec, with `lazy-apps`), and the hooks the
//! request path calls. Each hook is a few atomic stores: no syscall, no
//! allocation. Times come from the `Instant` the front already took for
//! the request log, turned into µs since the epoch against one reference
//! pair read at attach time.

use std::sync::OnceLock;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use super::{ExitReason, Scoreboard, WorkerSlot, now_us};
use crate::protocol::request::RequestHead;

struct Attached {
    board: &'static Scoreboard,
    id: u32,
    pid: i32,
    generation: u64,
    /// `Instant` and epoch µs read together, to convert the former.
    base: Instant,
    base_us: u64,
}

static ATTACHED: OnceLock<Attached> = OnceLock::new();

/// `uwsgi.set_user_harakiri(secs)`: the master kills this worker once
/// `secs` have passed (0 clears it), as uWSGI's per-worker timer.
pub fn set_user_harakiri(secs: u64) {
    if let Some((_, slot)) = slot() {
        let deadline = match secs {
            0 => 0,
            n => now_us().saturating_add(n.saturating_mul(1_000_000)),
        };
        slot.set_user_harakiri(deadline);
    }
}

/// Whether the master paused the app (read before taking a request; an
/// old worker finishing after a reload reads its successor's slot, with
/// the same flag).
pub fn paused() -> bool {
    ATTACHED
        .get()
        .and_then(|a| a.board.slot(a.id))
        .is_some_and(WorkerSlot::paused)
}

/// The board this process mapped (the zygote's is inherited by its workers).
static BOARD: OnceLock<Scoreboard> = OnceLock::new();

/// Keeps the board the master passed for the life of the process (a second
/// call keeps the first), before the app is imported: the `uwsgi` module
/// reads it (`workers()`, the user locks) in the zygote already.
pub fn install(board: Scoreboard) -> &'static Scoreboard {
    BOARD.get_or_init(|| board)
}

/// The board, once installed.
pub fn board() -> Option<&'static Scoreboard> {
    BOARD.get()
}

/// Takes slot `id` of `board` for this process (once per process; a second
/// call is ignored), unless a live worker of a newer generation holds it.
/// A worker without a slot (id beyond the board, or left to its successor)
/// still serves; it is only invisible to harakiri and status.
pub fn attach(board: &'static Scoreboard, id: u32, generation: u64) {
    let base = Instant::now();
    let base_us = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX));
    let pid = std::process::id();
    let attached = ATTACHED.get_or_init(|| Attached {
        board,
        id,
        pid: i32::try_from(pid).unwrap_or(0),
        generation,
        base,
        base_us,
    });
    attached.take();
}

impl Attached {
    /// The slot, while this process owns it: during a reload an old worker
    /// finishing its requests shares its id with its successor, whose
    /// `on_spawn` takes the slot over; the old one then writes nothing.
    fn slot(&self) -> Option<&WorkerSlot> {
        self.board.slot(self.id).filter(|s| s.pid() == self.pid)
    }

    /// Takes the slot unless a newer generation's worker holds it.
    fn take(&self) -> Option<&WorkerSlot> {
        let slot = self.board.slot(self.id)?;
        if slot.held_by_newer(self.generation) {
            return None;
        }
        slot.on_spawn(
            u32::try_from(self.pid).unwrap_or(0),
            self.generation,
            now_us(),
        );
        Some(slot)
    }

    fn epoch_us(&self, at: Instant) -> u64 {
        let since = at.saturating_duration_since(self.base).as_micros();
        self.base_us
            .saturating_add(u64::try_from(since).unwrap_or(u64::MAX))
    }
}

fn slot() -> Option<(&'static Attached, &'static WorkerSlot)> {
    let attached = ATTACHED.get()?;
    Some((attached, attached.slot()?))
}

/// A request whose head was read at `started` begins on Python thread `core`.
pub fn request_started(core: usize, started: Instant, head: &RequestHead) {
    let Some((attached, slot)) = slot() else {
        return;
    };
    let uri = head
        .get("REQUEST_URI")
        .or(head.get("PATH_INFO"))
        .unwrap_or("");
    slot.begin(
        core,
        attached.epoch_us(started),
        &[
            head.get("REMOTE_ADDR").unwrap_or("").as_bytes(),
            b" - ",
            head.get("REQUEST_METHOD").unwrap_or("").as_bytes(),
            b" ",
            uri.as_bytes(),
        ],
    );
}

/// The request on `core` is over: `tx` bytes sent, `failed` when the app
/// raised.
pub fn request_finished(core: usize, elapsed: std::time::Duration, tx: u64, failed: bool) {
    if let Some((_, slot)) = slot() {
        let us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        slot.end(core, us, tx, failed);
    }
}

/// The worker decided to recycle itself; `reason` is the text of its
/// `...The work of process N is done (REASON). Seeya!` line.
pub fn retiring(reason: &str) {
    if let Some((_, slot)) = slot() {
        slot.set_accepting(false);
        slot.set_exit_reason(reason_of(reason));
    }
}

/// The worker's accept loops run: it takes connections. A worker of an
/// older generation that attached after this one took the slot back (two
/// generations share the ids during a reload); it is taken again here, or
/// the master would wait for this worker to serve until `reload-mercy`.
pub fn serving() {
    let Some(attached) = ATTACHED.get() else {
        return;
    };
    if let Some(slot) = attached.slot().or_else(|| attached.take()) {
        slot.set_serving();
    }
}

/// `uwsgi.accepting(flag)`: what the worker says of itself.
pub fn set_accepting(accepting: bool) {
    if let Some((_, slot)) = slot() {
        slot.set_accepting(accepting);
    }
}

/// The memory figures the worker read after a request (bytes).
pub fn memory(rss: u64, vsz: u64) {
    if let Some((_, slot)) = slot() {
        slot.set_memory(rss, vsz);
    }
}

fn reason_of(text: &str) -> ExitReason {
    if text.starts_with("max requests") {
        ExitReason::MaxRequests
    } else if text.starts_with("reload-on-rss") {
        ExitReason::ReloadOnRss
    } else if text.starts_with("reload-on-as") {
        ExitReason::ReloadOnAs
    } else {
        ExitReason::Unknown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recycle_texts_map_to_reasons() {
        assert_eq!(
            reason_of("max requests reached (50 >= 50)"),
            ExitReason::MaxRequests
        );
        assert_eq!(
            reason_of("reload-on-rss limit reached (1 >= 1)"),
            ExitReason::ReloadOnRss
        );
        assert_eq!(
            reason_of("reload-on-as limit reached (1 >= 1)"),
            ExitReason::ReloadOnAs
        );
        assert_eq!(reason_of("whatever"), ExitReason::Unknown);
    }
}
