//! Creating, binding and listening one socket: unix (with stale-file
//! handling), abstract unix, and TCP over IPv4 or IPv6.

use std::io::ErrorKind;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

use nix::errno::Errno;
use nix::sys::socket::{
    AddressFamily, SockFlag, SockType, SockaddrStorage, UnixAddr, bind, setsockopt, socket, sockopt,
};

use super::address::{bound_addr, resolve_tcp};
use super::{ListenSocket, SocketError, SocketFile, move_high};
use crate::config::{ListenAddr, ListenSpec};

/// Linux's `net.core.somaxconn`, or `None` when it cannot be read.
pub fn system_somaxconn() -> Option<u64> {
    std::fs::read_to_string("/proc/sys/net/core/somaxconn")
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// uWSGI refuses a `listen` backlog the kernel would silently cap.
pub fn check_backlog(listen: u32, somaxconn: Option<u64>) -> Result<(), SocketError> {
    match somaxconn {
        Some(max) if u64::from(listen) > max => Err(SocketError::Backlog(max)),
        _ => Ok(()),
    }
}

/// Binds and listens on one configured socket.
pub fn bind_one(spec: &ListenSpec, backlog: u32) -> Result<ListenSocket, SocketError> {
    let (fd, file) = match &spec.address {
        ListenAddr::Unix(path) => bind_unix(path, backlog)?,
        ListenAddr::Abstract(name) => (bind_abstract(name, backlog)?, None),
        ListenAddr::Tcp { host, port } => (bind_tcp(host, *port, backlog, &spec.raw)?, None),
    };
    let bound = bound_addr(fd.as_raw_fd())?
        .ok_or(SocketError::Sys("getsockname()", Errno::EAFNOSUPPORT))?;
    Ok(ListenSocket {
        fd: move_high(fd)?,
        bound,
        file,
    })
}

fn bind_unix(path: &Path, backlog: u32) -> Result<(OwnedFd, Option<SocketFile>), SocketError> {
    let addr = UnixAddr::new(path)
        .map_err(|e| SocketError::InvalidName(path.display().to_string(), e.desc().to_string()))?;
    remove_stale(path)?;
    let fd = new_socket(AddressFamily::Unix)?;
    bind(fd.as_raw_fd(), &addr).map_err(|e| SocketError::Bind(path.display().to_string(), e))?;
    listen(&fd, backlog)?;
    let meta = std::fs::metadata(path).map_err(|e| SocketError::Stat(path.to_path_buf(), e))?;
    let file = SocketFile {
        path: path.to_path_buf(),
        dev: meta.dev(),
        ino: meta.ino(),
    };
    Ok((fd, Some(file)))
}

/// Removes a socket file left behind by a server that is gone; refuses to
/// touch one a live server still accepts on, or a file that is not a socket.
fn remove_stale(path: &Path) -> Result<(), SocketError> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(SocketError::RemoveStale(path.to_path_buf(), e)),
    };
    if !meta.file_type().is_socket() {
        return Err(SocketError::NotASocket(path.to_path_buf()));
    }
    match std::os::unix::net::UnixStream::connect(path) {
        Ok(_) => Err(SocketError::UnixInUse(path.to_path_buf())),
        Err(_) => match std::fs::remove_file(path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
            Err(e) => Err(SocketError::RemoveStale(path.to_path_buf(), e)),
        },
    }
}

fn bind_abstract(name: &str, backlog: u32) -> Result<OwnedFd, SocketError> {
    let shown = format!("@{name}");
    let addr = UnixAddr::new_abstract(name.as_bytes())
        .map_err(|e| SocketError::InvalidName(shown.clone(), e.desc().to_string()))?;
    let fd = new_socket(AddressFamily::Unix)?;
    bind(fd.as_raw_fd(), &addr).map_err(|e| bind_error(&shown, e))?;
    listen(&fd, backlog)?;
    Ok(fd)
}

