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
use crate::master::log::log_line;

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

/// Serves `service` on `listener` as a task of the current runtime until
/// the runtime ends (the master's exit).
pub fn spawn(listener: UnixListener, service: AppControl) -> anyhow::Result<()> {
    let listener =
        tokio::net::UnixListener::from_std(listener).context("cannot serve the control socket")?;
    tokio::spawn(async move {
        let forever = std::future::pending::<()>();
        if let Err(err) = crate::control::serve(listener, service, forever).await {
            log_line!("the control API stopped: {err}");
        }
    });
    Ok(())
}

/// A channel for commands to the event loop.
pub fn channel() -> (
    mpsc::Sender<command::Command>,
    mpsc::Receiver<command::Command>,
) {
    mpsc::channel(QUEUE)
}
