//! Sending a static answer and logging it.
//!
//! - uwsgi connections (nginx's `uwsgi_pass`): the head, then the body with
//!   `sendfile(2)` on the registered socket, waiting for writability on
//!   the runtime (within `socket-timeout`); one request per connection,
//!   then close. A request an idle Python thread read itself
//!   (`runtime/idle.rs`) is handed to the runtime for this
//!   ([`spawn_uwsgi`]): the Python thread goes back to waiting at once and
//!   no static body, however large, holds it.
//! - HTTP connections: hyper owns the connection, so the body goes through
//!   hyper's body: a file up to [`CHUNK`] is read at once, a larger one in
//!   [`CHUNK`]s by a task (see `docs/compatibility.md`).

use std::future::Future;
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::FileExt;
use std::sync::Arc;
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncWrite, AsyncWriteExt, Interest};
use tokio::sync::mpsc;

use super::answer::{Answer, Body};
use super::{Found, find, server};
use crate::log::log_line;
use crate::protocol::request::RequestHead;
use crate::protocol::response::{ResponseHead, encode_head};
use crate::worker::fronts::event::Event;
use crate::worker::fronts::uwsgi::response_protocol;
use crate::worker::logging::request_log::{Entry, RequestLog};
use crate::worker::runtime::context::WorkerCtx;
use crate::worker::runtime::listener::{Registered, Stream};

/// The largest piece of a file read at once for an HTTP response.
const CHUNK: u64 = 64 * 1024;

/// The largest count passed to one `sendfile(2)`.
const SENDFILE_MAX: u64 = 1 << 30;

/// A socket a file can be sent to with `sendfile(2)`.
pub trait SendFile: AsyncWrite + Unpin + Send {
    /// Sends up to `count` bytes of `file` from `*offset` (advanced by the
    /// kernel) once the socket takes more.
    fn send_file<'a>(
        &'a self,
        file: &'a std::fs::File,
        offset: &'a mut libc::off_t,
        count: usize,
    ) -> impl Future<Output = io::Result<usize>> + Send + 'a;
}

macro_rules! send_file_for {
    ($stream:ty) => {
        impl SendFile for $stream {
            fn send_file<'a>(
                &'a self,
                file: &'a std::fs::File,
                offset: &'a mut libc::off_t,
                count: usize,
            ) -> impl Future<Output = io::Result<usize>> + Send + 'a {
                async move {
                    loop {
                        self.writable().await?;
                        let sent = self.try_io(Interest::WRITABLE, || {
                            sendfile(self.as_raw_fd(), file, &mut *offset, count)
                        });
                        match sent {
                            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                            other => return other,
                        }
                    }
                }
            }
        }
    };
}

send_file_for!(tokio::net::TcpStream);
send_file_for!(tokio::net::UnixStream);

fn sendfile(
    socket: i32,
    file: &std::fs::File,
    offset: &mut libc::off_t,
    count: usize,
) -> io::Result<usize> {
    // SAFETY: two descriptors the caller keeps open, and an offset it owns.
    let n = unsafe { libc::sendfile(socket, file.as_raw_fd(), offset, count) };
    usize::try_from(n).map_err(|_| io::Error::last_os_error())
}

/// Answers a uwsgi-protocol request with the file found, then closes.
pub async fn send_uwsgi<S: SendFile>(
    ctx: &WorkerCtx,
    mut stream: S,
    head: &RequestHead,
    found: Found,
    started: Instant,
) {
    let answer = server(&ctx.cfg.static_files).answer(found, head);
    let mut out = Vec::with_capacity(answer.head.wire_size());
    encode_head(&response_protocol(head), &answer.head, &mut out);
    let timeout = ctx.socket_timeout;
    let sent = async {
        tokio::time::timeout(timeout, stream.write_all(&out))
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "write timed out"))??;
        let Some(body) = &answer.body else {
            return Ok(0);
        };
        let mut offset = libc::off_t::try_from(body.offset).unwrap_or(libc::off_t::MAX);
        let mut sent = 0;
        while sent < body.len {
            let count = usize::try_from((body.len - sent).min(SENDFILE_MAX)).unwrap_or(1 << 30);
            let n = tokio::time::timeout(timeout, stream.send_file(&body.file, &mut offset, count))
                .await
                .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "write timed out"))??;
            if n == 0 {
                return Err(io::Error::other("the file shrank while it was sent"));
            }
            sent += n as u64;
        }
        Ok(sent)
    }
    .await;
    match sent {
        Ok(bytes) => {
            let _ = stream.shutdown().await;
            log(ctx, head, &answer.head, bytes, started);
        }
        Err(err) => {
            if !matches!(
                err.kind(),
                io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
            ) {
                log_line!("uwsgi response write error: {err}");
            }
            log(ctx, head, &answer.head, 0, started);
        }
    }
}