fn bind_tcp(host: &str, port: u16, backlog: u32, raw: &str) -> Result<OwnedFd, SocketError> {
    let addr = resolve_tcp(host, port)?;
    let family = if addr.is_ipv4() {
        AddressFamily::Inet
    } else {
        AddressFamily::Inet6
    };
    let fd = new_socket(family)?;
    // As every server does: a restart must not wait for TIME_WAIT to clear.
    setsockopt(&fd, sockopt::ReuseAddr, &true)
        .map_err(|e| SocketError::Sys("setsockopt(SO_REUSEADDR)", e))?;
    bind(fd.as_raw_fd(), &SockaddrStorage::from(addr)).map_err(|e| bind_error(raw, e))?;
    listen(&fd, backlog)?;
    Ok(fd)
}

fn bind_error(shown: &str, err: Errno) -> SocketError {
    if err == Errno::EADDRINUSE {
        SocketError::AddressInUse(shown.to_string(), err)
    } else {
        SocketError::Bind(shown.to_string(), err)
    }
}

fn new_socket(family: AddressFamily) -> Result<OwnedFd, SocketError> {
    socket(family, SockType::Stream, SockFlag::SOCK_CLOEXEC, None)
        .map_err(|e| SocketError::Sys("socket()", e))
}

/// listen(2) with the configured backlog (already checked against
/// `somaxconn`; nix's `Backlog` caps at the libc constant instead).
fn listen(fd: &OwnedFd, backlog: u32) -> Result<(), SocketError> {
    let backlog = i32::try_from(backlog).unwrap_or(i32::MAX);
    // SAFETY: plain syscall on a descriptor we own.
    let rc = unsafe { libc::listen(fd.as_raw_fd(), backlog) };
    Errno::result(rc)
        .map(drop)
        .map_err(|e| SocketError::Sys("listen()", e))
}

#[cfg(test)]
mod tests {
    use super::super::BoundAddr;
    use super::*;

    #[test]
    fn backlog_above_somaxconn_is_fatal() {
        assert!(check_backlog(100, Some(4096)).is_ok());
        assert!(check_backlog(4096, Some(4096)).is_ok());
        let err = check_backlog(5000, Some(4096)).err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("Listen queue size is greater than the system max net.core.somaxconn (4096).")
        );
        assert!(check_backlog(5000, None).is_ok());
    }

    #[test]
    fn stale_socket_is_replaced_and_live_one_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("app.sock");
        let spec = ListenSpec {
            protocol: crate::config::Protocol::Uwsgi,
            address: ListenAddr::Unix(path.clone()),
            option: "socket".into(),
            raw: path.display().to_string(),
        };
        let live = bind_one(&spec, 10).expect("first bind");
        let err = bind_one(&spec, 10)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("is in use by a running server"), "{err}");
        drop(live);
        // The file is still there, but nobody listens: stale.
        assert!(path.exists());
        let again = bind_one(&spec, 10).expect("stale socket replaced");
        assert_eq!(again.bound, BoundAddr::Unix(path.clone()));
    }

    #[test]
    fn a_regular_file_is_not_removed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("not-a-socket");
        std::fs::write(&path, b"data").expect("write");
        let err = remove_stale(&path)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("is not a socket"), "{err}");
        assert!(path.exists());
    }

    #[test]
    fn tcp_port_in_use_names_the_address() {
        let first = bind_tcp("127.0.0.1", 0, 10, "127.0.0.1:0").expect("bind");
        let Some(BoundAddr::Tcp(addr)) = bound_addr(first.as_raw_fd()).expect("getsockname") else {
            panic!("not tcp")
        };
        let raw = addr.to_string();
        let err = bind_tcp("127.0.0.1", addr.port(), 10, &raw)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.starts_with(&format!(
                "probably another instance of uWSGI is running on the same address ({raw})."
            )),
            "{err}"
        );
    }
}
