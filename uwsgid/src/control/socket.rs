//! The control socket file: created with mode 0660 (and a group when
//! asked), a stale file from a dead server replaced, a live one refused.

use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};

use nix::unistd::{Gid, chown};

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
