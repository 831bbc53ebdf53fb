//! A running worker: the tokio runtime (started after the fork), one accept
//! loop per listen socket gated on a free Python thread (see
//! [`ACCEPT_DEFERRAL`]), and the signals:
//! SIGHUP stops gracefully (stop accepting, finish in-flight requests,
//! close keep-alive connections, exit 0), SIGTERM/SIGINT exit at once.

use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use pyo3::prelude::*;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::{mpsc, watch};

use super::context::{WorkerCtx, stopped};
use super::gate::Slot;
use super::listener::{Listener, Registered, Socket, Stream};
use super::queue::JobQueue;
use super::{pool, trim};
use crate::config::{AppConfig, Protocol};
use crate::contract::InheritedListener;
use crate::contract::exit::END_EXIT;
use crate::log::log_line;
use crate::protocol::cgi::ConnInfo;
use crate::worker::fronts::{http, uwsgi};
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
    let ctx = Arc::new(WorkerCtx::new(
        cfg,
        worker_id,
        rt.handle().clone(),
        jobs,
        alive,
    ));
    let (uwsgi, http): (Vec<_>, Vec<_>) = listeners
        .into_iter()
        .partition(|l| l.spec.protocol == Protocol::Uwsgi);
    let Some(sockets) = open_sockets(worker_id, uwsgi) else {
        return 1;
    };
    if let Err(err) = pool::start(&ctx, app, queue, &sockets) {
        log_line!("worker {worker_id}: cannot start the Python threads: {err}");
        return 1;
    }
    let code = rt.block_on(serve(Arc::clone(&ctx), http, sockets, all_done));
    // Python threads may be inside the app: do not wait for them.
    rt.shutdown_background();
    if code == 0 {
        run_atexit();
    }
    code
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

