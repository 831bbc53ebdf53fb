//! uWSGI's fallback when no socket is configured: a listening socket given
//! as stdin (inetd style, or systemd's `StandardInput=socket`) becomes
//! socket 0, speaking the uwsgi protocol.

use std::net::SocketAddr;
use std::os::fd::{AsFd, AsRawFd};

use nix::fcntl::{FcntlArg, fcntl};
use nix::sys::socket::{getsockopt, sockopt};

use super::address::{BoundAddr, bound_addr};
use super::{HIGH_FD, ListenSocket, SocketError};
use crate::config::{ListenAddr, ListenSpec, Protocol};

/// The listening socket on stdin and the spec it stands for, if stdin is one.
pub fn take() -> Result<Option<(ListenSpec, ListenSocket)>, SocketError> {
    let stdin = std::io::stdin();
    let fd = stdin.as_fd();
    // Not a socket (ENOTSOCK), or a connected one: no fallback.
    if !getsockopt(&fd, sockopt::AcceptConn).unwrap_or(false) {
        return Ok(None);
    }
    let Some(bound) = bound_addr(fd.as_raw_fd())? else {
        return Ok(None);
    };
    let high = fcntl(fd, FcntlArg::F_DUPFD_CLOEXEC(HIGH_FD))
        .map_err(|e| SocketError::Sys("fcntl(F_DUPFD_CLOEXEC)", e))?;
    // SAFETY: F_DUPFD_CLOEXEC returned a new descriptor that nothing else owns.
    let high = unsafe { <std::os::fd::OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(high) };
    let spec = spec_for(&bound);
    Ok(Some((
        spec,
        ListenSocket {
            fd: high,
            bound,
            file: None,
        },
    )))
}

/// The spec children get for a socket found bound at `bound`.
fn spec_for(bound: &BoundAddr) -> ListenSpec {
    let (address, raw) = match bound {
        BoundAddr::Unix(path) => (ListenAddr::Unix(path.clone()), path.display().to_string()),
        BoundAddr::Abstract(name) => {
            let name = String::from_utf8_lossy(name).into_owned();
            (ListenAddr::Abstract(name.clone()), format!("@{name}"))
        }
        BoundAddr::Tcp(addr) => (tcp(addr), addr.to_string()),
    };
    ListenSpec {
        protocol: Protocol::Uwsgi,
        address,
        option: "stdin".to_string(),
        raw,
    }
}

fn tcp(addr: &SocketAddr) -> ListenAddr {
    ListenAddr::Tcp {
        host: addr.ip().to_string(),
        port: addr.port(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_for_each_kind_of_address() {
        let spec = spec_for(&BoundAddr::Unix("/run/app.sock".into()));
        assert_eq!(spec.address, ListenAddr::Unix("/run/app.sock".into()));
        assert_eq!(
            (spec.protocol, spec.option.as_str(), spec.raw.as_str()),
            (Protocol::Uwsgi, "stdin", "/run/app.sock")
        );
        let v6: SocketAddr = "[::1]:8000".parse().expect("literal");
        let spec = spec_for(&BoundAddr::Tcp(v6));
        assert_eq!(
            spec.address,
            ListenAddr::Tcp {
                host: "::1".into(),
                port: 8000
            }
        );
        assert_eq!(spec.raw, "[::1]:8000");
        let spec = spec_for(&BoundAddr::Abstract(b"app".to_vec()));
        assert_eq!(
            (spec.address, spec.raw),
            (ListenAddr::Abstract("app".into()), "@app".to_string())
        );
    }
}
