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

/// The loaded WSGI callable.
pub type App = pyo3::Py<pyo3::PyAny>;

/// Starts CPython for this app. Must run before any thread is spawned.
pub fn initialize(_cfg: &AppConfig) -> Result<(), WorkerError> {
    Err(WorkerError::Python("not implemented yet".into()))
}

/// Imports the app's WSGI callable (`module`/`wsgi-file`, `callable`),
/// logging the traceback when that fails.
pub fn load(_cfg: &AppConfig) -> Result<App, WorkerError> {
    Err(WorkerError::App("not implemented yet".into()))
}

/// Called in the zygote just before `fork(2)` (CPython's `PyOS_BeforeFork`).
pub fn fork_prepare() {}

/// Called in the child just after `fork(2)` (CPython's `PyOS_AfterFork_Child`).
pub fn fork_child() {}

/// Called in the parent just after `fork(2)` (CPython's `PyOS_AfterFork_Parent`).
pub fn fork_parent() {}

/// Serves requests until the worker is told to stop; returns the process
/// exit code. Starts its own tokio runtime: call it only after the fork.
pub fn serve(
    _cfg: Arc<AppConfig>,
    _app: App,
    _listeners: Vec<InheritedListener>,
    _worker_id: u32,
) -> i32 {
    1
}
