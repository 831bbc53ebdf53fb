//! The uwsgi-protocol front (`socket=`, what nginx's `uwsgi_pass` speaks):
//! a 4-byte header, a vars block of at most `buffer-size` bytes, the body
//! (`CONTENT_LENGTH` raw bytes), answered with a raw HTTP response; one
//! request per connection.

use std::io;
use std::sync::Arc;
use std::time::Instant;

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot, watch};

use super::body::{self, BodySource};
use super::event::{Event, event_bytes};
use super::job::{Job, Sink};
use super::post_buffer;
use super::static_files::{self, SendFile};
use crate::log::log_line;
use crate::protocol::cgi;
use crate::protocol::request::RequestHead;
use crate::protocol::response::{ResponseHead, encode_head};
use crate::protocol::uwsgi::{HEADER_LEN, PacketHeader, parse_vars};
use crate::worker::runtime::context::{WorkerCtx, stopped};
use crate::worker::runtime::gate::Slot;
use crate::worker::runtime::listener::{Registered, Stream};

/// Why a request head was not read.
enum HeadError {
    /// The peer closed (or the worker is stopping) before sending anything.
    Nothing,
    /// Logged with this line, then the connection is closed unanswered.
    Log(String),
}

impl From<io::Error> for HeadError {
    fn from(e: io::Error) -> Self {
        HeadError::Log(format!("uwsgi request read error: {e}"))
    }
}

/// The read buffer for a request head: the packet header, a vars block of
/// at most `buffer-size`, and the start of the body.
pub fn head_capacity(ctx: &WorkerCtx) -> usize {
    HEADER_LEN + ctx.cfg.buffer_size.min(65535) + 1024
}

/// A connection an idle Python thread left to [`serve`]: what was read of
/// it.
pub struct Unanswered {
    stream: Stream,
    buf: BytesMut,
    slot: Slot,
}

impl Unanswered {
    pub fn new(stream: Stream, buf: BytesMut, slot: Slot) -> Unanswered {
        Unanswered { stream, buf, slot }
    }
}

/// Serves a connection an idle Python thread could not answer at once
/// (`runtime/idle.rs`).
pub async fn serve(ctx: Arc<WorkerCtx>, conn: Unanswered, stop: watch::Receiver<bool>) {
    let Unanswered {
        stream,
        mut buf,
        slot,
    } = conn;
    // Room for the whole head in one read: cutting it short would leave
    // unread bytes that turn the close into a reset.
    buf.reserve(head_capacity(&ctx));
    match stream.register() {
        Ok(Registered::Tcp(s)) => serve_stream(ctx, s, buf, slot, stop).await,
        Ok(Registered::Unix(s)) => serve_stream(ctx, s, buf, slot, stop).await,
        Err(err) => log_line!("cannot register a connection: {err}"),
    }
}

/// The packet header and vars block, if `buf` holds all of them.
pub fn complete_head(ctx: &WorkerCtx, buf: &[u8]) -> Option<Result<(RequestHead, usize), String>> {
    let raw: [u8; HEADER_LEN] = buf.get(..HEADER_LEN)?.try_into().ok()?;
    let datasize = usize::from(PacketHeader::parse(raw).datasize);
    let max = ctx.cfg.buffer_size;
    if datasize > max {
        return Some(Err(format!(
            "invalid request block size: {datasize} (max {max})...skip"
        )));
    }
    let vars = buf.get(HEADER_LEN..HEADER_LEN + datasize)?;
    Some(
        parse_vars(vars)
            .map(|vars| (cgi::from_uwsgi(vars), datasize))
            .map_err(|e| e.to_string()),
    )
}

/// The protocol of the response's status line: the request's.
pub fn response_protocol(head: &RequestHead) -> String {
    head.get("SERVER_PROTOCOL")
        .filter(|p| !p.is_empty())
        .unwrap_or("HTTP/1.0")
        .to_owned()
}

fn log_write_error(err: &io::Error) {
    crate::worker::logging::write_errors::report("uwsgi response write error", err);
}

