//! The HTTP/1.1 front (`http-socket=`, `http=`): hyper's server connection
//! (keep-alive, pipelining in order, chunked bodies, `Expect:
//! 100-continue`, HEAD) turning each request into a [`Job`] and streaming
//! the response back.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::header::{CONNECTION, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{mpsc, watch};

use super::body::{self, BodySource};
use super::event::Event;
use super::job::{Job, Sink};
use super::post_buffer;
use super::read_ahead;
use super::static_files;
use super::write_timeout::WriteTimeout;
use crate::config::HeaderUnderscores;
use crate::log::log_line;
use crate::protocol::cgi::{self, ConnInfo};
use crate::protocol::http;
use crate::protocol::request::RequestHead;
use crate::protocol::response::ResponseHead;
use crate::worker::runtime::context::{WorkerCtx, stopped};
use crate::worker::runtime::gate::Slot;
use crate::worker::runtime::passable::{self, PassState, Passable};

/// How many response events may wait between a Python thread and hyper.
const EVENTS: usize = 8;
/// How long a keep-alive connection stays open after a graceful stop
/// began: a request arriving meanwhile is answered with `Connection:
/// close`, so a busy client learns of the close from a response instead of
/// finding the connection closed under a request it is sending.
const STOP_LINGER: std::time::Duration = std::time::Duration::from_secs(2);
/// How long the gate place taken at accept waits for the first request's
/// head. A real client sends its request as soon as it has connected, so
/// the head is there within this time and the place keeps other
/// connections from being accepted into the same Python thread; a client
/// that sends its head slowly (or never: slowloris) then holds no place,
/// so it neither makes the worker look full nor stops it from accepting.
/// Its request takes a place when its head is complete.
pub(crate) const HEAD_RESERVATION: std::time::Duration = std::time::Duration::from_millis(20);

/// One HTTP connection's state shared by its requests.
struct Conn {
    ctx: Arc<WorkerCtx>,
    info: ConnInfo,
    /// The gate place taken at accept, used by the first request if its
    /// head comes within [`HEAD_RESERVATION`].
    reserved: Mutex<Option<Slot>>,
    /// The connection's descriptor, open while it is served.
    fd: std::os::fd::RawFd,
    /// Set when the worker stops gracefully: answers then close.
    stop: watch::Receiver<bool>,
}

/// Serves one HTTP connection until it closes; on `stop`, every response
/// carries `Connection: close` and the connection closes after it, or after
/// [`STOP_LINGER`] if no request comes (one in flight is finished first).
/// `read_ahead` is what a sibling worker had read of a connection it passed
/// on; `first` the gate place of the first request, if one was taken.
///
/// While the worker is stuck (`runtime/stuck.rs`), an idle keep-alive
/// connection leaves hyper at the request boundary and goes to a sibling
/// with what hyper had read of it (`runtime/handoff.rs`); if it cannot go,
/// it is served here again from those bytes.
pub async fn serve<S>(
    ctx: Arc<WorkerCtx>,
    io: S,
    info: ConnInfo,
    first: Option<Slot>,
    read_ahead: Bytes,
    mut stop: watch::Receiver<bool>,
) where
    S: AsyncRead + AsyncWrite + AsRawFd + Unpin + Send + 'static,
{
    let fd = io.as_raw_fd();
    // Passed on by a sibling with nothing read: it sits at a request
    // boundary, and must be passed on again if this worker gets stuck.
    let passed_idle = first.is_none() && read_ahead.is_empty();
    let conn = Arc::new(Conn {
        ctx: Arc::clone(&ctx),
        info,
        reserved: Mutex::new(first),
        fd,
        stop: stop.clone(),
    });
    let state = Arc::new(PassState::default());
    if passed_idle {
        state.idle();
    }
    let io = WriteTimeout::new(io, ctx.http_timeout);
    let mut io = Passable::new(io, read_ahead, Arc::clone(&state));
    loop {
        let (mut back, read_ahead) = match serve_until_passed(&conn, io, &state, &mut stop).await {
            Served::Closed(Ok(())) => return,
            Served::Closed(Err(err)) => {
                log_error(&err, ctx.cfg.buffer_size);
                return;
            }
            Served::Released { io, read_ahead } => (io, read_ahead),
        };
        // SAFETY: `back` owns the connection's stream, open until dropped.
        let borrowed = unsafe { BorrowedFd::borrow_raw(fd) };
        let sent = match &ctx.handoff {
            Some(outbox) => outbox.send(borrowed, &conn.info, &read_ahead),
            None => Err(io::ErrorKind::Unsupported.into()),
        };
        match sent {
            // Our descriptor closes with `back`; the sibling's stays open.
            Ok(()) => return,
            Err(err) => {
                if err.kind() != io::ErrorKind::WouldBlock {
                    log_line!("cannot pass a connection to another worker: {err}");
                }
                state.stop_passing();
                state.busy();
                back.rewind(read_ahead);
                io = back;
            }
        }
    }
}

