//! `enable-proxy-protocol` / `http-enable-proxy-protocol` on an HTTP
//! socket: the PROXY header (v1 as uWSGI reads it, v2 too) read before the
//! request, its source address becoming `REMOTE_ADDR`/`REMOTE_PORT`. A
//! connection without one is served with the peer's address, as uWSGI
//! does; a malformed one is closed, as the PROXY specification requires.

use std::io;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt};

use crate::protocol::cgi::ConnInfo;
use crate::protocol::proxy_header::{self, PROBE_LEN, Parsed};

/// The most a v2 header can hold (its length is 16 bits).
const MAX_HEADER: usize = 16 + u16::MAX as usize;

/// Reads the header at the start of `io` within `timeout`, puts its source
/// into `info`, and returns what was read past it (the request's first
/// bytes, for the HTTP front). An error names why the connection is
/// refused (malformed header, timeout, the client went away).
pub async fn read<S: AsyncRead + Unpin>(
    io: &mut S,
    info: &mut ConnInfo,
    timeout: Duration,
) -> io::Result<Bytes> {
    tokio::time::timeout(timeout, read_header(io, info))
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "no PROXY header in time"))?
}

async fn read_header<S: AsyncRead + Unpin>(io: &mut S, info: &mut ConnInfo) -> io::Result<Bytes> {
    let mut buf = BytesMut::with_capacity(512);
    loop {
        match proxy_header::parse(&buf) {
            Parsed::Absent => return Ok(buf.freeze()),
            Parsed::Header { source, len } => {
                if let Some(addr) = source.addr {
                    info.remote_addr = addr;
                }
                if let Some(port) = source.port {
                    info.remote_port = port.to_string();
                }
                return Ok(buf.split_off(len).freeze());
            }
            Parsed::Invalid(why) => return Err(io::Error::new(io::ErrorKind::InvalidData, why)),
            Parsed::Incomplete if buf.len() >= MAX_HEADER => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "PROXY header too long",
                ));
            }
            Parsed::Incomplete => {
                buf.reserve(PROBE_LEN);
                if io.read_buf(&mut buf).await? == 0 {
                    return Err(io::ErrorKind::UnexpectedEof.into());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info() -> ConnInfo {
        ConnInfo {
            remote_addr: "127.0.0.1".into(),
            remote_port: "5000".into(),
            server_name: "127.0.0.1".into(),
            server_port: "80".into(),
        }
    }

    async fn run(input: &[u8]) -> (io::Result<Bytes>, ConnInfo) {
        let mut info = info();
        let mut io = input;
        let rest = read(&mut io, &mut info, Duration::from_secs(1)).await;
        (rest, info)
    }

    #[tokio::test]
    async fn a_header_names_the_client_and_the_rest_is_the_request() {
        let (rest, info) = run(b"PROXY TCP4 1.2.3.4 5.6.7.8 1111 80\r\nGET / HTTP/1.1\r\n").await;
        assert_eq!(rest.expect("read").as_ref(), b"GET / HTTP/1.1\r\n");
        assert_eq!(
            (info.remote_addr.as_str(), info.remote_port.as_str()),
            ("1.2.3.4", "1111")
        );
    }

    #[tokio::test]
    async fn without_a_header_the_peer_stays() {
        let (rest, info) = run(b"GET / HTTP/1.1\r\n").await;
        assert_eq!(rest.expect("read").as_ref(), b"GET / HTTP/1.1\r\n");
        assert_eq!(info.remote_addr, "127.0.0.1");
    }

    #[tokio::test]
    async fn a_bad_or_cut_header_is_an_error() {
        assert!(run(b"PROXY nonsense\r\n").await.0.is_err());
        assert!(run(b"PROXY TCP4 1.2.3.4").await.0.is_err());
    }
}
