//! An idle Python thread serves the uwsgi listen sockets itself, as
//! uWSGI's workers do: it waits (without the GIL) in `poll(2)` on those
//! sockets and on its job queue's wake-up fd, accepts, reads, and when the
//! whole request is there (vars block within `buffer-size`, a body that
//! fits the read buffer and needs no post-buffering to a file) runs it and
//! writes the response itself (`fronts/direct.rs`). A request arriving at an idle
//! worker thus wakes one thread, not two.
//!
//! Anything else goes on as the runtime serves it: a request still
//! incomplete after [`READ_WAIT`] (a slow client), a body too large for
//! the buffer or over `post-buffering` is handed to `uwsgi::serve`
//! with what was read; an oversized vars block is refused with uWSGI's log
//! line. Only idle threads poll: a worker whose threads are all busy
//! leaves the connections in the listen queue, for an idle sibling or the
//! first thread to free (uWSGI's model).

use std::io;
use std::os::fd::{AsFd, AsRawFd};
use std::sync::mpsc::{Receiver, TryRecvError};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use tokio::sync::mpsc;

use super::context::WorkerCtx;
use super::gate::Slot;
use super::listener::{Socket, Stream};
use crate::log::log_line;
use crate::protocol::request::RequestHead;
use crate::protocol::uwsgi::HEADER_LEN;
use crate::worker::fronts::body::BodySource;
use crate::worker::fronts::direct::Direct;
use crate::worker::fronts::job::{Job, Sink};
use crate::worker::fronts::static_files;
use crate::worker::fronts::uwsgi::{
    self, Unanswered, complete_head, head_capacity, response_protocol,
};

/// How long a Python thread waits for the rest of a request it accepted
/// before it hands the connection to the runtime. nginx writes the request
/// right after its `connect`, so this is the margin for it to be scheduled;
/// the same bound as a busy worker's deferral of a waiting connection.
const READ_WAIT: Duration = Duration::from_millis(5);

/// How long to back off after `accept` failed (EMFILE and friends).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// What an idle Python thread got next.
pub enum Next {
    /// A request to run: queued by a front, or read by the thread itself.
    Job(Job),
    /// The queue is closed: the worker is going away.
    Closed,
}

/// One Python thread's idle side.
pub struct Idle {
    ctx: Arc<WorkerCtx>,
    sockets: Arc<[Socket]>,
    /// The read buffer, reused from one connection to the next.
    buf: BytesMut,
    fds: Vec<libc::pollfd>,
    /// The last wait ended with a request: try to accept the next one
    /// before sleeping in `poll(2)`. Under load one is queued already, and
    /// a syscall per request is saved; otherwise the `accept(2)` that
    /// finds nothing costs about as little.
    eager: bool,
}

/// How far reading a request got.
enum Read {
    /// The whole request: run it.
    Whole(RequestHead, BodySource),
    /// Logged with this line, then closed unanswered (as the runtime does).
    Refused(String),
    /// The peer closed before sending anything.
    Gone,
    /// Not all there (yet), or not for this path: the runtime goes on.
    HandOff,
}

fn lock(rx: &Mutex<Receiver<Job>>) -> MutexGuard<'_, Receiver<Job>> {
    rx.lock().unwrap_or_else(|p| p.into_inner())
}

impl Idle {
    pub fn new(ctx: Arc<WorkerCtx>, sockets: Arc<[Socket]>) -> Idle {
        Idle {
            ctx,
            sockets,
            buf: BytesMut::new(),
            fds: Vec::new(),
            eager: false,
        }
    }

    /// Waits for the next request to run. Call it without the GIL.
    pub fn next(&mut self, rx: &Mutex<Receiver<Job>>) -> Next {
        loop {
            super::pause::wait_blocking(self.ctx.worker_id);
            self.ctx.jobs.enter_poll();
            let queued = lock(rx).try_recv();
            match queued {
                Ok(job) => {
                    self.ctx.jobs.leave_poll();
                    return Next::Job(job);
                }
                Err(TryRecvError::Disconnected) => {
                    self.ctx.jobs.leave_poll();
                    return Next::Closed;
                }
                Err(TryRecvError::Empty) => {}
            }
            if std::mem::take(&mut self.eager) {
                self.ctx.jobs.leave_poll();
                if let Some(job) = self.accept_queued() {
                    self.eager = true;
                    return Next::Job(job);
                }
                continue;
            }
            let polled = self.poll();
            self.ctx.jobs.leave_poll();
            if let Err(err) = polled {
                log_line!("worker {}: poll(): {err}", self.ctx.worker_id);
                std::thread::sleep(ACCEPT_BACKOFF);
                continue;
            }
            // Paused while polling: the connection stays queued.
            if crate::scoreboard::worker::paused() {
                continue;
            }
            if let Some(job) = self.serve_ready() {
                self.eager = true;
                return Next::Job(job);
            }
        }
    }

    /// Sleeps until a token is posted or (while the worker takes
    /// connections) a listen socket has one waiting.
    fn poll(&mut self) -> io::Result<()> {
        self.fds.clear();
        self.fds.push(libc::pollfd {
            fd: self.ctx.jobs.wake_fd(),
            events: libc::POLLIN,
            revents: 0,
        });
        if self.ctx.is_accepting() {
            self.fds
                .extend(self.sockets.iter().map(|socket| libc::pollfd {
                    fd: socket.as_raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                }));
        }
        let count = libc::nfds_t::try_from(self.fds.len()).unwrap_or(1);
        // SAFETY: `fds` holds `count` initialised pollfds for descriptors
        // the context and the sockets keep open.
        let n = unsafe { libc::poll(self.fds.as_mut_ptr(), count, -1) };
        if n < 0 {
            let err = io::Error::last_os_error();
            if err.kind() != io::ErrorKind::Interrupted {
                return Err(err);
            }
            for fd in &mut self.fds {
                fd.revents = 0;
            }
        }
        Ok(())
    }

