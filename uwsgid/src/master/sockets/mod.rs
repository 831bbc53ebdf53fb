//! The app's listen sockets: bound once by the master, in the order the
//! configuration names them, and kept open for the app's whole life so every
//! worker generation inherits the same sockets (no connection is refused
//! while workers come and go).
//!
//! Each socket ends up on a descriptor at or above [`HIGH_FD`] with
//! `FD_CLOEXEC`, out of the way of the layout children get (3, 4, …; see
//! `super::spawn`).

mod activation;
mod address;
mod bind;
mod perms;
mod stdin;

use std::os::fd::{AsRawFd, OwnedFd};
use std::path::PathBuf;

use crate::config::{AppConfig, ListenAddr, ListenSpec};
use crate::log::log_line;

pub use activation::{ACTIVATION_VARS, Activated};
pub use address::BoundAddr;
pub use bind::bind_one;

/// Descriptors the master keeps are moved at or above this number, so that
/// `dup2` onto 3.. in a child never clobbers one still to be moved.
pub const HIGH_FD: i32 = 100;

/// A unix socket file this app created, remembered for `vacuum`.
#[derive(Debug, Clone)]
pub struct SocketFile {
    pub path: PathBuf,
    pub dev: u64,
    pub ino: u64,
}

/// One bound (or inherited) listen socket.
#[derive(Debug)]
pub struct ListenSocket {
    pub fd: OwnedFd,
    /// The address it is actually bound to (the real port for `:0`).
    pub bound: BoundAddr,
    /// Set when this app created the socket file (not for inherited ones).
    pub file: Option<SocketFile>,
}

/// Why the app's sockets could not be set up. Texts follow uWSGI's where it
/// has one, and say what to do.
#[derive(Debug, thiserror::Error)]
pub enum SocketError {
    #[error(
        "The -s/--socket option is missing and stdin is not a socket.\n\
         Add a listen socket to the configuration, e.g. `socket = /run/uwsgi/app.sock` \
         (for nginx's uwsgi_pass) or `http-socket = :8080`."
    )]
    NoSockets,
    #[error("Listen queue size is greater than the system max net.core.somaxconn ({0}).")]
    Backlog(u64),
    #[error("invalid socket name {0:?}: {1}")]
    InvalidName(String, String),
    #[error("cannot resolve {0:?}: {1}")]
    Resolve(String, std::io::Error),
    #[error(
        "probably another instance of uWSGI is running on the same address ({0}).\nbind(): {1}"
    )]
    AddressInUse(String, nix::Error),
    #[error("bind() to {0} failed: {1}")]
    Bind(String, nix::Error),
    #[error(
        "unix socket {0} is in use by a running server (a connection to it succeeded); \
         stop that server or choose another socket path"
    )]
    UnixInUse(PathBuf),
    #[error("{0} exists and is not a socket; remove it or choose another socket path")]
    NotASocket(PathBuf),
    #[error("cannot remove the stale unix socket {0}: {1}")]
    RemoveStale(PathBuf, std::io::Error),
    #[error("unable to find user {0}")]
    NoSuchUser(String),
    #[error("unable to find group {0}")]
    NoSuchGroup(String),
    #[error("chown() of {0} failed: {1}")]
    Chown(PathBuf, nix::Error),
    #[error("chmod() of {0} failed: {1}")]
    Chmod(PathBuf, std::io::Error),
    #[error("stat() of {0} failed: {1}")]
    Stat(PathBuf, std::io::Error),
    #[error("{0} failed: {1}")]
    Sys(&'static str, nix::Error),
}

/// Binds every socket of `cfg` in order (or takes it from `activated`),
/// applies `chown-socket`/`chmod-socket`, and logs uWSGI's
/// `uwsgi socket N bound to … fd N` lines.
///
/// With no socket configured, a listening socket on stdin is used as
/// socket 0 (uWSGI's fallback) and added to `cfg.sockets`, so children see it.
pub fn open_all(
    cfg: &mut AppConfig,
    activated: &mut Activated,
) -> Result<Vec<ListenSocket>, SocketError> {
    if cfg.sockets.is_empty() {
        let Some((spec, socket)) = stdin::take()? else {
            return Err(SocketError::NoSockets);
        };
        log_line!("uwsgi socket 0 inherited {} from stdin fd 3", socket.bound);
        cfg.sockets.push(spec);
        activated.close_unmatched();
        return Ok(vec![socket]);
    }
    bind::check_backlog(cfg.listen, bind::system_somaxconn())?;
    let owner = cfg
        .chown_socket
        .as_deref()
        .map(perms::Owner::lookup)
        .transpose()?;
    let mut out = Vec::with_capacity(cfg.sockets.len());
    for (index, spec) in cfg.sockets.iter().enumerate() {
        match open_one(index, spec, cfg, owner.as_ref(), activated) {
            Ok(socket) => out.push(socket),
            Err(err) => {
                // Never served: leave no socket file behind.
                for file in out.iter().filter_map(|s| s.file.as_ref()) {
                    let _ = std::fs::remove_file(&file.path);
                }
                return Err(err);
            }
        }
    }
    activated.close_unmatched();
    Ok(out)
}

fn open_one(
    index: usize,
    spec: &ListenSpec,
    cfg: &AppConfig,
    owner: Option<&perms::Owner>,
    activated: &mut Activated,
) -> Result<ListenSocket, SocketError> {
    let child_fd = 3 + index;
    if let Some((fd, bound)) = activated.take_matching(&spec.address) {
        log_line!("uwsgi socket {index} inherited {bound} fd {child_fd}");
        return Ok(ListenSocket {
            fd,
            bound,
            file: None,
        });
    }
    let socket = bind::bind_one(spec, cfg.listen)?;
    if let ListenAddr::Unix(path) = &spec.address
        && let Err(err) = perms::apply(path, owner, cfg.chmod_socket)
    {
        let _ = std::fs::remove_file(path);
        return Err(err);
    }
    log_line!(
        "uwsgi socket {index} bound to {} fd {child_fd}",
        socket.bound
    );
    Ok(socket)
}

/// Moves `fd` to a descriptor at or above [`HIGH_FD`] with `FD_CLOEXEC`.
pub fn move_high(fd: OwnedFd) -> Result<OwnedFd, SocketError> {
    use nix::fcntl::{FcntlArg, fcntl};
    let high = fcntl(&fd, FcntlArg::F_DUPFD_CLOEXEC(HIGH_FD))
        .map_err(|e| SocketError::Sys("fcntl(F_DUPFD_CLOEXEC)", e))?;
    // SAFETY: F_DUPFD_CLOEXEC returned a new descriptor that nothing else owns.
    let high = unsafe { <OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(high) };
    debug_assert!(high.as_raw_fd() >= HIGH_FD);
    Ok(high)
}
