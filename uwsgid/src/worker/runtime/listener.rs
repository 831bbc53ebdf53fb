//! The inherited listen sockets, and the per-connection facts (peer and
//! local address) the environ needs.
//!
//! A listener is watched for readiness ([`Listener::ready`]) apart from the
//! `accept` itself ([`Listener::try_accept`]), so the accept loop can tell
//! "a connection is waiting" from "take it": a worker whose Python threads
//! are all busy leaves a waiting connection in the listen queue, for an
//! idle sibling worker to take it (`serve.rs`). The uwsgi sockets stay out
//! of the runtime ([`Socket`]): idle Python threads poll and accept on
//! them (`idle.rs`); busy ones do not.

use std::io::{self, Write};
use std::mem::{MaybeUninit, size_of};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::net::UnixStream;

use bytes::BytesMut;
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

use crate::config::ListenAddr;
use crate::contract::InheritedListener;
use crate::protocol::cgi::ConnInfo;

/// One listen socket of the worker, not registered with the runtime:
/// what an idle Python thread polls and accepts on itself (`idle.rs`).
pub struct Socket {
    fd: OwnedFd,
    tcp: bool,
    /// SERVER_NAME / SERVER_PORT of connections on this socket.
    base: ConnInfo,
}

/// A listen socket watched by the runtime (the HTTP sockets).
pub struct Listener {
    fd: AsyncFd<Socket>,
}

/// An accepted connection, not yet registered with the runtime: a front
/// that can serve it with non-blocking calls alone (a whole uwsgi request
/// already there) saves the registration.
pub enum Stream {
    Tcp(std::net::TcpStream),
    Unix(UnixStream),
}

/// A connection registered with the runtime.
pub enum Registered {
    Tcp(tokio::net::TcpStream),
    Unix(tokio::net::UnixStream),
}

impl AsFd for Stream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        match self {
            Stream::Tcp(s) => s.as_fd(),
            Stream::Unix(s) => s.as_fd(),
        }
    }
}

impl Stream {
    fn fd(&self) -> i32 {
        match self {
            Stream::Tcp(s) => s.as_raw_fd(),
            Stream::Unix(s) => s.as_raw_fd(),
        }
    }

    /// A connection passed from another worker (`handoff.rs`): TCP or unix
    /// by its socket's domain. It is already non-blocking and, for TCP,
    /// without Nagle: those flags belong to the socket, which the sender's
    /// `accept4` set up.
    pub fn from_fd(fd: OwnedFd) -> io::Result<Stream> {
        let mut domain: libc::c_int = 0;
        let mut len = size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: SO_DOMAIN writes one c_int into `domain`, of `len` bytes.
        let rc = unsafe {
            libc::getsockopt(
                fd.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_DOMAIN,
                (&raw mut domain).cast(),
                &raw mut len,
            )
        };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(match domain {
            libc::AF_INET | libc::AF_INET6 => Stream::Tcp(std::net::TcpStream::from(fd)),
            libc::AF_UNIX => Stream::Unix(UnixStream::from(fd)),
            other => {
                return Err(io::Error::other(format!(
                    "a passed socket of domain {other}"
                )));
            }
        })
    }

    /// One non-blocking read into the spare capacity of `buf`.
    pub fn read_now(&self, buf: &mut BytesMut) -> io::Result<usize> {
        let spare = buf.spare_capacity_mut();
        // SAFETY: reads at most `spare.len()` bytes into memory `buf` owns.
        let n = unsafe { libc::read(self.fd(), spare.as_mut_ptr().cast(), spare.len()) };
        let n = usize::try_from(n).map_err(|_| io::Error::last_os_error())?;
        // SAFETY: the kernel initialised the first `n` spare bytes.
        unsafe { buf.set_len(buf.len() + n) };
        Ok(n)
    }

    /// One non-blocking write.
    pub fn write_now(&self, data: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => (&*s).write(data),
            Stream::Unix(s) => (&*s).write(data),
        }
    }

    /// Registers the connection with the runtime (must run inside it).
    pub fn register(self) -> io::Result<Registered> {
        Ok(match self {
            Stream::Tcp(s) => Registered::Tcp(tokio::net::TcpStream::from_std(s)?),
            Stream::Unix(s) => Registered::Unix(tokio::net::UnixStream::from_std(s)?),
        })
    }
}

impl AsRawFd for Socket {
    fn as_raw_fd(&self) -> i32 {
        self.fd.as_raw_fd()
    }
}

impl AsFd for Socket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl Socket {
    /// Takes an inherited fd, non-blocking.
    pub fn open(inherited: InheritedListener) -> io::Result<Socket> {
        let InheritedListener { spec, fd } = inherited;
        let (fd, tcp, base) = match spec.address {
            ListenAddr::Tcp { .. } => {
                let std = std::net::TcpListener::from(fd);
                std.set_nonblocking(true)?;
                let local = std.local_addr()?;
                let base = ConnInfo {
                    server_name: local.ip().to_canonical().to_string(),
                    server_port: local.port().to_string(),
                    ..ConnInfo::default()
                };
                (OwnedFd::from(std), true, base)
            }
            ListenAddr::Unix(_) | ListenAddr::Abstract(_) => {
                let std = std::os::unix::net::UnixListener::from(fd);
                std.set_nonblocking(true)?;
                let base = ConnInfo {
                    server_name: "localhost".to_owned(),
                    ..ConnInfo::default()
                };
                (OwnedFd::from(std), false, base)
            }
        };
        Ok(Socket { fd, tcp, base })
    }

