//! The app master's side of the control API (`uwsgid --ini X --control
//! PATH`): the socket, bound before any privilege drop and removed at exit
//! (this file); the tonic service (`service.rs`), which turns each request
//! into a command for the event loop (`command.rs`), the status it answers
//! with (`status.rs`) and the progress of reloads (`progress.rs`).
//!
//! The event loop owns all the app's state: the service never looks at it,
//! it asks over a channel and relays the answer.

pub(super) mod command;
pub(super) mod progress;
mod service;
mod status;

use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};

use anyhow::Context;
use tokio::sync::mpsc;

pub use service::AppControl;

use crate::control::socket;
use crate::log::log_line;

/// How many commands may wait for the event loop.
pub const QUEUE: usize = 64;

/// The control socket of this app master.
#[derive(Debug)]
pub struct ControlSocket {
    path: PathBuf,
    inode: Option<u64>,
    listener: Option<UnixListener>,
}

impl ControlSocket {
    /// Binds `path` (made absolute first: the master changes directory
    /// later). Another live server on it is an error.
    pub fn bind(path: &Path) -> anyhow::Result<ControlSocket> {
        let path = std::path::absolute(path)
            .with_context(|| format!("the control socket path {}", path.display()))?;
        let listener =
            socket::bind(&path, None).context("cannot serve the control API (--control)")?;
        log_line!("control API on {}", path.display());
        Ok(ControlSocket {
            inode: socket::inode(&path),
            path,
            listener: Some(listener),
        })
    }

    /// The listener, to serve (once).
    pub fn take_listener(&mut self) -> Option<UnixListener> {
        self.listener.take()
    }

    /// Removes the socket file, unless another server replaced it.
    pub fn remove(&self) {
        socket::remove(&self.path, self.inode);
    }
}

/// How long a stopping master waits for the control API to send the
/// answers it owes (the `Stop` that ended the app, a status in flight).
const FLUSH: std::time::Duration = std::time::Duration::from_secs(2);

/// The control API served as a task of the current runtime.
pub struct Serving {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl Serving {
    /// Stops accepting and lets the answers in flight reach their callers
    /// (bounded by [`FLUSH`]): without it the reply to the `Stop` that ended
    /// the app could be lost with the runtime.
    pub async fn finish(self) {
        let _ = self.stop.send(());
        let _ = tokio::time::timeout(FLUSH, self.task).await;
    }
}

/// Serves `service` on `listener` until [`Serving::finish`].
pub fn spawn(listener: UnixListener, service: AppControl) -> anyhow::Result<Serving> {
    let listener =
        tokio::net::UnixListener::from_std(listener).context("cannot serve the control socket")?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let shutdown = async {
            let _ = stopped.await;
        };
        if let Err(err) = crate::control::serve(listener, service, shutdown).await {
            log_line!("the control API stopped: {err}");
        }
    });
    Ok(Serving { stop, task })
}

/// A channel for commands to the event loop.
pub fn channel() -> (
    mpsc::Sender<command::Command>,
    mpsc::Receiver<command::Command>,
) {
    mpsc::channel(QUEUE)
}
