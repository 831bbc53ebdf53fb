//! Request bodies read whole on the runtime before the app is called.
//!
//! A body of known length up to [`MAX`] is read by its connection's own
//! task, where hyper delivers it without a hop between threads; the Python
//! thread is woken once, with all of it. Streamed instead, every chunk
//! costs a wake-up of the runtime (to read it) and one of the Python thread
//! (to take it), and the app waits for the client between chunks while
//! holding its thread. A slow upload read ahead holds no Python thread, as
//! with `post-buffering`.
//!
//! Memory stays bounded: bodies read ahead share a per-worker [`Budget`],
//! and one that does not fit in what is left of it streams as before, one
//! chunk of at most `body::CHUNK` bytes at a time. A client that asked for
//! `Expect: 100-continue` is not read ahead: it waits to learn whether the
//! app wants the body at all.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::body::BodySource;
use super::post_buffer::BufferError;

/// The largest body read ahead.
pub const MAX: u64 = 1 << 20;

/// What all the bodies a worker holds read ahead may add up to.
pub const BUDGET: u64 = 32 << 20;

/// The bytes a worker may still read ahead.
#[derive(Debug)]
pub struct Budget {
    left: AtomicU64,
}

/// A share of the [`Budget`], given back when dropped (with the body it
/// was taken for).
#[derive(Debug)]
pub struct Reserved {
    budget: Arc<Budget>,
    bytes: u64,
}

impl Budget {
    pub fn new(bytes: u64) -> Arc<Budget> {
        Arc::new(Budget {
            left: AtomicU64::new(bytes),
        })
    }

    /// Takes `bytes` of the budget, if that much is left.
    pub fn take(self: &Arc<Self>, bytes: u64) -> Option<Reserved> {
        self.left
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |left| {
                left.checked_sub(bytes)
            })
            .ok()
            .map(|_| Reserved {
                budget: Arc::clone(self),
                bytes,
            })
    }

    /// What is left of the budget.
    #[cfg(test)]
    pub fn left(&self) -> u64 {
        self.left.load(Ordering::Acquire)
    }
}

impl Drop for Reserved {
    fn drop(&mut self) {
        self.budget.left.fetch_add(self.bytes, Ordering::AcqRel);
    }
}

/// The share of the budget to read `source` ahead, if it is read ahead: a
/// body of known length up to [`MAX`] and not waiting for `100 Continue`.
pub fn plan(source: &BodySource, expects_continue: bool, budget: &Arc<Budget>) -> Option<Reserved> {
    if expects_continue || !matches!(source, BodySource::Http { .. }) {
        return None;
    }
    let len = source.exact_left().filter(|&len| len > 0 && len <= MAX)?;
    budget.take(len)
}

/// Reads `source` to its end (with its per-read timeout and `limit-post`),
/// keeping the chunks as they came.
pub async fn read(mut source: BodySource, reserved: Reserved) -> Result<BodySource, BufferError> {
    let mut chunks = VecDeque::new();
    while let Some(chunk) = source.next_async().await.map_err(BufferError::Read)? {
        chunks.push_back(chunk);
    }
    Ok(BodySource::Ahead { chunks, reserved })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_is_shared_and_given_back() {
        let budget = Budget::new(100);
        let a = budget.take(60);
        assert!(a.is_some());
        assert!(budget.take(41).is_none(), "only 40 left");
        let b = budget.take(40);
        assert_eq!(budget.left(), 0);
        drop((a, b));
        assert_eq!(budget.left(), 100);
    }

    #[test]
    fn only_bodies_hyper_frames_are_read_ahead() {
        let budget = Budget::new(BUDGET);
        let memory = BodySource::Memory(bytes::Bytes::from_static(b"abc"));
        assert!(
            plan(&memory, false, &budget).is_none(),
            "only hyper's bodies"
        );
        assert!(plan(&BodySource::Empty, false, &budget).is_none());
    }
}