/// How [`serve_until_passed`] ended.
enum Served<I> {
    /// The connection is over (closed, or failed with this error).
    Closed(Result<(), hyper::Error>),
    /// It left hyper at a request boundary, to be passed on.
    Released { io: I, read_ahead: Bytes },
}

/// The I/O of a connection under hyper.
type ConnIo<S> = Passable<WriteTimeout<S>>;

/// Runs hyper on the connection until it closes, or until it is released
/// to be passed on.
async fn serve_until_passed<S>(
    conn: &Arc<Conn>,
    io: ConnIo<S>,
    state: &Arc<PassState>,
    stop: &mut watch::Receiver<bool>,
) -> Served<ConnIo<S>>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let ctx = &conn.ctx;
    let service = {
        let (conn, state) = (Arc::clone(conn), Arc::clone(state));
        service_fn(move |req: Request<Incoming>| {
            state.busy();
            let reusable = passable::reusable(&req);
            let (conn, state) = (Arc::clone(&conn), Arc::clone(&state));
            async move {
                let resp = conn.handle(req).await;
                Ok::<_, Infallible>(passable::track(resp, reusable, state))
            }
        })
    };
    let mut connection = builder(ctx).serve_connection(TokioIo::new(io), service);
    let reservation = tokio::time::sleep(HEAD_RESERVATION);
    tokio::pin!(reservation);
    let mut reserving = conn.is_reserving();
    let mut stuck = ctx.stuck.subscribe();
    let mut watch_stuck = ctx.handoff.is_some();
    // A stop lets the connection linger, then shuts it down gracefully.
    let (mut stopping, mut shut, mut passing) = (false, false, false);
    let linger = tokio::time::sleep(STOP_LINGER);
    tokio::pin!(linger);
    let result = loop {
        tokio::select! {
            r = &mut connection => break r,
            () = &mut reservation, if reserving => {
                if conn.is_reserving() && unread_bytes(conn.fd) > 0 {
                    // The head is there, unread: the runtime is behind
                    // (a loaded machine), not the client.
                    reservation.as_mut().reset(tokio::time::Instant::now() + HEAD_RESERVATION);
                } else {
                    reserving = false;
                    conn.release_reservation();
                }
            }
            _ = stopped(stop), if !stopping => {
                stopping = true;
                watch_stuck = false;
                linger.as_mut().reset(tokio::time::Instant::now() + STOP_LINGER);
            }
            () = &mut linger, if stopping && !shut => {
                shut = true;
                Pin::new(&mut connection).graceful_shutdown();
            }
            changed = stuck.changed(), if watch_stuck => {
                // The sender lives as long as the worker; gone, stop watching.
                watch_stuck = changed.is_ok();
                if watch_stuck && *stuck.borrow_and_update() && state.is_idle() {
                    state.start_passing();
                    (passing, watch_stuck) = (true, false);
                    Pin::new(&mut connection).graceful_shutdown();
                }
            }
        }
    };
    match result {
        Ok(()) if passing => {
            let parts = connection.into_parts();
            Served::Released {
                io: parts.io.into_inner(),
                read_ahead: parts.read_buf,
            }
        }
        r => Served::Closed(r),
    }
}

/// hyper's HTTP/1.1 server, configured for this worker.
fn builder(ctx: &WorkerCtx) -> http1::Builder {
    let buffer_size = ctx.cfg.buffer_size;
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(ctx.http_timeout)
        // `Content-Type`, as apps write them and uWSGI sends them, not
        // hyper's lower case.
        .title_case_headers(true)
        // hyper answers 431 itself past this (start line included).
        .max_header_size(buffer_size)
        // The read buffer starts at 8 KiB and grows only for big reads: a
        // body then comes in chunks of up to 64 KiB, each one hop to the
        // Python thread, instead of 8 KiB ones.
        .max_buf_size((buffer_size + 1024).max(super::body::CHUNK));
    builder
}

