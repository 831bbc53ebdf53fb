//! A running worker: the tokio runtime (started after the fork), one accept
//! loop per HTTP listen socket and one on the hand-off queue, each taking
//! a connection only while the worker may serve it (see [`may_take`]),
//! the stuck watch (`stuck.rs`), and the signals: SIGHUP stops gracefully
//! (stop accepting, finish in-flight requests, close keep-alive
//! connections, exit 0), SIGTERM/SIGINT exit at once.

use std::os::fd::AsRawFd;
use std::os::fd::OwnedFd;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::Bytes;
use pyo3::prelude::*;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::{mpsc, watch};

use super::context::{WorkerCtx, stopped};
use super::gate::Slot;
use super::handoff::{self, Inbox, Outbox};
use super::listener::{Listener, Registered, Socket, Stream};
use super::queue::JobQueue;
use super::{pool, stuck, trim};
use crate::config::{AppConfig, Protocol};
use crate::contract::InheritedListener;
use crate::contract::exit::END_EXIT;
use crate::log::log_line;
use crate::protocol::cgi::ConnInfo;
use crate::worker::fronts::{http, proxy_protocol};
use crate::worker::wsgi::app::App;

/// Runs the worker; returns its exit code.
pub fn run(
    cfg: Arc<AppConfig>,
    app: App,
    listeners: Vec<InheritedListener>,
    worker_id: u32,
) -> i32 {
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            log_line!("worker {worker_id}: cannot start the runtime: {err}");
            return 1;
        }
    };
    let (jobs, queue) = std::sync::mpsc::channel();
    let jobs = match JobQueue::new(jobs) {
        Ok(jobs) => jobs,
        Err(err) => {
            log_line!("worker {worker_id}: cannot create the job queue: {err}");
            return 1;
        }
    };
    // Every connection being served holds a clone; recv() ends when all
    // are gone.
    let (alive, all_done) = mpsc::channel::<()>(1);
    let (uwsgi, http): (Vec<_>, Vec<_>) = listeners
        .into_iter()
        .partition(|l| l.spec.protocol == Protocol::Uwsgi);
    let (outbox, inbox) = handoff_ends(&cfg, !http.is_empty());
    let ctx = Arc::new(WorkerCtx::new(
        cfg,
        worker_id,
        rt.handle().clone(),
        jobs,
        alive,
        outbox,
    ));
    let Some(sockets) = open_sockets(worker_id, uwsgi) else {
        return 1;
    };
    if let Err(err) = pool::start(&ctx, app, queue, &sockets) {
        log_line!("worker {worker_id}: cannot start the Python threads: {err}");
        return 1;
    }
    let accepting = [
        ("accepting", &ctx.cfg.hooks.accepting, true),
        ("accepting1", &ctx.cfg.hooks.accepting1, worker_id == 1),
    ];
    for (phase, lines, here) in accepting {
        if here && let Err(code) = crate::worker::run_hooks(phase, lines) {
            return code;
        }
    }
    if ctx.cfg.py_autoreload > 0 && worker_id == 1 {
        let every = Duration::from_secs(ctx.cfg.py_autoreload);
        crate::worker::wsgi::autoreload::start(every, ctx.cfg.py_autoreload_ignore.clone());
    }
    let code = rt.block_on(serve(Arc::clone(&ctx), http, inbox, all_done));
    // Python threads may be inside the app: do not wait for them.
    rt.shutdown_background();
    if code == 0 {
        run_atexit();
    }
    code
}

/// The hand-off pair's ends, when this worker has siblings to pass HTTP
/// connections to (one uwsgi request per connection: nothing to pass).
fn handoff_ends(cfg: &AppConfig, serves_http: bool) -> (Option<Outbox>, Option<OwnedFd>) {
    let ends = crate::contract::handoff::take_inherited();
    match ends {
        Some(ends) if serves_http && cfg.processes > 1 => {
            let (outbox, inbox) = handoff::split(ends);
            (Some(outbox), Some(inbox))
        }
        _ => (None, None),
    }
}

