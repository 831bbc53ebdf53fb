//! The control socket file: created with mode 0660 (and a group when
//! asked), a stale file from a dead server replaced, a live one refused;
//! made again (on SIGHUP) when someone deleted it, so `uwsgictl` can reach
//! the server without a restart.

use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use nix::unistd::{Gid, chown};
use tokio::sync::mpsc;
use tokio_stream::Stream;

/// Why a control socket could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum ControlSocketError {
    #[error("cannot create the directory {}: {source}", path.display())]
    Dir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("another uwsgid is already serving the control socket {}", path.display())]
    InUse { path: PathBuf },
    #[error("cannot bind the control socket {}: {source}", path.display())]
    Bind {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot set the owner or mode of the control socket {}: {source}", path.display())]
    Perms {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// A bound control socket: its file, and the listener until it is served.
#[derive(Debug)]
pub struct ControlSocket {
    path: PathBuf,
    group: Option<Gid>,
    /// The inode of the file this server made last (0: none).
    inode: Arc<AtomicU64>,
    listener: Option<UnixListener>,
}

impl ControlSocket {
    /// Binds `path` (see [`bind`]).
    pub fn bind(path: &Path, group: Option<Gid>) -> Result<ControlSocket, ControlSocketError> {
        let listener = bind(path, group)?;
        Ok(ControlSocket {
            path: path.to_path_buf(),
            group,
            inode: Arc::new(AtomicU64::new(inode(path).unwrap_or(0))),
            listener: Some(listener),
        })
    }

    /// A socket already bound at `path` by someone else (the supervisor,
    /// for an app master it runs as another user).
    pub fn adopt(path: &Path, listener: UnixListener) -> std::io::Result<ControlSocket> {
        listener.set_nonblocking(true)?;
        Ok(ControlSocket {
            path: path.to_path_buf(),
            group: None,
            inode: Arc::new(AtomicU64::new(inode(path).unwrap_or(0))),
            listener: Some(listener),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Starts serving (once; inside the tokio runtime): the connections to
    /// accept, and the handle that makes the socket again.
    pub fn serve(&mut self) -> std::io::Result<(Incoming, Rebinder)> {
        let listener = self.listener.take().ok_or_else(|| {
            std::io::Error::other(format!("{} is served already", self.path.display()))
        })?;
        let listener = tokio::net::UnixListener::from_std(listener)?;
        let (replace, replacements) = mpsc::unbounded_channel();
        let rebinder = Rebinder {
            path: self.path.clone(),
            group: self.group,
            inode: Arc::clone(&self.inode),
            replace,
        };
        Ok((
            Incoming {
                listener,
                replacements,
            },
            rebinder,
        ))
    }

    /// Removes the socket file, unless another server replaced it.
    pub fn remove(&self) {
        let made = self.inode.load(Ordering::Acquire);
        remove(&self.path, (made != 0).then_some(made));
    }
}

/// Makes a served control socket again when its file is gone.
#[derive(Debug)]
pub struct Rebinder {
    path: PathBuf,
    group: Option<Gid>,
    inode: Arc<AtomicU64>,
    replace: mpsc::UnboundedSender<tokio::net::UnixListener>,
}

impl Rebinder {
    /// Binds the socket again if its file is no longer the one this server
    /// made (deleted, or replaced by a plain file); `Ok(true)` when it did.
    /// A live socket of another server there is left alone (an error).
    pub fn ensure(&self) -> Result<bool, ControlSocketError> {
        if inode(&self.path) == Some(self.inode.load(Ordering::Acquire)) {
            return Ok(false);
        }
        let listener = bind(&self.path, self.group)?;
        let bind_err = |source| ControlSocketError::Bind {
            path: self.path.clone(),
            source,
        };
        let listener = tokio::net::UnixListener::from_std(listener).map_err(bind_err)?;
        self.inode
            .store(inode(&self.path).unwrap_or(0), Ordering::Release);
        // The server is gone only when the process is stopping.
        let _ = self.replace.send(listener);
        Ok(true)
    }
}

/// The connections a control server accepts: on its listener, which a
/// [`Rebinder`] replaces when it makes the socket again.
#[derive(Debug)]
pub struct Incoming {
    listener: tokio::net::UnixListener,
    replacements: mpsc::UnboundedReceiver<tokio::net::UnixListener>,
}

impl Stream for Incoming {
    type Item = std::io::Result<tokio::net::UnixStream>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        while let Poll::Ready(Some(listener)) = self.replacements.poll_recv(cx) {
            self.listener = listener;
        }
        match self.listener.poll_accept(cx) {
            Poll::Ready(Ok((stream, _))) => Poll::Ready(Some(Ok(stream))),
            Poll::Ready(Err(err)) => Poll::Ready(Some(Err(err))),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// Binds the control socket at `path` (non-blocking, for tokio): mode 0660,
/// group `group` when given. Missing parent directories are created 0755.
pub fn bind(path: &Path, group: Option<Gid>) -> Result<UnixListener, ControlSocketError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| ControlSocketError::Dir {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    if path.exists() {
        if UnixStream::connect(path).is_ok() {
            return Err(ControlSocketError::InUse {
                path: path.to_path_buf(),
            });
        }
        // Nobody answers: the file of a server that died.
        let _ = std::fs::remove_file(path);
    }
    let bind_err = |source| ControlSocketError::Bind {
        path: path.to_path_buf(),
        source,
    };
    let listener = UnixListener::bind(path).map_err(bind_err)?;
    listener.set_nonblocking(true).map_err(bind_err)?;
    let perms_err = |source| ControlSocketError::Perms {
        path: path.to_path_buf(),
        source,
    };
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o660)).map_err(perms_err)?;
    if let Some(gid) = group {
        chown(path, None, Some(gid)).map_err(|e| perms_err(e.into()))?;
    }
    Ok(listener)
}

/// Removes the socket file at `path` if it is still the one `listener`
/// created (same inode), so a newer server's socket is left alone.
pub fn remove(path: &Path, inode: Option<u64>) {
    use std::os::unix::fs::MetadataExt;
    let same = std::fs::symlink_metadata(path)
        .map(|m| inode.is_none_or(|i| m.ino() == i))
        .unwrap_or(false);
    if same {
        let _ = std::fs::remove_file(path);
    }
}

/// The inode of the socket file at `path`, to pass to [`remove`] later.
pub fn inode(path: &Path) -> Option<u64> {
    use std::os::unix::fs::MetadataExt;
    std::fs::symlink_metadata(path).ok().map(|m| m.ino())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binds_0660_and_replaces_a_stale_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sub/control.sock");
        let first = bind(&path, None).expect("first bind");
        let mode = std::fs::metadata(&path).expect("stat").permissions().mode();
        assert_eq!(mode & 0o777, 0o660);
        let err = bind(&path, None).expect_err("a live socket is refused");
        assert!(matches!(err, ControlSocketError::InUse { .. }), "{err}");
        drop(first);
        bind(&path, None).expect("a stale file is replaced");
    }

    #[tokio::test]
    async fn a_deleted_socket_is_made_again_and_served() {
        use tokio_stream::StreamExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("c.sock");
        let mut socket = ControlSocket::bind(&path, None).expect("bind");
        let (mut incoming, rebinder) = socket.serve().expect("serve");
        assert!(!rebinder.ensure().expect("ensure"), "nothing to do");
        std::fs::remove_file(&path).expect("rm");
        assert!(rebinder.ensure().expect("ensure"), "made again");
        let _client = tokio::net::UnixStream::connect(&path)
            .await
            .expect("the new socket accepts");
        let accepted = incoming.next().await.expect("a connection");
        assert!(accepted.is_ok(), "{accepted:?}");
        socket.remove();
        assert!(!path.exists(), "the new file is removed at exit");
    }

    #[test]
    fn remove_leaves_a_newer_socket_alone() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("c.sock");
        let _l = bind(&path, None).expect("bind");
        remove(&path, Some(u64::MAX));
        assert!(path.exists());
        remove(&path, inode(&path));
        assert!(!path.exists());
    }
}
