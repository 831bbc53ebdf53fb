//! Request bodies as the WSGI side sees them: a source of chunks, read on
//! demand (streaming), or buffered before the call (`post-buffering`).
//!
//! The streaming sources are polled on the worker's tokio runtime; a Python
//! thread reads them with [`BodySource::next_blocking`], which it calls
//! without the GIL.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, Read};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::runtime::Handle;

use super::read_ahead::Reserved;
use crate::protocol::request::RequestHead;

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
    /// A body read whole on the runtime before the call (`read_ahead.rs`),
    /// in the chunks it came in, holding its share of the worker's
    /// read-ahead budget until it is dropped.
    Ahead {
        chunks: VecDeque<Bytes>,
        reserved: Reserved,
    },
    /// An HTTP body, framed by hyper (Content-Length or chunked), of which
    /// `left` more bytes are allowed (`limit-post`; `u64::MAX` without a
    /// limit): past them reading fails with [`BodyFault::TooLarge`].
    Http {
        body: Incoming,
        timeout: Duration,
        left: u64,
    },
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
            BodySource::Ahead { .. } => "Ahead",
            BodySource::Http { .. } => "Http",
            BodySource::Raw { .. } => "Raw",
        };
        f.write_str(kind)
    }
}

fn timed_out() -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, "timeout reading the request body")
}

/// A request body the client got wrong: answered with a 4xx and a closed
/// connection, never blamed on the app (see [`BodyFault::of`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFault {
    /// Bad framing: an invalid chunk size line, a chunk size that
    /// overflows, a missing CRLF (400).
    Malformed,
    /// The peer closed before the end of the body (400: an answer it may
    /// still read if it only shut down its sending side).
    Truncated,
    /// The body grew past `limit-post` (413).
    TooLarge,
}

impl BodyFault {
    /// The status that answers it.
    pub fn status(self) -> u16 {
        match self {
            BodyFault::Malformed | BodyFault::Truncated => 400,
            BodyFault::TooLarge => 413,
        }
    }

    /// The fault an error of [`BodySource::next_async`] carries, if it is
    /// the client's (a timeout is not classified: it stays a server-side
    /// 500, as it was).
    pub fn of(err: &io::Error) -> Option<BodyFault> {
        err.get_ref()
            .and_then(|e| e.downcast_ref::<FaultError>())
            .map(|e| e.fault)
    }

    fn error(self, detail: impl std::fmt::Display) -> io::Error {
        let kind = match self {
            BodyFault::Truncated => io::ErrorKind::UnexpectedEof,
            BodyFault::Malformed | BodyFault::TooLarge => io::ErrorKind::InvalidData,
        };
        io::Error::new(
            kind,
            FaultError {
                fault: self,
                message: detail.to_string(),
            },
        )
    }
}

/// The payload of an [`io::Error`] that carries a [`BodyFault`].
#[derive(Debug)]
struct FaultError {
    fault: BodyFault,
    message: String,
}

impl std::fmt::Display for FaultError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for FaultError {}

/// A hyper body error as a fault: the connection ended early, or the
/// framing is invalid.
fn hyper_fault(err: &hyper::Error) -> io::Error {
    // hyper's message is generic ("error reading a body from connection");
    // the cause says what was wrong.
    let cause = std::error::Error::source(err).map_or_else(String::new, |c| format!(": {c}"));
    if err.is_incomplete_message() {
        BodyFault::Truncated.error(format!("the request body was cut short: {err}{cause}"))
    } else {
        BodyFault::Malformed.error(format!("invalid request body: {err}{cause}"))
    }
}

/// The error of a body past `limit-post`.
pub fn too_large() -> io::Error {
    BodyFault::TooLarge.error("the request body is larger than limit-post")
}

/// The log line refusing a request whose declared body is over
/// `limit-post` (0 = no limit), if it is.
pub fn over_limit_post(head: &RequestHead, limit: u64) -> Option<String> {
    let length = head.content_length()?;
    (limit > 0 && length > limit).then(|| {
        format!(
            "refused {} {}: CONTENT_LENGTH {length} over limit-post ({limit} bytes) (413)",
            head.get("REQUEST_METHOD").unwrap_or(""),
            head.get("PATH_INFO").unwrap_or("")
        )
    })
}

/// What `limit-post` allows of a body, as [`BodySource::Http`] counts it.
pub fn allowed(limit_post: u64) -> u64 {
    if limit_post == 0 {
        u64::MAX
    } else {
        limit_post
    }
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

    /// How many bytes are left, when that is known exactly: a read of the
    /// whole body can then fill one buffer of that size.
    pub fn exact_left(&self) -> Option<u64> {
        match self {
            BodySource::Empty => Some(0),
            BodySource::Memory(b) => Some(b.len() as u64),
            BodySource::Ahead { chunks, .. } => Some(chunks.iter().map(|c| c.len() as u64).sum()),
            BodySource::Http { body, .. } => hyper::body::Body::size_hint(body).exact(),
            BodySource::Raw { remaining, .. } => Some(*remaining),
            BodySource::File(_) => None,
        }
    }

    /// The next chunk for the in-memory and file sources.
    fn next_sync(&mut self) -> io::Result<Option<Bytes>> {
        match self {
            BodySource::Memory(b) if !b.is_empty() => Ok(Some(std::mem::take(b))),
            BodySource::Ahead { chunks, .. } => Ok(chunks.pop_front()),
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
            BodySource::Http {
                body,
                timeout,
                left,
            } => loop {
                let frame = match tokio::time::timeout(*timeout, body.frame()).await {
                    Err(_) => return Err(timed_out()),
                    Ok(None) => return Ok(None),
                    Ok(Some(frame)) => frame.map_err(|e| hyper_fault(&e))?,
                };
                if let Ok(data) = frame.into_data()
                    && !data.is_empty()
                {
                    *left = left.checked_sub(data.len() as u64).ok_or_else(too_large)?;
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
                    // A reset: the peer went away mid-body.
                    Ok(r) => r.map_err(|e| BodyFault::Truncated.error(e))?,
                };
                if n == 0 {
                    return Err(BodyFault::Truncated.error(
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
        let err = collect(raw(b"ab", b"c", 10)).await.err();
        assert_eq!(
            err.as_ref().map(|e| e.kind()),
            Some(io::ErrorKind::UnexpectedEof)
        );
        let fault = err.as_ref().and_then(BodyFault::of);
        assert_eq!(fault, Some(BodyFault::Truncated));
        assert_eq!(fault.map(BodyFault::status), Some(400));
    }

    #[test]
    fn faults_are_told_from_other_errors() {
        let err = too_large();
        assert_eq!(BodyFault::of(&err), Some(BodyFault::TooLarge));
        assert_eq!(BodyFault::TooLarge.status(), 413);
        assert!(err.to_string().contains("limit-post"), "{err}");
        assert_eq!((allowed(0), allowed(1000)), (u64::MAX, 1000));
        assert_eq!(BodyFault::of(&timed_out()), None);
        assert_eq!(BodyFault::of(&io::Error::other("disk")), None);
    }

    #[tokio::test]
    async fn memory_and_empty_bodies() {
        let body = collect(BodySource::Memory(Bytes::from_static(b"xyz"))).await;
        assert_eq!(body.ok(), Some(b"xyz".to_vec()));
        assert_eq!(collect(BodySource::Empty).await.ok(), Some(Vec::new()));
    }
}