/// Logs what a client did wrong; resets and timeouts are not news.
fn log_error(err: &hyper::Error, buffer_size: usize) {
    if err.is_parse_too_large() {
        log_line!("invalid HTTP request size (max {buffer_size})...skip");
    } else if err.is_parse() || err.is_parse_status() {
        log_line!("invalid HTTP request: {err}");
    } else if let Some(io) =
        std::error::Error::source(err).and_then(|e| e.downcast_ref::<io::Error>())
        && io.kind() == io::ErrorKind::TimedOut
    {
        log_line!("HTTP connection closed: {io} (socket-timeout)");
    }
}

impl Conn {
    fn reserved(&self) -> std::sync::MutexGuard<'_, Option<Slot>> {
        self.reserved.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn take_slot(&self) -> Slot {
        let reserved = self.reserved().take();
        reserved.unwrap_or_else(|| self.ctx.gate.take())
    }

    /// The place taken at accept still waits for the first request.
    fn is_reserving(&self) -> bool {
        self.reserved().is_some()
    }

    /// The first request's head did not come in time: give its place back.
    fn release_reservation(&self) {
        let released = self.reserved().take();
        drop(released);
    }

    async fn handle(&self, req: Request<Incoming>) -> Response<ResponseBody> {
        let mut resp = self.respond(req).await;
        if *self.stop.borrow() {
            resp.headers_mut()
                .insert(CONNECTION, HeaderValue::from_static("close"));
        }
        resp
    }

    async fn respond(&self, req: Request<Incoming>) -> Response<ResponseBody> {
        let started = Instant::now();
        let slot = self.take_slot();
        let ctx = &self.ctx;
        let (parts, body) = req.into_parts();
        let head = match self.validate(&parts) {
            Ok(head) => head,
            Err(resp) => return *resp,
        };
        if let Some((head, ready, rest)) = static_files::answer_http(ctx, &head, started) {
            return to_response(head, ready, rest);
        }
        let source = if body.is_end_stream() {
            BodySource::Empty
        } else {
            BodySource::Http {
                body,
                timeout: ctx.http_timeout,
                left: body::allowed(ctx.cfg.limit_post),
            }
        };
        let expects_continue = parts
            .headers
            .get(hyper::header::EXPECT)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
        let (head, source, slot) =
            match self.before_call(head, source, slot, expects_continue).await {
                Ok(ready) => ready,
                Err(resp) => return *resp,
            };
        let (reply, mut events) = mpsc::channel(EVENTS);
        let job = Job {
            head,
            body: source,
            reply: Sink::Channel(reply),
            slot,
            started,
            body_return: None,
        };
        if ctx.jobs.send(job).is_err() {
            return simple(StatusCode::SERVICE_UNAVAILABLE);
        }
        match events.recv().await {
            Some(Event::Head { head, body, done }) => {
                to_response(head, body, (!done).then_some(events))
            }
            _ => simple(StatusCode::INTERNAL_SERVER_ERROR),
        }
    }
}

impl Conn {
    /// The request's CGI head, or the answer that refuses it before the
    /// app is called (and before any of its body is read): CONNECT or an
    /// authority-form target, a header named with `_` under
    /// `http-header-underscores = refuse`, a Content-Length over
    /// `limit-post`. Each refusal is logged.
    fn validate(
        &self,
        parts: &hyper::http::request::Parts,
    ) -> Result<RequestHead, Box<Response<ResponseBody>>> {
        let cfg = &self.ctx.cfg;
        if let Err(refusal) = http::check_target(&parts.method, &parts.uri) {
            log_line!(
                "refused {} {}: {} ({})",
                parts.method,
                parts.uri,
                refusal.reason(),
                refusal.status().as_u16()
            );
            return Err(Box::new(http::refusal(refusal, |text| {
                ResponseBody::new(vec![text], None)
            })));
        }
        let underscores = cfg.http_header_underscores;
        let (head, dropped) =
            cgi::from_http(parts, &self.info, underscores == HeaderUnderscores::Keep);
        if let Some(first) = dropped.first() {
            let path = parts.uri.path();
            if underscores == HeaderUnderscores::Refuse {
                log_line!(
                    "refused {} {path}: header name with '_' ({first}) (http-header-underscores = refuse)",
                    parts.method
                );
                return Err(Box::new(simple(StatusCode::BAD_REQUEST)));
            }
            // One line per request, however many headers it had.
            log_line!(
                "{} {path}: dropped {} request header(s) named with '_' ({}) (http-header-underscores = drop)",
                parts.method,
                dropped.len(),
                dropped.join(", ")
            );
        }
        if let Some(line) = body::over_limit_post(&head, cfg.limit_post) {
            log_line!("{line}");
            return Err(Box::new(simple(StatusCode::PAYLOAD_TOO_LARGE)));
        }
        Ok(head)
    }

