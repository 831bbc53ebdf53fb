//! The inherited listen sockets as tokio listeners, and the per-connection
//! facts (peer and local address) the environ needs.

use std::io;
use std::net::SocketAddr;

use tokio::net::{TcpListener, TcpStream, UnixListener, UnixStream};

use super::InheritedListener;
use super::cgi::ConnInfo;
use crate::config::{ListenAddr, Protocol};

/// One listen socket of the worker.
pub struct Listener {
    pub protocol: Protocol,
    pub kind: Kind,
    /// SERVER_NAME / SERVER_PORT of connections on this socket.
    base: ConnInfo,
}

pub enum Kind {
    Tcp(TcpListener),
    Unix(UnixListener),
}

/// An accepted connection.
pub enum Stream {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Listener {
    /// Adopts an inherited fd. Must run inside the runtime.
    pub fn adopt(inherited: InheritedListener) -> io::Result<Listener> {
        let InheritedListener { spec, fd } = inherited;
        let (kind, base) = match spec.address {
            ListenAddr::Tcp { .. } => {
                let std = std::net::TcpListener::from(fd);
                std.set_nonblocking(true)?;
                let local = std.local_addr()?;
                let base = ConnInfo {
                    server_name: local.ip().to_canonical().to_string(),
                    server_port: local.port().to_string(),
                    ..ConnInfo::default()
                };
                (Kind::Tcp(TcpListener::from_std(std)?), base)
            }
            ListenAddr::Unix(_) | ListenAddr::Abstract(_) => {
                let std = std::os::unix::net::UnixListener::from(fd);
                std.set_nonblocking(true)?;
                let base = ConnInfo {
                    server_name: "localhost".to_owned(),
                    ..ConnInfo::default()
                };
                (Kind::Unix(UnixListener::from_std(std)?), base)
            }
        };
        Ok(Listener {
            protocol: spec.protocol,
            kind,
            base,
        })
    }

    /// Accepts one connection (cancel-safe).
    pub async fn accept(&self) -> io::Result<(Stream, ConnInfo)> {
        match &self.kind {
            Kind::Tcp(l) => {
                let (stream, peer) = l.accept().await?;
                // Responses go out in one write; do not let Nagle hold them.
                let _ = stream.set_nodelay(true);
                Ok((Stream::Tcp(stream), self.info(Some(peer))))
            }
            Kind::Unix(l) => {
                let (stream, _) = l.accept().await?;
                Ok((Stream::Unix(stream), self.info(None)))
            }
        }
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
