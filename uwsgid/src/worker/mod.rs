//! One worker process: embedded CPython serving the WSGI app on the listen
//! sockets inherited from the app master.
//!
//! The entry points below are the contract with the zygote and the master
//! (`crate::zygote`, `crate::master`):
//! 1. [`initialize`] starts CPython for the app (virtualenv, `chdir`,
//!    `pythonpath`, `env`) in a single-threaded process;
//! 2. [`load`] imports the WSGI callable;
//! 3. around each `fork(2)` of the zygote: [`fork_prepare`], then
//!    [`fork_child`] or [`fork_parent`];
//! 4. [`serve`] runs the worker until it is told to stop, and returns its exit
//!    code.
//!
//! Inside: `serve` starts a current-thread tokio runtime that does all socket
//! I/O (`http_front` with hyper, `uwsgi_front`), both fronts produce one
//! [`request::RequestHead`] plus a body source, and `pool` runs the WSGI
//! calls (`call`) on `threads` Python threads that hold the GIL only while
//! Python runs. `gate` makes a worker accept only while it has a Python
//! thread free.

mod app;
mod body;
mod call;
pub mod cgi;
mod context;
mod cow;
mod direct;
mod environ;
mod errors_stream;
mod file_wrapper;
mod gate;
mod http_front;
mod idle;
mod input;
mod listener;
mod own_venv;
mod pool;
mod post_buffer;
mod python;
mod queue;
pub mod request;
mod request_log;
pub mod response;
mod serve;
mod trim;
mod uwsgi_front;
mod write_timeout;

use std::os::fd::OwnedFd;
use std::sync::Arc;

use crate::config::{AppConfig, ListenSpec};

/// A listen socket inherited from the master, with the spec it was bound for.
#[derive(Debug)]
pub struct InheritedListener {
    pub spec: ListenSpec,
    pub fd: OwnedFd,
}

/// Why a worker could not start.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    /// The interpreter could not be started (bad virtualenv, unreadable stdlib, …).
    #[error("cannot start the Python interpreter: {0}")]
    Python(String),
    /// The app could not be imported; the traceback has been logged.
    #[error("cannot load the WSGI app: {0}")]
    App(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// The exit code of a worker or zygote whose app failed to load (uWSGI's
/// `UWSGI_FAILED_APP_CODE`).
pub const FAILED_APP_EXIT: i32 = 22;

/// The exit code of a worker stopped by SIGTERM/SIGINT (uWSGI's
/// `UWSGI_END_CODE`); a graceful stop (SIGHUP) exits 0.
pub const END_EXIT: i32 = serve::END_EXIT;

/// The loaded WSGI callable (Python `None` when `need-app` is off and the
/// app failed to load: every request is then answered 500).
pub type App = pyo3::Py<pyo3::PyAny>;

/// Starts CPython for this app. Must run before any thread is spawned.
pub fn initialize(cfg: &AppConfig) -> Result<(), WorkerError> {
    python::initialize(cfg)
}

/// Imports the app's WSGI callable (`module`/`wsgi-file`, `callable`),
/// logging the traceback when that fails.
pub fn load(cfg: &AppConfig) -> Result<App, WorkerError> {
    app::load(cfg)
}

/// Called in the zygote just before `fork(2)`: freezes the objects the
/// worker will share (see `cow`), then CPython's `PyOS_BeforeFork`.
pub fn fork_prepare() {
    cow::freeze_before_fork();
    python::fork_prepare();
}

/// Called in the child just after `fork(2)` (CPython's `PyOS_AfterFork_Child`).
pub fn fork_child() {
    python::fork_child();
}

/// Called in the parent just after `fork(2)` (CPython's `PyOS_AfterFork_Parent`).
pub fn fork_parent() {
    python::fork_parent();
}

/// Serves requests until the worker is told to stop; returns the process
/// exit code. Starts its own tokio runtime: call it only after the fork.
pub fn serve(
    cfg: Arc<AppConfig>,
    app: App,
    listeners: Vec<InheritedListener>,
    worker_id: u32,
) -> i32 {
    serve::run(cfg, app, listeners, worker_id)
}
