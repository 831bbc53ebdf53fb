//! Gives the heap memory freed after a burst of load back to the kernel
//! soon after the burst ends: glibc keeps freed chunks (the buffers of a
//! hundred keep-alive connections, say) mapped, and a worker that served a
//! burst would otherwise keep that much more resident memory for the rest
//! of its life.
//!
//! Between bursts the heap keeps what it freed: glibc would otherwise give
//! memory back on every free of a large block (a request body, a response)
//! and take it again on the next request, each time with a page fault per
//! page and, in a worker with several threads, a TLB shoot-down on every
//! CPU. Measured on a 64 KiB echo, that churn was a fifth of the worker's
//! time.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::context::WorkerCtx;

/// How often the request counter is looked at while the worker serves: a
/// burst's memory is released between one and two of these after its last
/// request (a gap this long between requests counts as the end of a burst;
/// one trim costs tens of microseconds, so even a trim per request at that
/// rate is noise).
const QUIET: Duration = Duration::from_millis(200);

/// How often an idle worker that has nothing left to release looks for new
/// requests: rarely, so that idle workers cost no wake-ups to speak of.
const IDLE: Duration = Duration::from_secs(1);

/// Blocks up to this size come from the heap, not from a mapping of their
/// own that is made and unmapped per request (glibc's default is 128 KiB,
/// adjusted upwards only after such a block has been freed).
#[cfg(target_env = "gnu")]
const MMAP_THRESHOLD: libc::c_int = 16 << 20;

/// Free memory at the top of the heap is kept up to this size until the
/// trim after the burst ([`trim_when_idle`]).
#[cfg(target_env = "gnu")]
const TRIM_THRESHOLD: libc::c_int = 64 << 20;

/// Runs for the life of the worker: a `malloc_trim` after each burst of
/// requests, and none while it serves.
pub async fn trim_when_idle(ctx: Arc<WorkerCtx>) {
    let mut seen = ctx.requests.load(Ordering::Relaxed);
    let mut trimmed = seen;
    loop {
        tokio::time::sleep(next_look(seen, trimmed)).await;
        let now = ctx.requests.load(Ordering::Relaxed);
        if now == seen && now != trimmed && !ctx.gate.is_busy() {
            crate::worker::wsgi::response::release_sent_bodies();
            release_free_memory();
            trimmed = now;
        }
        seen = now;
    }
}

/// [`QUIET`] while something may be left to release, else [`IDLE`].
fn next_look(seen: u64, trimmed: u64) -> Duration {
    if seen == trimmed { IDLE } else { QUIET }
}

#[cfg(target_env = "gnu")]
fn release_free_memory() {
    // SAFETY: malloc_trim only walks the allocator's own free lists.
    unsafe { libc::malloc_trim(0) };
}

#[cfg(not(target_env = "gnu"))]
fn release_free_memory() {}

/// Sets the heap's policy for a serving worker (see the module's comment).
/// Call it before the worker starts any thread.
#[cfg(target_env = "gnu")]
pub fn keep_freed_memory_while_serving() {
    // SAFETY: mallopt only sets the allocator's thresholds.
    unsafe {
        // One heap for every thread: `malloc_trim` gives back the free top
        // of the main heap only, and the heaps glibc makes for threads
        // would keep a burst's worth. Called before the worker's threads
        // exist; the small blocks come from each thread's cache anyway.
        libc::mallopt(libc::M_ARENA_MAX, 1);
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
        libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD);
    }
}

#[cfg(not(target_env = "gnu"))]
pub fn keep_freed_memory_while_serving() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn looks_often_only_while_there_is_something_to_release() {
        assert_eq!(next_look(10, 10), IDLE);
        assert_eq!(next_look(11, 10), QUIET);
        assert_eq!(next_look(0, 0), IDLE);
    }
}