/// Serves a static hit found by a Python thread on a connection it
/// accepted itself: the runtime sends it, the thread goes back to waiting.
/// `alive` holds a graceful stop until the answer is out.
pub fn spawn_uwsgi(
    ctx: &Arc<WorkerCtx>,
    stream: Stream,
    head: RequestHead,
    found: Found,
    alive: mpsc::Sender<()>,
) {
    let started = Instant::now();
    let ctx = Arc::clone(ctx);
    ctx.rt.clone().spawn(async move {
        match stream.register() {
            Ok(Registered::Tcp(s)) => send_uwsgi(&ctx, s, &head, found, started).await,
            Ok(Registered::Unix(s)) => send_uwsgi(&ctx, s, &head, found, started).await,
            Err(err) => log_line!("cannot register a connection: {err}"),
        }
        drop(alive);
    });
}

/// The static answer to an HTTP request, if it names a static file: the
/// head, the body read at once, and a channel with the rest of a large
/// one.
pub fn answer_http(
    ctx: &Arc<WorkerCtx>,
    head: &RequestHead,
    started: Instant,
) -> Option<(ResponseHead, Vec<Bytes>, Option<mpsc::Receiver<Event>>)> {
    let found = find(ctx, head)?;
    let Answer { head: out, body } = server(&ctx.cfg.static_files).answer(found, head);
    let Some(body) = body else {
        log(ctx, head, &out, 0, started);
        return Some((out, Vec::new(), None));
    };
    if body.len <= CHUNK {
        let bytes = match read_chunk(&body, body.offset, body.len) {
            Ok(bytes) => bytes,
            Err(err) => {
                log_line!("static file read error: {err}");
                return None;
            }
        };
        log(ctx, head, &out, body.len, started);
        return Some((out, vec![bytes], None));
    }
    let (tx, rx) = mpsc::channel(2);
    let (ctx, req, resp) = (Arc::clone(ctx), head.clone(), out.clone());
    ctx.rt.clone().spawn(async move {
        let sent = stream_file(&body, &tx).await;
        log(&ctx, &req, &resp, sent, started);
    });
    Some((out, Vec::new(), Some(rx)))
}

/// Sends the body in chunks as hyper takes them; returns the bytes sent.
/// Reading is a page-cache copy of at most [`CHUNK`], done inline.
async fn stream_file(body: &Body, tx: &mpsc::Sender<Event>) -> u64 {
    let mut sent = 0;
    while sent < body.len {
        let len = (body.len - sent).min(CHUNK);
        let event = match read_chunk(body, body.offset + sent, len) {
            Ok(chunk) => Event::Chunk(chunk),
            Err(err) => {
                log_line!("static file read error: {err}");
                Event::Abort
            }
        };
        let abort = matches!(event, Event::Abort);
        if tx.send(event).await.is_err() || abort {
            return sent;
        }
        sent += len;
    }
    let _ = tx.send(Event::End).await;
    sent
}

/// Exactly `len` bytes of the file from `offset`.
fn read_chunk(body: &Body, offset: u64, len: u64) -> io::Result<Bytes> {
    let len = usize::try_from(len).map_err(io::Error::other)?;
    let mut buf = BytesMut::zeroed(len);
    body.file.read_exact_at(&mut buf, offset)?;
    Ok(buf.freeze())
}

/// Counts the request and writes its log line (as for app requests).
fn log(
    ctx: &WorkerCtx,
    head: &RequestHead,
    resp: &ResponseHead,
    body_bytes: u64,
    started: Instant,
) {
    let served = ctx.count_request();
    ctx.check_recycle(served);
    if ctx.log.is_off() {
        return;
    }
    let line = ctx.log.line(&Entry {
        head,
        response: Some(resp),
        body_bytes,
        elapsed: started.elapsed(),
        request_number: served,
        app: None,
        core: 0,
        via_sendfile: false,
        read_error: false,
        write_error: false,
    });
    if let Some(line) = line {
        RequestLog::emit(&line);
    }
}