/// The uwsgi sockets, kept out of the runtime: the idle Python threads
/// poll them (`idle.rs`).
fn open_sockets(worker_id: u32, inherited: Vec<InheritedListener>) -> Option<Arc<[Socket]>> {
    let mut sockets = Vec::with_capacity(inherited.len());
    for inherited in inherited {
        let raw = inherited.spec.raw.clone();
        match Socket::open(inherited) {
            Ok(socket) => sockets.push(socket),
            Err(err) => {
                log_line!("worker {worker_id}: cannot use the listen socket {raw}: {err}");
                return None;
            }
        }
    }
    Some(sockets.into())
}

/// After a graceful stop, every request is over: run the app's exit
/// handlers (flushing metrics, closing pools) as uWSGI does: `uwsgi.atexit`
/// first, then Python's `atexit` ones.
fn run_atexit() {
    crate::worker::wsgi::uwsgi_module::at_exit();
    Python::attach(|py| {
        let ran = py
            .import("atexit")
            .and_then(|atexit| atexit.call_method0("_run_exitfuncs"));
        if let Err(err) = ran {
            err.display(py);
        }
    });
}

async fn serve(
    ctx: Arc<WorkerCtx>,
    inherited: Vec<InheritedListener>,
    inbox: Option<OwnedFd>,
    mut all_done: mpsc::Receiver<()>,
) -> i32 {
    let (Ok(mut hup), Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::hangup()),
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        log_line!("worker {}: cannot install signal handlers", ctx.worker_id);
        return 1;
    };
    let stop = ctx.stop.subscribe();
    let Some(alive) = ctx.connection_token() else {
        return 0;
    };
    tokio::spawn(stuck::watch_stuck(Arc::clone(&ctx), stop.clone()));
    if let Some(inbox) = inbox {
        match Inbox::adopt(inbox) {
            Ok(inbox) => {
                let source = Source::Inbox(inbox);
                tokio::spawn(accept_loop(
                    Arc::clone(&ctx),
                    source,
                    stop.clone(),
                    alive.clone(),
                ));
            }
            Err(err) => log_line!(
                "worker {}: cannot watch the hand-off socket: {err}",
                ctx.worker_id
            ),
        }
    }
    for inherited in inherited {
        let raw = inherited.spec.raw.clone();
        match Listener::adopt(inherited) {
            Ok(listener) => {
                tokio::spawn(accept_loop(
                    Arc::clone(&ctx),
                    Source::Listen(listener),
                    stop.clone(),
                    alive.clone(),
                ));
            }
            Err(err) => {
                log_line!(
                    "worker {}: cannot use the listen socket {raw}: {err}",
                    ctx.worker_id
                );
                return 1;
            }
        }
    }
    drop(alive);
    crate::scoreboard::worker::serving();
    tokio::spawn(trim::trim_when_idle(Arc::clone(&ctx)));
    if let Some(lifetime) = ctx.lifetime() {
        tokio::spawn(retire_after(Arc::clone(&ctx), lifetime));
    }
    tokio::select! {
        _ = hup.recv() => {
            log_line!("Gracefully killing worker {} (pid: {})...", ctx.worker_id, std::process::id());
        }
        _ = ctx.retire.notified() => {}
        _ = term.recv() => return END_EXIT,
        _ = int.recv() => return END_EXIT,
    }
    ctx.stop_accepting();
    tokio::select! {
        _ = all_done.recv() => 0,
        _ = term.recv() => END_EXIT,
        _ = int.recv() => END_EXIT,
    }
}

/// Where a worker takes HTTP connections from.
enum Source {
    /// A listen socket: new connections.
    Listen(Listener),
    /// The hand-off queue: kept-alive connections a stuck sibling passed on.
    Inbox(Inbox),
}

/// A connection taken from a [`Source`].
struct Taken {
    stream: Stream,
    info: ConnInfo,
    /// What a sibling had read of a passed connection.
    read_ahead: Bytes,
    /// It came from a sibling, not from the listen socket.
    passed: bool,
}

impl Source {
    async fn ready(&self) -> std::io::Result<()> {
        match self {
            Source::Listen(listener) => listener.ready().await,
            Source::Inbox(inbox) => inbox.ready().await,
        }
    }

