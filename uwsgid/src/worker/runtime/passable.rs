//! An HTTP connection that can be passed to another worker at a request
//! boundary (`handoff.rs`): the I/O under hyper, which first yields the
//! bytes a previous worker had read of the connection, and skips the
//! shutdown hyper makes at the end when the connection is being passed on
//! (the peer must not see a FIN: the connection lives on in a sibling).
//!
//! [`PassState`] is what the connection's task and its requests share:
//! whether the connection is idle between requests and may be passed on,
//! and whether it is being passed on. A connection is idle once a
//! response is over ([`track`]) after a request that leaves nothing unread
//! and keeps the connection open ([`reusable`]).

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use bytes::{Buf, Bytes};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::header::{CONNECTION, HeaderMap};
use hyper::{Request, Response, Version};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Shared by a connection's task and its requests.
#[derive(Debug, Default)]
pub struct PassState {
    /// Between requests, after one whose framing lets the connection be
    /// reused: nothing of a request is in flight.
    idle: AtomicBool,
    /// The connection is leaving hyper to be passed on.
    passing: AtomicBool,
}

impl PassState {
    /// A request was read: the connection is busy until its response is
    /// over.
    pub fn busy(&self) {
        self.idle.store(false, Ordering::Release);
    }

    /// A response is over, and the connection stays open after it.
    pub fn idle(&self) {
        self.idle.store(true, Ordering::Release);
    }

    pub fn is_idle(&self) -> bool {
        self.idle.load(Ordering::Acquire)
    }

    /// From now on hyper's closing of the connection leaves the socket open.
    pub fn start_passing(&self) {
        self.passing.store(true, Ordering::Release);
    }

    /// Passing failed: the connection is served here again.
    pub fn stop_passing(&self) {
        self.passing.store(false, Ordering::Release);
    }

    fn is_passing(&self) -> bool {
        self.passing.load(Ordering::Acquire)
    }
}

/// The I/O under hyper (see the module).
pub struct Passable<S> {
    inner: S,
    /// Read before `inner`: what another worker had read of the connection.
    prefix: Bytes,
    state: Arc<PassState>,
}

impl<S> Passable<S> {
    pub fn new(inner: S, prefix: Bytes, state: Arc<PassState>) -> Self {
        Passable {
            inner,
            prefix,
            state,
        }
    }

    /// Serves `prefix` first again (passing it on failed, and hyper gave
    /// back what it had read).
    pub fn rewind(&mut self, prefix: Bytes) {
        self.prefix = prefix;
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Passable<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.prefix.is_empty() {
            return Pin::new(&mut this.inner).poll_read(cx, buf);
        }
        let n = this.prefix.len().min(buf.remaining());
        buf.put_slice(&this.prefix[..n]);
        this.prefix.advance(n);
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Passable<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.state.is_passing() {
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

/// After this request the connection can stay open with nothing of it
/// unread: no body (an app may leave one unread, which hyper then drops
/// with the connection) and keep-alive asked for or implied.
pub fn reusable(req: &Request<Incoming>) -> bool {
    let headers = req.headers();
    req.body().is_end_stream()
        && !has_token(headers, "close")
        && match req.version() {
            Version::HTTP_11 => true,
            Version::HTTP_10 => has_token(headers, "keep-alive"),
            _ => false,
        }
}

/// A `Connection` header names `token`.
fn has_token(headers: &HeaderMap, token: &str) -> bool {
    headers.get_all(CONNECTION).iter().any(|value| {
        value.to_str().is_ok_and(|value| {
            value
                .split(',')
                .any(|t| t.trim().eq_ignore_ascii_case(token))
        })
    })
}

/// The response to a request, marking the connection idle once hyper is
/// done with its body, when the request was [`reusable`] and the response
/// does not close the connection.
pub fn track<B>(resp: Response<B>, reusable: bool, state: Arc<PassState>) -> Response<Tracked<B>> {
    let idle = (reusable && !has_token(resp.headers(), "close")).then_some(state);
    resp.map(|body| Tracked { body, idle })
}

/// A response body that marks its connection idle when hyper drops it
/// (after its last frame).
pub struct Tracked<B> {
    body: B,
    idle: Option<Arc<PassState>>,
}

impl<B: Body + Unpin> Body for Tracked<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<B::Data>, B::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

impl<B> Drop for Tracked<B> {
    fn drop(&mut self) {
        if let Some(state) = &self.idle {
            state.idle();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn the_prefix_comes_first_then_the_stream() {
        let (client, mut server) = tokio::io::duplex(64);
        let state = Arc::new(PassState::default());
        let mut io = Passable::new(client, Bytes::from_static(b"GET "), state);
        assert!(server.write_all(b"/ HTTP/1.1").await.is_ok());
        let mut got = [0u8; 14];
        assert!(io.read_exact(&mut got).await.is_ok());
        assert_eq!(&got, b"GET / HTTP/1.1");
    }

    #[tokio::test]
    async fn a_connection_being_passed_is_not_shut_down() {
        let (client, mut server) = tokio::io::duplex(64);
        let state = Arc::new(PassState::default());
        let mut io = Passable::new(client, Bytes::new(), Arc::clone(&state));
        state.start_passing();
        assert!(io.shutdown().await.is_ok());
        assert!(io.write_all(b"still open").await.is_ok());
        let mut got = [0u8; 10];
        assert!(server.read_exact(&mut got).await.is_ok());
        state.stop_passing();
        assert!(io.shutdown().await.is_ok());
        assert_eq!(server.read(&mut got).await.ok(), Some(0));
    }
}