    /// Takes the token that woke this thread, or serves a connection from
    /// a socket found ready; `Some` when a request is ready to run.
    fn serve_ready(&mut self) -> Option<Job> {
        if self.fds.first().is_some_and(|fd| fd.revents != 0) {
            // A job (or the stop): look at the queue again first.
            self.ctx.jobs.take_token();
            return None;
        }
        for i in 1..self.fds.len() {
            if self.fds[i].revents != 0
                && let Some(job) = self.serve_one(i - 1)
            {
                return Some(job);
            }
        }
        None
    }

    /// Serves a connection already queued on a listen socket, without
    /// waiting for one; `Some` when a request is ready to run.
    fn accept_queued(&mut self) -> Option<Job> {
        if !self.ctx.is_accepting() || crate::scoreboard::worker::paused() {
            return None;
        }
        (0..self.sockets.len()).find_map(|index| self.serve_one(index))
    }

    /// Accepts one connection of socket `index` and reads its request.
    fn serve_one(&mut self, index: usize) -> Option<Job> {
        // Taken before the accept: once the worker stops, nothing more is
        // accepted, and what was accepted holds the stop until it is over.
        let alive = self.ctx.connection_token()?;
        let socket = self.sockets.get(index)?;
        let stream = match socket.accept_now() {
            Ok(Some((stream, _))) => stream,
            // Another thread or worker took it.
            Ok(None) => return None,
            Err(err) => {
                log_line!("accept(): {err}");
                std::thread::sleep(ACCEPT_BACKOFF);
                return None;
            }
        };
        let slot = self.ctx.gate.take();
        match read_request(&self.ctx, &stream, &mut self.buf) {
            Read::Whole(head, body) => {
                if let Some(found) = static_files::find(&self.ctx, &head) {
                    // The runtime sends a static file: this thread goes
                    // back to waiting, whatever the file's size.
                    static_files::spawn_uwsgi(&self.ctx, stream, head, found, alive);
                    return None;
                }
                let protocol = response_protocol(&head);
                let direct = Direct::new(stream, protocol, self.ctx.socket_timeout, alive);
                Some(Job {
                    head,
                    body,
                    reply: Sink::Direct(direct),
                    slot,
                    started: Instant::now(),
                    body_return: None,
                })
            }
            Read::Refused(line) => {
                log_line!("{line}");
                None
            }
            Read::Gone => None,
            Read::HandOff => {
                self.hand_off(stream, slot, alive);
                None
            }
        }
    }

    /// Lets the runtime serve the connection, from what was read of it.
    fn hand_off(&mut self, stream: Stream, slot: Slot, alive: mpsc::Sender<()>) {
        let conn = Unanswered::new(stream, self.buf.split(), slot);
        let ctx = Arc::clone(&self.ctx);
        let stop = ctx.stop.subscribe();
        self.ctx.rt.spawn(async move {
            uwsgi::serve(ctx, conn, stop).await;
            drop(alive);
        });
    }
}

/// Reads a request into `buf` for at most [`READ_WAIT`].
fn read_request(ctx: &WorkerCtx, stream: &Stream, buf: &mut BytesMut) -> Read {
    buf.clear();
    buf.reserve(head_capacity(ctx));
    let deadline = Instant::now() + READ_WAIT;
    loop {
        match stream.read_now(buf) {
            Ok(0) if buf.is_empty() => return Read::Gone,
            // The runtime logs the truncation as it always does.
            Ok(0) => return Read::HandOff,
            Ok(_) => {
                if let Some(read) = classify(ctx, buf) {
                    return read;
                }
                if buf.spare_capacity_mut().is_empty() {
                    return Read::HandOff;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return Read::Refused(format!("uwsgi request read error: {e}")),
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || !wait_readable(stream, left) {
            return Read::HandOff;
        }
    }
}

/// What `buf` holds: `None` while more is needed.
fn classify(ctx: &WorkerCtx, buf: &[u8]) -> Option<Read> {
    let (head, datasize) = match complete_head(ctx, buf)? {
        Ok(head) => head,
        Err(line) => return Some(Read::Refused(line)),
    };
    let length = head.content_length().unwrap_or(0);
    if length == 0 {
        return Some(Read::Whole(head, BodySource::Empty));
    }
    let start = HEADER_LEN + datasize;
    let end = u64::try_from(start)
        .unwrap_or(u64::MAX)
        .saturating_add(length);
    let post_buffering = ctx.cfg.post_buffering;
    let fits = usize::try_from(end).is_ok_and(|end| end <= head_capacity(ctx));
    if !fits || (post_buffering > 0 && length > post_buffering) {
        return Some(Read::HandOff);
    }
    let end = usize::try_from(end).ok()?;
    let body = buf.get(start..end)?;
    Some(Read::Whole(
        head,
        BodySource::Memory(Bytes::copy_from_slice(body)),
    ))
}

/// Waits until the socket has data (or the peer closed), at most `timeout`.
fn wait_readable(stream: &Stream, timeout: Duration) -> bool {
    let ms = i32::try_from(timeout.as_millis().max(1)).unwrap_or(i32::MAX);
    let mut fd = libc::pollfd {
        fd: stream.as_fd().as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd, for an fd `stream` keeps open. EINTR
    // counts as not ready: the caller hands the connection on.
    unsafe { libc::poll(&raw mut fd, 1, ms) > 0 }
}