    fn try_take(&self) -> std::io::Result<Option<Taken>> {
        Ok(match self {
            Source::Listen(listener) => listener.try_accept()?.map(|(stream, info)| Taken {
                stream,
                info,
                read_ahead: Bytes::new(),
                passed: false,
            }),
            Source::Inbox(inbox) => inbox.try_take()?.map(|passed| Taken {
                stream: passed.stream,
                info: passed.info,
                read_ahead: passed.read_ahead,
                passed: true,
            }),
        })
    }

    /// The call that failed, for the log.
    fn call(&self) -> &'static str {
        match self {
            Source::Listen(_) => "accept()",
            Source::Inbox(_) => "recvmsg() on the hand-off socket",
        }
    }
}

/// How long a full worker whose Python threads are finishing requests (it
/// is not stuck) lets connections wait before it takes one anyway: an idle
/// sibling takes a waiting connection at once, so one still waiting has
/// found none, and would otherwise starve behind the keep-alive requests
/// the busy workers hold (each then takes one per request it finished in
/// the deferral).
const ACCEPT_DEFERRAL: Duration = Duration::from_millis(5);

/// How many requests per Python thread a lone worker (`processes=1`)
/// queues before it defers accepting.
const LONE_AHEAD: usize = 128;

/// Takes the connections of `source` while this worker may (see
/// [`may_take`]); otherwise they wait in the kernel's queue for an idle
/// sibling, for a thread of this worker to free, or (full but not stuck)
/// for [`ACCEPT_DEFERRAL`].
async fn accept_loop(
    ctx: Arc<WorkerCtx>,
    source: Source,
    mut stop: watch::Receiver<bool>,
    alive: mpsc::Sender<()>,
) {
    // A single worker has no sibling to leave a connection to: while it is
    // not stuck it takes connections at once up to LONE_AHEAD queued
    // requests per thread, so a Python thread that finishes finds the
    // next request queued instead of sleeping until the runtime has
    // accepted and read it.
    let threads = usize::try_from(ctx.cfg.threads).unwrap_or(1).max(1);
    let ahead = if ctx.cfg.processes <= 1 {
        LONE_AHEAD * threads
    } else {
        0
    };
    // Connections a full worker may still take without waiting again: one
    // per request it finished while a connection waited (see
    // `wait_for_room`), until no connection waits.
    let mut credit: u64 = 0;
    loop {
        if !super::pause::wait(ctx.worker_id, &mut stop).await {
            return;
        }
        // Biased, stop first: a stopping worker must not accept one more
        // connection, which it would close unanswered.
        let ready = tokio::select! {
            biased;
            _ = stopped(&mut stop) => return,
            r = source.ready() => r,
        };
        if may_take(&ctx, ahead) {
            credit = 0;
        } else if ready.is_ok() {
            if credit > 0 && !ctx.is_stuck() {
                credit -= 1;
            } else {
                match wait_for_room(&ctx, ahead, &mut stop).await {
                    Some(earned) => credit = earned.saturating_sub(1),
                    None => return,
                }
            }
        }
        // Paused meanwhile: the connection stays in the queue.
        if crate::scoreboard::worker::paused() {
            continue;
        }
        match ready.and_then(|()| source.try_take()) {
            Ok(Some(taken)) => {
                // A passed connection with nothing read holds no place
                // until its next request comes.
                let slot = match &source {
                    Source::Inbox(_) if taken.read_ahead.is_empty() => None,
                    _ => Some(ctx.gate.take()),
                };
                let (ctx, stop, alive) = (Arc::clone(&ctx), stop.clone(), alive.clone());
                tokio::spawn(async move {
                    serve_http(ctx, taken, slot, stop).await;
                    drop(alive);
                });
            }
            // Another worker took it, or the queue is empty: what this
            // worker earned was for connections that no longer wait.
            Ok(None) => credit = 0,
            Err(err) => {
                // EMFILE and friends: back off instead of spinning.
                log_line!("{}: {err}", source.call());
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// This worker may take a connection now: a Python thread is free, or
/// (a lone worker) it is not stuck and has room in its queue.
fn may_take(ctx: &WorkerCtx, ahead: usize) -> bool {
    !ctx.gate.is_full() || (!ctx.is_stuck() && !ctx.gate.is_full_ahead(ahead))
}

/// Waits, with a connection waiting, until this worker may take it: until
/// [`may_take`], or until one [`ACCEPT_DEFERRAL`] passed in which the
/// worker finished requests and is not stuck. Never while stuck: then
/// the connection waits in the kernel's queue, for an idle sibling or the
/// first worker to free a thread, as uWSGI's do. Returns how many
/// connections it may take: one per request finished meanwhile, so a
/// burst of new connections (clients reconnecting after a reload) is
/// taken at the pace the worker serves, not one per deferral; `None` on
/// stop.
async fn wait_for_room(
    ctx: &WorkerCtx,
    ahead: usize,
    stop: &mut watch::Receiver<bool>,
) -> Option<u64> {
    loop {
        let served = ctx.requests.load(Ordering::Relaxed);
        tokio::select! {
            biased;
            _ = stopped(stop) => return None,
            _ = ctx.gate.wait_free() => {}
            _ = tokio::time::sleep(ACCEPT_DEFERRAL) => {}
        }
        let finished = ctx.requests.load(Ordering::Relaxed).wrapping_sub(served);
        if may_take(ctx, ahead) {
            return Some(1);
        }
        if finished > 0 && !ctx.is_stuck() {
            return Some(finished);
        }
    }
}

/// Registers an accepted HTTP connection and serves it.
async fn serve_http(
    ctx: Arc<WorkerCtx>,
    taken: Taken,
    slot: Option<Slot>,
    stop: watch::Receiver<bool>,
) {
    let Taken {
        stream,
        info,
        read_ahead,
        passed,
    } = taken;
    let conn = Conn {
        info,
        slot,
        read_ahead,
        // A passed connection's header was read by the worker it left.
        proxy_header: ctx.cfg.proxy_protocol && !passed,
    };
    match stream.register() {
        Ok(Registered::Tcp(s)) => serve_registered(ctx, s, conn, stop).await,
        Ok(Registered::Unix(s)) => serve_registered(ctx, s, conn, stop).await,
        Err(err) => log_line!("cannot register a connection: {err}"),
    }
}

/// An accepted HTTP connection before hyper takes it.
struct Conn {
    info: ConnInfo,
    slot: Option<Slot>,
    read_ahead: Bytes,
    /// A PROXY header may come first.
    proxy_header: bool,
}

async fn serve_registered<S>(
    ctx: Arc<WorkerCtx>,
    mut io: S,
    mut conn: Conn,
    stop: watch::Receiver<bool>,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + AsRawFd + Unpin + Send + 'static,
{
    if conn.proxy_header {
        match proxy_header(&ctx, &mut io, &mut conn).await {
            Ok(rest) => conn.read_ahead = rest,
            Err(err) => {
                log_line!(
                    "refused a connection from {}: {err} (PROXY protocol)",
                    conn.info.remote_addr
                );
                return;
            }
        }
    }
    http::serve(ctx, io, conn.info, conn.slot, conn.read_ahead, stop).await;
}

/// Reads the PROXY header into `conn.info`; returns the bytes after it.
/// The place taken at accept waits for the header as long as it would for
/// a request head, then is given back.
async fn proxy_header<S>(ctx: &WorkerCtx, io: &mut S, conn: &mut Conn) -> std::io::Result<Bytes>
where
    S: tokio::io::AsyncRead + Unpin,
{
    let Conn { slot, info, .. } = conn;
    let header = proxy_protocol::read(io, info, ctx.http_timeout);
    tokio::pin!(header);
    let reservation = tokio::time::sleep(http::HEAD_RESERVATION);
    tokio::pin!(reservation);
    loop {
        tokio::select! {
            read = &mut header => return read,
            () = &mut reservation, if slot.is_some() => drop(slot.take()),
        }
    }
}

/// `max-worker-lifetime`: after `lifetime`, the worker finishes what it
/// serves and the master replaces it, with uWSGI's line.
async fn retire_after(ctx: Arc<WorkerCtx>, lifetime: Duration) {
    tokio::time::sleep(lifetime).await;
    log_line!(
        "worker {} lifetime reached, it was running for {} second(s)",
        ctx.worker_id,
        ctx.started.elapsed().as_secs()
    );
    ctx.retire_because(&format!(
        "max-worker-lifetime reached ({} s)",
        lifetime.as_secs()
    ));
}
