//! Gives the heap memory freed after a burst of load back to the kernel
//! once the worker has been idle for a while: glibc keeps freed chunks (the
//! buffers of a hundred keep-alive connections, say) mapped, and a worker
//! that served a burst would otherwise keep that much more resident memory
//! for the rest of its life.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::context::WorkerCtx;

/// How long without a request counts as idle.
const IDLE: Duration = Duration::from_secs(1);

/// Runs for the life of the worker: one timer tick per [`IDLE`], a
/// `malloc_trim` after each burst of requests.
pub async fn trim_when_idle(ctx: Arc<WorkerCtx>) {
    let mut seen = ctx.requests.load(Ordering::Relaxed);
    let mut trimmed = seen;
    loop {
        tokio::time::sleep(IDLE).await;
        let now = ctx.requests.load(Ordering::Relaxed);
        if now == seen && now != trimmed && !ctx.gate.is_busy() {
            release_free_memory();
            trimmed = now;
        }
        seen = now;
    }
}

#[cfg(target_env = "gnu")]
fn release_free_memory() {
    // SAFETY: malloc_trim only walks the allocator's own free lists.
    unsafe { libc::malloc_trim(0) };
}

#[cfg(not(target_env = "gnu"))]
fn release_free_memory() {}