    /// The body as the call reads it: buffered (`post-buffering`), read
    /// ahead (`read_ahead.rs`), or streamed. Reading before the call holds
    /// no place in the gate, so the worker keeps accepting while the
    /// client is slow; the place is taken again for the call.
    async fn before_call(
        &self,
        head: RequestHead,
        source: BodySource,
        slot: Slot,
        expects_continue: bool,
    ) -> Result<(RequestHead, BodySource, Slot), Box<Response<ResponseBody>>> {
        let ctx = &self.ctx;
        if matches!(source, BodySource::Empty) {
            return Ok((head, source, slot));
        }
        let reserved = if ctx.cfg.post_buffering > 0 {
            None
        } else {
            match read_ahead::plan(&source, expects_continue, &ctx.read_ahead) {
                Some(reserved) => Some(reserved),
                None => return Ok((head, source, slot)),
            }
        };
        drop(slot);
        let (head, source) = match reserved {
            None => self.buffer(head, source).await?,
            Some(reserved) => match read_ahead::read(source, reserved).await {
                Ok(source) => (head, source),
                Err(err) => return Err(Box::new(read_failed(&err))),
            },
        };
        Ok((head, source, ctx.gate.take()))
    }

    /// Reads the whole body before the call (`post-buffering`); a failure
    /// is answered at once: the client's with 4xx, the server's (a full
    /// temporary directory) with 500.
    async fn buffer(
        &self,
        mut head: RequestHead,
        source: BodySource,
    ) -> Result<(RequestHead, BodySource), Box<Response<ResponseBody>>> {
        let cfg = &self.ctx.cfg;
        match post_buffer::buffer(source, cfg.post_buffering, head.content_length()).await {
            Ok((buffered, len)) => {
                head.set("CONTENT_LENGTH", len.to_string());
                Ok((head, buffered))
            }
            Err(err) => Err(Box::new(read_failed(&err))),
        }
    }
}

/// The answer to a body that could not be read before the call, logged:
/// the client's fault with 4xx, the server's (a full temporary directory)
/// with 500.
fn read_failed(err: &post_buffer::BufferError) -> Response<ResponseBody> {
    let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    log_line!("{err} ({})", status.as_u16());
    simple(status)
}

/// A short plain-text answer that closes the connection.
fn simple(status: StatusCode) -> Response<ResponseBody> {
    http::simple(status, |text| ResponseBody::new(vec![text], None))
}

/// The app's status and headers as a hyper response (see
/// [`http::response`]).
fn to_response(
    head: ResponseHead,
    body: Vec<Bytes>,
    rest: Option<mpsc::Receiver<Event>>,
) -> Response<ResponseBody> {
    http::response(head, ResponseBody::new(body, rest), |name| {
        log_line!("dropping an invalid response header: {name:?}");
    })
}

/// A response body: the chunks that came with the head, then the rest as
/// the Python thread produces it.
pub struct ResponseBody {
    ready: VecDeque<Bytes>,
    rest: Option<mpsc::Receiver<Event>>,
}

impl ResponseBody {
    fn new(ready: Vec<Bytes>, rest: Option<mpsc::Receiver<Event>>) -> Self {
        ResponseBody {
            ready: ready.into_iter().filter(|b| !b.is_empty()).collect(),
            rest,
        }
    }
}

impl Body for ResponseBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let this = self.get_mut();
        if let Some(chunk) = this.ready.pop_front() {
            return Poll::Ready(Some(Ok(Frame::data(chunk))));
        }
        let Some(rest) = this.rest.as_mut() else {
            return Poll::Ready(None);
        };
        match rest.poll_recv(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Some(Event::Chunk(chunk))) => Poll::Ready(Some(Ok(Frame::data(chunk)))),
            Poll::Ready(Some(Event::End)) => {
                this.rest = None;
                Poll::Ready(None)
            }
            Poll::Ready(_) => {
                this.rest = None;
                Poll::Ready(Some(Err(io::Error::other("the response was aborted"))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.ready.is_empty() && self.rest.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        // Never exact: without the app's Content-Length the body goes out
        // chunked (HTTP/1.1) as the app produced it.
        SizeHint::default()
    }
}

/// Bytes the kernel holds for `fd` that nobody has read yet (0 on error).
fn unread_bytes(fd: std::os::fd::RawFd) -> libc::c_int {
    let mut pending: libc::c_int = 0;
    // SAFETY: FIONREAD writes one int; `fd` is the open connection.
    let rc = unsafe { libc::ioctl(fd, libc::FIONREAD, &mut pending) };
    if rc == 0 { pending } else { 0 }
}
