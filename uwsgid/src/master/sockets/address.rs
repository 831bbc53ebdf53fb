//! Listen addresses: resolving a configured address to a socket address, and
//! describing the address a descriptor is actually bound to (for log lines
//! and for matching systemd-activated sockets).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, ToSocketAddrs};
use std::os::fd::RawFd;
use std::path::{Path, PathBuf};

use nix::sys::socket::{AddressFamily, SockaddrLike, SockaddrStorage, getsockname};

use super::SocketError;
use crate::config::ListenAddr;

/// The address a listen socket is bound to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BoundAddr {
    Unix(PathBuf),
    Abstract(Vec<u8>),
    Tcp(SocketAddr),
}

impl fmt::Display for BoundAddr {
    /// uWSGI's wording: `UNIX address /run/x.sock`, `TCP address 127.0.0.1:8000`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BoundAddr::Unix(path) => write!(f, "UNIX address {}", path.display()),
            BoundAddr::Abstract(name) => {
                write!(f, "UNIX address @{}", String::from_utf8_lossy(name))
            }
            BoundAddr::Tcp(addr) => write!(f, "TCP address {addr}"),
        }
    }
}

/// Resolves `host:port` as uWSGI does: an empty host (`:port`) or `*` means
/// every IPv4 interface; a literal address is used as is; a name is looked up
/// and its first address taken.
pub fn resolve_tcp(host: &str, port: u16) -> Result<SocketAddr, SocketError> {
    if host.is_empty() || host == "*" {
        return Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port));
    }
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, port));
    }
    let raw = format!("{host}:{port}");
    let mut found = (host, port)
        .to_socket_addrs()
        .map_err(|e| SocketError::Resolve(raw.clone(), e))?;
    found.next().ok_or_else(|| {
        SocketError::Resolve(
            raw,
            std::io::Error::new(std::io::ErrorKind::NotFound, "no address"),
        )
    })
}

/// The address `fd` is bound to, or `None` for a socket that is not a
/// unix or TCP socket.
pub fn bound_addr(fd: RawFd) -> Result<Option<BoundAddr>, SocketError> {
    let storage: SockaddrStorage =
        getsockname(fd).map_err(|e| SocketError::Sys("getsockname()", e))?;
    Ok(from_storage(&storage))
}

fn from_storage(storage: &SockaddrStorage) -> Option<BoundAddr> {
    match storage.family() {
        Some(AddressFamily::Unix) => {
            let unix = storage.as_unix_addr()?;
            if let Some(path) = unix.path() {
                Some(BoundAddr::Unix(path.to_path_buf()))
            } else {
                unix.as_abstract()
                    .map(|name| BoundAddr::Abstract(name.to_vec()))
            }
        }
        Some(AddressFamily::Inet) => storage
            .as_sockaddr_in()
            .map(|a| BoundAddr::Tcp(SocketAddr::V4((*a).into()))),
        Some(AddressFamily::Inet6) => storage
            .as_sockaddr_in6()
            .map(|a| BoundAddr::Tcp(SocketAddr::V6((*a).into()))),
        _ => None,
    }
}

/// Whether a socket bound at `actual` serves the configured `wanted` address
/// (used to adopt systemd-activated sockets). Relative unix paths are taken
/// relative to `cwd`; a wildcard TCP host matches a wildcard of either family.
pub fn same_address(wanted: &ListenAddr, actual: &BoundAddr, cwd: &Path) -> bool {
    match (wanted, actual) {
        (ListenAddr::Unix(path), BoundAddr::Unix(got)) => cwd.join(path) == *got,
        (ListenAddr::Abstract(name), BoundAddr::Abstract(got)) => name.as_bytes() == got.as_slice(),
        (ListenAddr::Tcp { host, port }, BoundAddr::Tcp(got)) => {
            if *port != got.port() {
                return false;
            }
            match resolve_tcp(host, *port) {
                Ok(want) if want.ip().is_unspecified() => got.ip().is_unspecified(),
                Ok(want) => want == *got,
                Err(_) => false,
            }
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sa(text: &str) -> SocketAddr {
        text.parse().expect("a literal socket address")
    }

    fn tcp(host: &str, port: u16) -> ListenAddr {
        ListenAddr::Tcp {
            host: host.into(),
            port,
        }
    }

    #[test]
    fn empty_and_star_hosts_are_every_ipv4_interface() {
        assert_eq!(resolve_tcp("", 80).ok(), Some(sa("0.0.0.0:80")));
        assert_eq!(
            resolve_tcp("*", 81).map(|a| a.to_string()).ok().as_deref(),
            Some("0.0.0.0:81")
        );
    }

    #[test]
    fn literal_v4_and_v6_hosts() {
        assert_eq!(
            resolve_tcp("127.0.0.1", 8000)
                .map(|a| a.to_string())
                .ok()
                .as_deref(),
            Some("127.0.0.1:8000")
        );
        assert_eq!(
            resolve_tcp("::1", 8000)
                .map(|a| a.to_string())
                .ok()
                .as_deref(),
            Some("[::1]:8000")
        );
    }

    #[test]
    fn display_is_uwsgi_wording() {
        assert_eq!(
            BoundAddr::Unix("/run/x.sock".into()).to_string(),
            "UNIX address /run/x.sock"
        );
        assert_eq!(
            BoundAddr::Abstract(b"app".to_vec()).to_string(),
            "UNIX address @app"
        );
        assert_eq!(
            BoundAddr::Tcp(sa("127.0.0.1:8000")).to_string(),
            "TCP address 127.0.0.1:8000"
        );
    }

    #[test]
    fn matching_activated_sockets() {
        let cwd = Path::new("/srv/app");
        let v4 = sa("127.0.0.1:8000");
        let any6 = sa("[::]:8000");
        assert!(same_address(
            &tcp("127.0.0.1", 8000),
            &BoundAddr::Tcp(v4),
            cwd
        ));
        assert!(!same_address(
            &tcp("127.0.0.1", 8001),
            &BoundAddr::Tcp(v4),
            cwd
        ));
        assert!(same_address(&tcp("", 8000), &BoundAddr::Tcp(any6), cwd));
        assert!(!same_address(&tcp("", 8000), &BoundAddr::Tcp(v4), cwd));
        let unix = ListenAddr::Unix("run/app.sock".into());
        assert!(same_address(
            &unix,
            &BoundAddr::Unix("/srv/app/run/app.sock".into()),
            cwd
        ));
        assert!(!same_address(
            &unix,
            &BoundAddr::Unix("/srv/other.sock".into()),
            cwd
        ));
        assert!(same_address(
            &ListenAddr::Abstract("a".into()),
            &BoundAddr::Abstract(b"a".to_vec()),
            cwd
        ));
        assert!(!same_address(
            &ListenAddr::Abstract("a".into()),
            &BoundAddr::Unix("a".into()),
            cwd
        ));
    }
}
