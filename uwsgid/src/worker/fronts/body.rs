//! Request bodies as the WSGI side sees them: a source of chunks, read on
//! demand (streaming), or buffered before the call (`post-buffering`).
//!
//! The streaming sources are polled on the worker's tokio runtime; a Python
//! thread reads them with [`BodySource::next_blocking`], which it calls
//! without the GIL.

use std::fs::File;
use std::io::{self, Read};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::runtime::Handle;

/// How much one read of a streamed or buffered body asks for.
pub const CHUNK: usize = 64 * 1024;

/// Where the bytes of a request body come from.
pub enum BodySource {
    /// No body.
    Empty,
    /// A body read completely into memory (`post-buffering`).
    Memory(Bytes),
    /// A body read completely into a temporary file (`post-buffering`).
    File(File),
    /// An HTTP body, framed by hyper (Content-Length or chunked).
    Http { body: Incoming, timeout: Duration },
    /// A uwsgi-protocol body: `remaining` raw bytes of the connection,
    /// starting with the bytes read together with the vars block.
    Raw {
        prefix: Bytes,
        reader: Box<dyn AsyncRead + Send + Unpin>,
        remaining: u64,
        timeout: Duration,
    },
}

impl std::fmt::Debug for BodySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self {
            BodySource::Empty => "Empty",
            BodySource::Memory(_) => "Memory",
            BodySource::File(_) => "File",
            BodySource::Http { .. } => "Http",
            BodySource::Raw { .. } => "Raw",
        };
        f.write_str(kind)
    }
}

fn timed_out() -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, "timeout reading the request body")
}

impl BodySource {
    /// The next chunk of the body, `None` at its end. Blocks: call it
    /// without the GIL, never from a runtime thread.
    pub fn next_blocking(&mut self, rt: &Handle) -> io::Result<Option<Bytes>> {
        match self {
            BodySource::Http { .. } | BodySource::Raw { .. } => rt.block_on(self.next_async()),
            _ => self.next_sync(),
        }
    }

    /// The next chunk for the in-memory and file sources.
    fn next_sync(&mut self) -> io::Result<Option<Bytes>> {
        match self {
            BodySource::Memory(b) if !b.is_empty() => Ok(Some(std::mem::take(b))),
            BodySource::File(f) => {
                let mut buf = BytesMut::zeroed(CHUNK);
                let n = f.read(&mut buf)?;
                buf.truncate(n);
                Ok((n > 0).then(|| buf.freeze()))
            }
            _ => Ok(None),
        }
    }

    /// The next chunk, read on the runtime (socket-timeout per read).
    pub async fn next_async(&mut self) -> io::Result<Option<Bytes>> {
        match self {
            BodySource::Http { body, timeout } => loop {
                let frame = match tokio::time::timeout(*timeout, body.frame()).await {
                    Err(_) => return Err(timed_out()),
                    Ok(None) => return Ok(None),
                    Ok(Some(frame)) => frame.map_err(io::Error::other)?,
                };
                if let Ok(data) = frame.into_data()
                    && !data.is_empty()
                {
                    return Ok(Some(data));
                }
            },
            BodySource::Raw {
                prefix,
                reader,
                remaining,
                timeout,
            } => {
                if *remaining == 0 {
                    return Ok(None);
                }
                if !prefix.is_empty() {
                    let n = prefix
                        .len()
                        .min(usize::try_from(*remaining).unwrap_or(usize::MAX));
                    let chunk = prefix.split_to(n);
                    *prefix = Bytes::new();
                    *remaining -= n as u64;
                    return Ok(Some(chunk));
                }
                let want = usize::try_from(*remaining).unwrap_or(CHUNK).min(CHUNK);
                let mut buf = BytesMut::with_capacity(want);
                let n = match tokio::time::timeout(*timeout, reader.read_buf(&mut buf)).await {
                    Err(_) => return Err(timed_out()),
                    Ok(r) => r?,
                };
                if n == 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the client closed the connection before the end of the request body",
                    ));
                }
                *remaining -= n as u64;
                Ok(Some(buf.freeze()))
            }
            _ => self.next_sync(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(prefix: &'static [u8], rest: &'static [u8], remaining: u64) -> BodySource {
        BodySource::Raw {
            prefix: Bytes::from_static(prefix),
            reader: Box::new(std::io::Cursor::new(rest)),
            remaining,
            timeout: Duration::from_secs(1),
        }
    }

    async fn collect(mut src: BodySource) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        while let Some(chunk) = src.next_async().await? {
            out.extend_from_slice(&chunk);
        }
        Ok(out)
    }

    #[tokio::test]
    async fn raw_body_starts_with_the_prefix_and_stops_at_its_length() {
        let body = collect(raw(b"abc", b"defgh-next", 8)).await;
        assert_eq!(body.ok(), Some(b"abcdefgh".to_vec()));
        // A prefix longer than the body is cut (bytes past it are not the body's).
        let body = collect(raw(b"abcdef", b"", 4)).await;
        assert_eq!(body.ok(), Some(b"abcd".to_vec()));
    }

    #[tokio::test]
    async fn raw_body_cut_short_is_an_error() {
        let err = collect(raw(b"ab", b"c", 10)).await.err().map(|e| e.kind());
        assert_eq!(err, Some(io::ErrorKind::UnexpectedEof));
    }

    #[tokio::test]
    async fn memory_and_empty_bodies() {
        let body = collect(BodySource::Memory(Bytes::from_static(b"xyz"))).await;
        assert_eq!(body.ok(), Some(b"xyz".to_vec()));
        assert_eq!(collect(BodySource::Empty).await.ok(), Some(Vec::new()));
    }
}
