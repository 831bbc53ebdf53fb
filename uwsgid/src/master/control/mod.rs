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
use std::path::Path;

use anyhow::Context;
use tokio::sync::mpsc;

pub use service::AppControl;

use crate::control::socket::{ControlSocket, Rebinder};
use crate::log::log_line;

/// How many commands may wait for the event loop.
pub const QUEUE: usize = 64;

/// Binds the control socket at `path` (made absolute first: the master
/// changes directory later), or takes the one the supervisor bound for it.
/// Another live server on it is an error.
pub fn bind(path: &Path) -> anyhow::Result<ControlSocket> {
    let path = std::path::absolute(path)
        .with_context(|| format!("the control socket path {}", path.display()))?;
    let socket = match crate::contract::modes::take_inherited_control() {
        Some(fd) => ControlSocket::adopt(&path, UnixListener::from(fd))
            .context("cannot use the inherited control socket")?,
        None => {
            ControlSocket::bind(&path, None).context("cannot serve the control API (--control)")?
        }
    };
    log_line!("control API on {}", path.display());
    Ok(socket)
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

/// Serves `service` on `socket` until [`Serving::finish`]; the
/// [`Rebinder`] makes the socket again when it was deleted.
pub fn spawn(
    socket: &mut ControlSocket,
    service: AppControl,
) -> anyhow::Result<(Serving, Rebinder)> {
    let (incoming, rebinder) = socket.serve().context("cannot serve the control socket")?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let shutdown = async {
            let _ = stopped.await;
        };
        if let Err(err) = crate::control::serve(incoming, service, shutdown).await {
            log_line!("the control API stopped: {err}");
        }
    });
    Ok((Serving { stop, task }, rebinder))
}

/// A channel for commands to the event loop.
pub fn channel() -> (
    mpsc::Sender<command::Command>,
    mpsc::Receiver<command::Command>,
) {
    mpsc::channel(QUEUE)
}
