//! The accept gate: a worker accepts a connection at once only while it
//! has a Python thread free for it, so load spreads over idle workers (the
//! kernel hands the connection to another worker's pending `accept`); a
//! full worker that is not stuck takes one after a short deferral
//! (`serve.rs`), so a connection never starves in the listen queue. On the
//! uwsgi sockets the idle Python threads accept themselves (`idle.rs`) and
//! take a slot each; [`Gate::wait_busy`] lets the stuck watch
//! (`stuck.rs`) sleep while the worker is idle.
//!
//! A [`Slot`] counts one request in flight, from accept (the new
//! connection's first request) or from the head of a later keep-alive
//! request, until its WSGI call is over. Requests on connections already
//! held never wait for the gate: only `accept` does, so an idle keep-alive
//! connection pins nothing.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use tokio::sync::Notify;

/// Requests in flight against the number of Python threads.
#[derive(Debug)]
pub struct Gate {
    limit: usize,
    in_flight: AtomicUsize,
    /// Woken when the count drops below the limit.
    freed: Notify,
    /// Woken by the first request after idleness, while `idle_watch` is set.
    began: Notify,
    /// Someone sleeps in [`Gate::wait_busy`].
    idle_watch: AtomicBool,
}

/// One request in flight; dropping it frees its place.
#[derive(Debug)]
pub struct Slot(Arc<Gate>);

impl Gate {
    pub fn new(limit: usize) -> Arc<Gate> {
        Arc::new(Gate {
            limit: limit.max(1),
            in_flight: AtomicUsize::new(0),
            freed: Notify::new(),
            began: Notify::new(),
            idle_watch: AtomicBool::new(false),
        })
    }

    /// Counts one more request in flight (never waits).
    pub fn take(self: &Arc<Self>) -> Slot {
        let before = self.in_flight.fetch_add(1, Ordering::SeqCst);
        if before == 0 && self.idle_watch.swap(false, Ordering::SeqCst) {
            self.began.notify_one();
        }
        Slot(Arc::clone(self))
    }

    /// Waits until some request is in flight. For a single waiter: the
    /// first request after idleness then wakes it, and no later one does.
    pub async fn wait_busy(&self) {
        loop {
            let began = self.began.notified();
            tokio::pin!(began);
            began.as_mut().enable();
            self.idle_watch.store(true, Ordering::SeqCst);
            if self.in_flight.load(Ordering::SeqCst) > 0 {
                self.idle_watch.store(false, Ordering::SeqCst);
                return;
            }
            began.await;
        }
    }

    /// Every Python thread has a request, and `ahead` more wait for one.
    pub fn is_full_ahead(&self, ahead: usize) -> bool {
        self.in_flight.load(Ordering::Acquire) >= self.limit + ahead
    }

    /// Every Python thread has a request.
    pub fn is_full(&self) -> bool {
        self.in_flight.load(Ordering::Acquire) >= self.limit
    }

    /// Waits until a Python thread is free.
    pub async fn wait_free(&self) {
        loop {
            let freed = self.freed.notified();
            tokio::pin!(freed);
            freed.as_mut().enable();
            if !self.is_full() {
                return;
            }
            freed.await;
        }
    }

    /// Some request is in flight.
    pub fn is_busy(&self) -> bool {
        self.in_flight.load(Ordering::Acquire) > 0
    }

    #[cfg(test)]
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Acquire)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let before = self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
        if before == self.0.limit {
            self.0.freed.notify_waiters();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn slots_fill_and_free_the_gate() {
        let gate = Gate::new(2);
        gate.wait_free().await;
        let a = gate.take();
        assert!(!gate.is_full());
        let b = gate.take();
        assert!(gate.is_full());
        let waiter = {
            let gate = Arc::clone(&gate);
            tokio::spawn(async move { gate.wait_free().await })
        };
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        drop(a);
        assert!(waiter.await.is_ok());
        drop(b);
        assert_eq!(gate.in_flight(), 0);
    }

    #[tokio::test]
    async fn the_first_request_wakes_the_idle_watch() {
        let gate = Gate::new(1);
        let watcher = {
            let gate = Arc::clone(&gate);
            tokio::spawn(async move { gate.wait_busy().await })
        };
        tokio::task::yield_now().await;
        assert!(!watcher.is_finished());
        let slot = gate.take();
        assert!(watcher.await.is_ok());
        gate.wait_busy().await;
        drop(slot);
    }
}
