//! Signal plumbing shared by the app master and the supervisor: a table of
//! signals, each mapped to what it means to that process, read as one
//! stream in the table's order of priority.

use std::future::poll_fn;
use std::task::Poll;

use tokio::signal::unix::{Signal, SignalKind, signal};

/// The installed handlers, in priority order.
#[derive(Debug)]
pub struct SignalSet<T> {
    streams: Vec<(Signal, T)>,
}

impl<T: Copy> SignalSet<T> {
    /// Installs a handler for each signal of `table`, which replaces its
    /// default action (so install before any child exists). Must run inside
    /// the tokio runtime.
    pub fn install(table: &[(SignalKind, T)]) -> std::io::Result<SignalSet<T>> {
        let streams = table
            .iter()
            .map(|&(kind, meaning)| Ok((signal(kind)?, meaning)))
            .collect::<std::io::Result<_>>()?;
        Ok(SignalSet { streams })
    }

    /// The meaning of the next signal received. When several are pending,
    /// the one first in the table comes first. Cancel-safe.
    pub async fn next(&mut self) -> T {
        poll_fn(|cx| {
            for (stream, meaning) in &mut self.streams {
                if let Poll::Ready(Some(())) = stream.poll_recv(cx) {
                    return Poll::Ready(*meaning);
                }
            }
            Poll::Pending
        })
        .await
    }
}

/// The [`SignalKind`] of a signal tokio has no constructor for.
pub fn kind(sig: nix::sys::signal::Signal) -> SignalKind {
    SignalKind::from_raw(sig as i32)
}

/// In a zygote or a worker: SIGTSTP is ignored (inherited by the workers a
/// zygote forks). The master alone acts on it (pause); a Ctrl-Z reaching
/// the whole process group must not stop the workers themselves.
pub fn ignore_terminal_stop() {
    // SAFETY: setting a signal's disposition to SIG_IGN installs no code.
    unsafe {
        libc::signal(libc::SIGTSTP, libc::SIG_IGN);
    }
}