    /// Accepts one waiting connection without blocking; `None` when there
    /// is none (another thread or worker took it).
    pub fn accept_now(&self) -> io::Result<Option<(Stream, ConnInfo)>> {
        match self.accept_raw() {
            Ok(conn) => Ok(Some(conn)),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// One accepted connection, or the error of `accept4` (`WouldBlock`
    /// when the queue is empty); connections the peer gave up while queued
    /// are skipped.
    fn accept_raw(&self) -> io::Result<(Stream, ConnInfo)> {
        let (fd, peer) = loop {
            match accept(&self.fd, self.tcp) {
                Ok(conn) => break conn,
                Err(e) if e.raw_os_error() == Some(libc::ECONNABORTED) => continue,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        };
        let stream = if self.tcp {
            let stream = std::net::TcpStream::from(fd);
            // Responses go out in one write; do not let Nagle hold them.
            let _ = stream.set_nodelay(true);
            Stream::Tcp(stream)
        } else {
            Stream::Unix(UnixStream::from(fd))
        };
        Ok((stream, self.info(peer)))
    }

    fn info(&self, peer: Option<SocketAddr>) -> ConnInfo {
        let mut info = self.base.clone();
        if let Some(peer) = peer {
            info.remote_addr = peer.ip().to_canonical().to_string();
            info.remote_port = peer.port().to_string();
        }
        info
    }
}

impl Listener {
    /// Adopts an inherited fd. Must run inside the runtime.
    pub fn adopt(inherited: InheritedListener) -> io::Result<Listener> {
        let socket = Socket::open(inherited)?;
        // SAFETY: the socket owns its fd, which nothing replaces or closes
        // while the AsyncFd holds it.
        let fd = unsafe { AsyncFd::register_with_interest(socket, Interest::READABLE)? };
        Ok(Listener { fd })
    }

    /// Resolves once a connection may be waiting (cancel-safe; consumes
    /// nothing: the readiness stays until an accept finds the queue empty).
    pub async fn ready(&self) -> io::Result<()> {
        self.fd.readable().await.map(drop)
    }

    /// Accepts one waiting connection without blocking; `None` when there
    /// is none (another worker took it), which clears the readiness.
    pub fn try_accept(&self) -> io::Result<Option<(Stream, ConnInfo)>> {
        match self
            .fd
            .try_io(Interest::READABLE, |socket| socket.accept_raw())
        {
            Ok(conn) => Ok(Some(conn)),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// `accept4(2)` straight to a non-blocking, close-on-exec socket (no
/// `fcntl` after it), with the peer's address for TCP.
fn accept(listener: &OwnedFd, tcp: bool) -> io::Result<(OwnedFd, Option<SocketAddr>)> {
    let mut storage = MaybeUninit::<libc::sockaddr_storage>::zeroed();
    let mut len = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    // SAFETY: `storage` is a writable sockaddr_storage of `len` bytes; the
    // returned fd, when valid, is new and owned by nobody else.
    let raw = unsafe {
        libc::accept4(
            listener.as_raw_fd(),
            storage.as_mut_ptr().cast(),
            &raw mut len,
            libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
        )
    };
    if raw < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: accept4 returned a fresh descriptor.
    let fd = unsafe { OwnedFd::from_raw_fd(raw) };
    // SAFETY: zero-initialised and possibly filled in by accept4.
    let storage = unsafe { storage.assume_init() };
    Ok((fd, if tcp { peer_addr(&storage) } else { None }))
}

/// The IPv4/IPv6 address in a `sockaddr_storage`.
fn peer_addr(storage: &libc::sockaddr_storage) -> Option<SocketAddr> {
    match i32::from(storage.ss_family) {
        libc::AF_INET => {
            // SAFETY: the family says this storage holds a sockaddr_in,
            // which is smaller than and aligned within sockaddr_storage.
            let sin = unsafe { &*std::ptr::from_ref(storage).cast::<libc::sockaddr_in>() };
            let ip = Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr));
            Some(SocketAddr::V4(SocketAddrV4::new(
                ip,
                u16::from_be(sin.sin_port),
            )))
        }
        libc::AF_INET6 => {
            // SAFETY: as above, for sockaddr_in6.
            let sin6 = unsafe { &*std::ptr::from_ref(storage).cast::<libc::sockaddr_in6>() };
            let ip = Ipv6Addr::from(sin6.sin6_addr.s6_addr);
            Some(SocketAddr::V6(SocketAddrV6::new(
                ip,
                u16::from_be(sin6.sin6_port),
                sin6.sin6_flowinfo,
                sin6.sin6_scope_id,
            )))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_addresses_from_sockaddr_storage() {
        // SAFETY: an all-zero sockaddr_storage is valid.
        let mut storage: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
        {
            // SAFETY: sockaddr_in fits in sockaddr_storage.
            let sin = unsafe { &mut *std::ptr::from_mut(&mut storage).cast::<libc::sockaddr_in>() };
            sin.sin_family = libc::AF_INET as libc::sa_family_t;
            sin.sin_port = 8080u16.to_be();
            sin.sin_addr.s_addr = u32::from(Ipv4Addr::new(127, 0, 0, 1)).to_be();
        }
        assert_eq!(
            peer_addr(&storage),
            Some("127.0.0.1:8080".parse().expect("an address"))
        );
        storage.ss_family = libc::AF_UNIX as libc::sa_family_t;
        assert_eq!(peer_addr(&storage), None);
    }
}