/// Serves one uwsgi-protocol connection; `buf` holds what was read of it.
async fn serve_stream<S>(
    ctx: Arc<WorkerCtx>,
    stream: S,
    mut buf: BytesMut,
    slot: Slot,
    stop: watch::Receiver<bool>,
) where
    S: AsyncRead + AsyncWrite + SendFile + Unpin + Send + 'static,
{
    let (mut rd, mut wr) = tokio::io::split(stream);
    let head =
        match tokio::time::timeout(ctx.socket_timeout, read_head(&ctx, &mut rd, &mut buf, stop))
            .await
        {
            Err(_) => Err(HeadError::Log(
                "uwsgi request head read timed out".to_owned(),
            )),
            Ok(r) => r,
        };
    let (head, datasize) = match head {
        Ok(h) => h,
        Err(HeadError::Nothing) => return,
        Err(HeadError::Log(line)) => {
            log_line!("{line}");
            return;
        }
    };
    let started = Instant::now();
    if let Some(found) = static_files::find(&ctx, &head) {
        // A static answer holds no Python thread: free its gate place.
        drop(slot);
        return static_files::send_uwsgi(&ctx, rd.unsplit(wr), &head, found, started).await;
    }
    let prefix = buf.split_off(HEADER_LEN + datasize).freeze();
    let length = head.content_length().unwrap_or(0);
    if let Some(line) = body::over_limit_post(&head, ctx.cfg.limit_post) {
        log_line!("{line}");
        let body = BodySource::Raw {
            prefix,
            reader: Box::new(rd),
            remaining: length,
            timeout: ctx.socket_timeout,
        };
        return refuse(&ctx, &mut wr, &head, 413, Some(body)).await;
    }
    let mut source = if length == 0 {
        BodySource::Empty
    } else {
        BodySource::Raw {
            prefix,
            reader: Box::new(rd),
            remaining: length,
            timeout: ctx.socket_timeout,
        }
    };
    let mut slot = slot;
    if ctx.cfg.post_buffering > 0 && length > 0 {
        // A buffering upload holds no place in the gate (see `http.rs`).
        drop(slot);
        let buffered = post_buffer::buffer(source, ctx.cfg.post_buffering, Some(length)).await;
        slot = ctx.gate.take();
        match buffered {
            Ok((buffered, _)) => source = buffered,
            Err(err) => {
                let status = err.status();
                log_line!("{err} ({status})");
                return refuse(&ctx, &mut wr, &head, status, None).await;
            }
        }
    }
    let protocol = response_protocol(&head);
    let (reply, events) = mpsc::channel(8);
    let (body_return, returned) = oneshot::channel();
    let streamed = matches!(source, BodySource::Raw { .. });
    let job = Job {
        head,
        body: source,
        reply: Sink::Channel(reply),
        slot,
        started,
        body_return: streamed.then_some(body_return),
    };
    if ctx.jobs.send(job).is_err() {
        return;
    }
    if let Err(err) = write_response(&ctx, &mut wr, &protocol, events).await {
        log_write_error(&err);
        return;
    }
    if streamed {
        drain_unread(&ctx, returned).await;
    }
    let _ = wr.shutdown().await;
}

/// Answers `status` (with `Connection: close`) without calling the app,
/// reads away the unread `body` if there is one (see [`drain_unread`]: a
/// close with unread data would reset the connection and lose the answer),
/// then closes.
async fn refuse<W: AsyncWrite + Unpin>(
    ctx: &WorkerCtx,
    wr: &mut W,
    head: &RequestHead,
    status: u16,
    body: Option<BodySource>,
) {
    let (head_out, text) = ResponseHead::closing_error(status);
    let mut out = Vec::with_capacity(head_out.wire_size() + text.len());
    encode_head(&response_protocol(head), &head_out, &mut out);
    out.extend_from_slice(&text);
    if let Err(err) = write_timed(ctx, wr, &out).await {
        log_write_error(&err);
        return;
    }
    if let Some(body) = body {
        let (tx, rx) = oneshot::channel();
        let _ = tx.send(body);
        drain_unread(ctx, rx).await;
    }
    let _ = wr.shutdown().await;
}

