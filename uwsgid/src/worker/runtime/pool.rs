//! The worker's Python threads (`threads=N`). Each blocks on the job queue
//! without the GIL, attaches it for one WSGI call, and detaches again
//! around every wait inside the call (body reads, a slow client). Measured
//! as the fastest shape (docs/architecture.md): the tokio thread never
//! touches the GIL. With uwsgi listen sockets, an idle thread waits on them
//! too and serves what arrives itself (`idle.rs`).

use std::panic::AssertUnwindSafe;
use std::sync::mpsc::{Receiver, TryRecvError};
use std::sync::{Arc, Mutex, MutexGuard};

use pyo3::prelude::*;

use super::context::WorkerCtx;
use super::idle::{Idle, Next};
use super::listener::Socket;
use crate::log::log_line;
use crate::worker::fronts::job::Job;
use crate::worker::wsgi::app::App;
use crate::worker::wsgi::call;
use crate::worker::wsgi::environ::Statics;

fn lock(rx: &Mutex<Receiver<Job>>) -> MutexGuard<'_, Receiver<Job>> {
    rx.lock().unwrap_or_else(|p| p.into_inner())
}

/// Starts `ctx.cfg.threads` Python threads serving `rx` and, while idle,
/// the uwsgi `sockets`.
pub fn start(
    ctx: &Arc<WorkerCtx>,
    app: App,
    rx: Receiver<Job>,
    sockets: &Arc<[Socket]>,
) -> std::io::Result<()> {
    let app = Arc::new(app);
    let rx = Arc::new(Mutex::new(rx));
    for core in 0..ctx.cfg.threads.max(1) as usize {
        let (ctx, app, rx) = (Arc::clone(ctx), Arc::clone(&app), Arc::clone(&rx));
        let idle = (!sockets.is_empty()).then(|| Idle::new(Arc::clone(&ctx), Arc::clone(sockets)));
        std::thread::Builder::new()
            .name(format!("uwsgid-py-{core}"))
            .spawn(move || python_thread(&ctx, &app, &rx, idle, core))?;
    }
    Ok(())
}

/// Waits without the GIL for the next job (or, with `idle`, the next
/// request read from a uwsgi socket); `None` once the queue is closed.
fn wait(py: Python<'_>, rx: &Mutex<Receiver<Job>>, idle: Option<&mut Idle>) -> Option<Job> {
    match idle {
        Some(idle) => match py.detach(|| idle.next(rx)) {
            Next::Job(job) => Some(job),
            Next::Closed => None,
        },
        None => py.detach(|| lock(rx).recv()).ok(),
    }
}

fn python_thread(
    ctx: &WorkerCtx,
    app: &App,
    rx: &Mutex<Receiver<Job>>,
    mut idle: Option<Idle>,
    core: usize,
) {
    Python::attach(|py| {
        let statics = match Statics::new(
            py,
            ctx.cfg.threads,
            ctx.cfg.processes,
            !ctx.cfg.wsgi_disable_file_wrapper,
        ) {
            Ok(s) => s,
            Err(err) => {
                err.display(py);
                return;
            }
        };
        loop {
            // Take what is queued before giving up the GIL; but never wait
            // for the queue's lock with the GIL held: its holder may be
            // about to need the GIL.
            let next = match rx.try_lock() {
                Ok(queue) => queue.try_recv(),
                Err(_) => Err(TryRecvError::Empty),
            };
            let job = match next {
                Ok(job) => job,
                Err(TryRecvError::Empty) => match wait(py, rx, idle.as_mut()) {
                    Some(job) => job,
                    None => return,
                },
                Err(TryRecvError::Disconnected) => return,
            };
            // A paused app runs nothing more (`pause.rs`): the request
            // waits, with its connection.
            if crate::scoreboard::worker::paused() {
                py.detach(|| super::pause::wait_blocking(ctx.worker_id));
            }
            // A bug in one request must not take a Python thread away.
            let run = std::panic::catch_unwind(AssertUnwindSafe(|| {
                call::run(py, ctx, &statics, app, job, core);
            }));
            if run.is_err() {
                log_line!(
                    "worker {}: a request handler panicked (thread {core})",
                    ctx.worker_id
                );
            }
        }
    });
}
