//! The HTTP/1.1 front (`http-socket=`, `http=`): hyper's server connection
//! (keep-alive, pipelining in order, chunked bodies, `Expect:
//! 100-continue`, HEAD) turning each request into a [`Job`] and streaming
//! the response back.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::io;
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

/// How many response events may wait between a Python thread and hyper.
const EVENTS: usize = 8;
/// How long a keep-alive connection stays open after a graceful stop
/// began: a request arriving meanwhile is answered with `Connection:
/// close`, so a busy client learns of the close from a response instead of
/// finding the connection closed under a request it is sending.
const STOP_LINGER: std::time::Duration = std::time::Duration::from_secs(2);

/// One HTTP connection's state shared by its requests.
struct Conn {
    ctx: Arc<WorkerCtx>,
    info: ConnInfo,
    /// The gate place taken at accept, used by the first request.
    reserved: Mutex<Option<Slot>>,
    /// Set when the worker stops gracefully: answers then close.
    stop: watch::Receiver<bool>,
}

/// Serves one HTTP connection until it closes; on `stop`, every response
/// carries `Connection: close` and the connection closes after it, or after
/// [`STOP_LINGER`] if no request comes (one in flight is finished first).
pub async fn serve<S>(
    ctx: Arc<WorkerCtx>,
    io: S,
    info: ConnInfo,
    first: Slot,
    mut stop: watch::Receiver<bool>,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let buffer_size = ctx.cfg.buffer_size;
    let conn = Arc::new(Conn {
        ctx: Arc::clone(&ctx),
        info,
        reserved: Mutex::new(Some(first)),
        stop: stop.clone(),
    });
    let service = service_fn(move |req| {
        let conn = Arc::clone(&conn);
        async move { Ok::<_, Infallible>(conn.handle(req).await) }
    });
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(ctx.socket_timeout)
        // `Content-Type`, as apps write them and uWSGI sends them, not
        // hyper's lower case.
        .title_case_headers(true)
        // hyper answers 431 itself past this (start line included).
        .max_header_size(buffer_size)
        // The read buffer starts at 8 KiB and grows only for big reads: a
        // body then comes in chunks of up to 64 KiB, each one hop to the
        // Python thread, instead of 8 KiB ones.
        .max_buf_size((buffer_size + 1024).max(super::body::CHUNK));
    let io = WriteTimeout::new(io, ctx.socket_timeout);
    let connection = builder.serve_connection(TokioIo::new(io), service);
    tokio::pin!(connection);
    let result = tokio::select! {
        r = connection.as_mut() => r,
        _ = stopped(&mut stop) => {
            tokio::select! {
                r = connection.as_mut() => r,
                () = tokio::time::sleep(STOP_LINGER) => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            }
        }
    };
    if let Err(err) = result {
        log_error(&err, buffer_size);
    }
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
    fn take_slot(&self) -> Slot {
        let reserved = self
            .reserved
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        reserved.unwrap_or_else(|| self.ctx.gate.take())
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
                timeout: ctx.socket_timeout,
                left: body::allowed(ctx.cfg.limit_post),
            }
        };
        let (head, source, slot) =
            if ctx.cfg.post_buffering > 0 && !matches!(source, BodySource::Empty) {
                // A buffering upload holds no place in the gate: the worker
                // keeps accepting while the client is slow.
                drop(slot);
                match self.buffer(head, source).await {
                    Ok((head, source)) => (head, source, ctx.gate.take()),
                    Err(resp) => return *resp,
                }
            } else {
                (head, source, slot)
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
            Err(err) => {
                let status =
                    StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                log_line!("{err} ({})", status.as_u16());
                Err(Box::new(simple(status)))
            }
        }
    }
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