/// After a graceful stop, every request is over: run the app's `atexit`
/// handlers (flushing metrics, closing pools) as uWSGI does.
fn run_atexit() {
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
    sockets: Arc<[Socket]>,
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
    if !sockets.is_empty() {
        tokio::spawn(take_over_when_stuck(
            Arc::clone(&ctx),
            sockets,
            stop.clone(),
        ));
    }
    for inherited in inherited {
        let raw = inherited.spec.raw.clone();
        match Listener::adopt(inherited) {
            Ok(listener) => {
                tokio::spawn(accept_loop(
                    Arc::clone(&ctx),
                    listener,
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
    tokio::spawn(trim::trim_when_idle(Arc::clone(&ctx)));
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

/// How long a connection may wait in the listen queue while every Python
/// thread of this worker is busy before the worker takes it anyway. An idle
/// sibling worker accepts at once, so within this time it takes the
/// connection; past it, the connection is better queued here than left
/// waiting behind keep-alive connections this worker already holds (which
/// would starve it for as long as they stay busy).
const ACCEPT_DEFERRAL: Duration = Duration::from_millis(5);

/// How long at most a full worker leaves a waiting connection to a better
/// sibling (see `scoreboard::worker::better_sibling`): on a loaded machine
/// an idle sibling's runtime may need longer than [`ACCEPT_DEFERRAL`] to
/// wake, and a slot whose worker just died looks idle until it is respawned.
const MAX_DEFERRAL: Duration = Duration::from_secs(1);

/// Waits, with every Python thread busy and a connection waiting since
/// `since`, until a thread frees or the deferral is over: [`ACCEPT_DEFERRAL`],
/// extended up to [`MAX_DEFERRAL`] while a sibling is idle or busy with a
/// younger request (it will take the connection; taking it here would make
/// it wait behind this worker's older request). False on stop.
async fn defer(ctx: &WorkerCtx, since: Instant, stop: &mut watch::Receiver<bool>) -> bool {
    let cores = usize::try_from(ctx.cfg.threads).unwrap_or(1).max(1);
    let mut until = since + ACCEPT_DEFERRAL;
    loop {
        tokio::select! {
            biased;
            _ = stopped(stop) => return false,
            _ = ctx.gate.wait_free() => return true,
            _ = tokio::time::sleep_until(until.into()) => {}
        }
        let now = Instant::now();
        let leave_it = ctx.cfg.processes > 1
            && now < since + MAX_DEFERRAL
            && crate::scoreboard::worker::better_sibling(ctx.cfg.processes, cores);
        if !leave_it {
            return true;
        }
        until = (now + ACCEPT_DEFERRAL).min(since + MAX_DEFERRAL);
    }
}

/// How many requests per Python thread a lone worker (`processes=1`)
/// queues before it defers accepting.
const LONE_AHEAD: usize = 128;

/// Accepts at once while a Python thread is free, so load spreads over idle
/// workers; with every thread busy, only once the listen queue has been
/// non-empty for [`ACCEPT_DEFERRAL`] (then every connection waiting, until
/// the queue is empty again). With `processes=1`,
/// also at once while fewer than [`LONE_AHEAD`] requests per thread wait.
async fn accept_loop(
    ctx: Arc<WorkerCtx>,
    listener: Listener,
    mut stop: watch::Receiver<bool>,
    alive: mpsc::Sender<()>,
) {
    // A single worker has no sibling to leave a connection to: it takes
    // connections at once up to LONE_AHEAD queued requests per thread, so
    // a Python thread that finishes finds the next request queued instead
    // of sleeping until the runtime has accepted and read it, and a burst
    // of new connections is not let in one per deferral.
    let threads = usize::try_from(ctx.cfg.threads).unwrap_or(1).max(1);
    let ahead = if ctx.cfg.processes <= 1 {
        LONE_AHEAD * threads
    } else {
        0
    };
    // Since when the listen queue has been non-empty while this worker
    // was full: once past the deferral, every connection waiting is taken.
    let mut waiting_since: Option<Instant> = None;
    loop {
        // Biased, stop first: a stopping worker must not accept one more
        // connection, which it would close unanswered. Only a connection
        // actually waiting starts the deferral clock.
        let ready = tokio::select! {
            biased;
            _ = stopped(&mut stop) => return,
            r = listener.ready() => r,
        };
        if ready.is_ok() && ctx.gate.is_full_ahead(ahead) {
            let since = *waiting_since.get_or_insert_with(Instant::now);
            if !defer(&ctx, since, &mut stop).await {
                return;
            }
        }
        let accepted = ready.and_then(|()| listener.try_accept());
        if !matches!(accepted, Ok(Some(_))) {
            waiting_since = None;
        }
        match accepted {
            Ok(Some((stream, info))) => {
                let slot = ctx.gate.take();
                let (ctx, stop, alive) = (Arc::clone(&ctx), stop.clone(), alive.clone());
                tokio::spawn(async move {
                    serve_http(ctx, stream, info, slot, stop).await;
                    drop(alive);
                });
            }
            // Another worker took it: wait for the next one.
            Ok(None) => {}
            Err(err) => {
                // EMFILE and friends: back off instead of spinning.
                log_line!("accept(): {err}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// How many ticks of [`take_over_when_stuck`] without a request in flight
/// put it to sleep until the next request: not at the first, so a worker
/// under load, idle for moments between requests, does not pay a wake-up
/// of the runtime for each moment.
const PARK_AFTER_IDLE_TICKS: u32 = 20;

/// Takes the connections waiting on the uwsgi sockets, which the idle
/// Python threads serve, once this worker has been stuck for
/// [`ACCEPT_DEFERRAL`]: every Python thread busy, none finished a request
/// in that time, and connections waiting since. An idle sibling worker
/// takes them first; past that, they are better queued here than left in
/// the listen queue. Sleeps once no request has been in flight for a
/// while, so it does not wake an idle worker.
async fn take_over_when_stuck(
    ctx: Arc<WorkerCtx>,
    sockets: Arc<[Socket]>,
    mut stop: watch::Receiver<bool>,
) {
    let mut scratch = BytesMut::new();
    let mut served = ctx.requests.load(Ordering::Relaxed);
    let mut waiting_since: Option<Instant> = None;
    let mut idle_ticks = 0;
    loop {
        if idle_ticks >= PARK_AFTER_IDLE_TICKS {
            tokio::select! {
                biased;
                _ = stopped(&mut stop) => return,
                _ = ctx.gate.wait_busy() => {}
            }
            idle_ticks = 0;
        }
        tokio::select! {
            biased;
            _ = stopped(&mut stop) => return,
            _ = tokio::time::sleep(ACCEPT_DEFERRAL) => {}
        }
        idle_ticks = if ctx.gate.is_busy() {
            0
        } else {
            idle_ticks + 1
        };
        let now = ctx.requests.load(Ordering::Relaxed);
        let stuck = now == served && ctx.gate.is_full() && !ctx.jobs.has_idle_thread();
        served = now;
        if !stuck || !any_waiting(&sockets) {
            waiting_since = None;
            continue;
        }
        let since = *waiting_since.get_or_insert_with(Instant::now);
        if since.elapsed() < ACCEPT_DEFERRAL {
            continue;
        }
        waiting_since = None;
        for socket in sockets.iter() {
            if let Err(err) = take_waiting(&ctx, socket, &stop, &mut scratch) {
                log_line!("accept(): {err}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// Some uwsgi socket has a connection waiting.
fn any_waiting(sockets: &[Socket]) -> bool {
    let mut fds: Vec<libc::pollfd> = sockets
        .iter()
        .map(|socket| libc::pollfd {
            fd: socket.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        })
        .collect();
    let count = libc::nfds_t::try_from(fds.len()).unwrap_or(0);
    // SAFETY: `fds` holds `count` pollfds for open sockets; no wait.
    unsafe { libc::poll(fds.as_mut_ptr(), count, 0) > 0 }
}

/// Accepts every connection waiting on `socket` for the runtime.
fn take_waiting(
    ctx: &Arc<WorkerCtx>,
    socket: &Socket,
    stop: &watch::Receiver<bool>,
    scratch: &mut BytesMut,
) -> std::io::Result<()> {
    while let Some(alive) = ctx.connection_token() {
        let Some((stream, _)) = socket.accept_now()? else {
            return Ok(());
        };
        let slot = ctx.gate.take();
        if let Some(conn) = uwsgi::answer_now(ctx, stream, slot, &alive, scratch) {
            let (ctx, stop) = (Arc::clone(ctx), stop.clone());
            tokio::spawn(async move {
                uwsgi::serve(ctx, conn, stop).await;
                drop(alive);
            });
        }
    }
    Ok(())
}

/// Registers an accepted HTTP connection and serves it.
async fn serve_http(
    ctx: Arc<WorkerCtx>,
    stream: Stream,
    info: ConnInfo,
    slot: Slot,
    stop: watch::Receiver<bool>,
) {
    match stream.register() {
        Ok(Registered::Tcp(s)) => http::serve(ctx, s, info, slot, stop).await,
        Ok(Registered::Unix(s)) => http::serve(ctx, s, info, slot, stop).await,
        Err(err) => log_line!("cannot register a connection: {err}"),
    }
}