/// The most unread body a connection reads away before closing.
const DRAIN_LIMIT: u64 = 4 * 1024 * 1024;

/// Reads away the body the app did not read (up to [`DRAIN_LIMIT`], within
/// socket-timeout): closing a socket with unread data resets it, and the
/// peer (nginx) would lose the response and answer 502.
async fn drain_unread(ctx: &WorkerCtx, returned: oneshot::Receiver<BodySource>) {
    let drain = async {
        let Ok(mut rest) = returned.await else {
            return;
        };
        if let BodySource::Raw { remaining, .. } = &rest
            && *remaining > DRAIN_LIMIT
        {
            return;
        }
        while let Ok(Some(_)) = rest.next_async().await {}
    };
    let _ = tokio::time::timeout(ctx.socket_timeout, drain).await;
}

/// Reads the packet header and vars block into `buf`.
async fn read_head<R: AsyncRead + Unpin>(
    ctx: &WorkerCtx,
    rd: &mut R,
    buf: &mut BytesMut,
    mut stop: watch::Receiver<bool>,
) -> Result<(RequestHead, usize), HeadError> {
    // A stop before the first byte closes the connection unserved.
    if buf.is_empty() {
        let first = tokio::select! {
            r = rd.read_buf(buf) => r?,
            _ = stopped(&mut stop) => return Err(HeadError::Nothing),
        };
        if first == 0 {
            return Err(HeadError::Nothing);
        }
    }
    fill(rd, buf, HEADER_LEN).await?;
    let mut raw = [0u8; HEADER_LEN];
    raw.copy_from_slice(&buf[..HEADER_LEN]);
    let header = PacketHeader::parse(raw);
    let datasize = usize::from(header.datasize);
    let max = ctx.cfg.buffer_size;
    if datasize > max {
        return Err(HeadError::Log(format!(
            "invalid request block size: {datasize} (max {max})...skip"
        )));
    }
    fill(rd, buf, HEADER_LEN + datasize).await?;
    let vars = parse_vars(&buf[HEADER_LEN..HEADER_LEN + datasize])
        .map_err(|e| HeadError::Log(e.to_string()))?;
    Ok((cgi::from_uwsgi(vars), datasize))
}

/// Reads until `buf` holds at least `n` bytes.
async fn fill<R: AsyncRead + Unpin>(
    rd: &mut R,
    buf: &mut BytesMut,
    n: usize,
) -> Result<(), HeadError> {
    while buf.len() < n {
        buf.reserve(n - buf.len());
        if rd.read_buf(buf).await? == 0 {
            return Err(HeadError::Log(format!(
                "uwsgi request truncated: the client closed after {} of {n} bytes",
                buf.len()
            )));
        }
    }
    Ok(())
}

/// Writes the response as the Python thread produces it; the head and the
/// chunks that came with it go out in one write.
async fn write_response<W: AsyncWrite + Unpin>(
    ctx: &WorkerCtx,
    wr: &mut W,
    protocol: &str,
    mut events: mpsc::Receiver<Event>,
) -> io::Result<()> {
    while let Some(event) = events.recv().await {
        let Some((data, last)) = event_bytes(protocol, event)? else {
            return Ok(());
        };
        write_timed(ctx, wr, &data).await?;
        if last {
            return Ok(());
        }
    }
    Err(io::Error::other("the response was aborted"))
}

async fn write_timed<W: AsyncWrite + Unpin>(
    ctx: &WorkerCtx,
    wr: &mut W,
    data: &[u8],
) -> io::Result<()> {
    match tokio::time::timeout(ctx.socket_timeout, wr.write_all(data)).await {
        Err(_) => Err(io::Error::new(io::ErrorKind::TimedOut, "write timed out")),
        Ok(r) => r,
    }
}
