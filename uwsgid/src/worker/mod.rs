//! One worker process: embedded CPython serving the WSGI app on the listen
//! sockets inherited from the app master, and the zygote that forks it.
//!
//! The entry points below are what the zygote ([`zygote`]) runs:
//! 1. [`initialize`] starts CPython for the app (virtualenv, `chdir`,
//!    `pythonpath`, `env`) in a single-threaded process;
//! 2. [`load`] imports the WSGI callable;
//! 3. around each `fork(2)` of the zygote: [`fork_prepare`], then
//!    [`fork_child`] or [`fork_parent`];
//! 4. [`serve`] runs the worker until it is told to stop, and returns its exit
//!    code.
//!
//! Inside, by concern:
//! - `runtime/`: the running worker: the tokio runtime and its accept loop,
//!   the listen sockets, the accept gate, the Python threads and their
//!   queue, the idle threads' own accept path on the uwsgi sockets;
//! - `fronts/`: the protocol fronts (`http.rs` with hyper, `uwsgi.rs`, the
//!   direct uwsgi answer), which turn a connection into a `Job` (one
//!   [`RequestHead`] plus a body source) and the response events back into
//!   bytes;
//! - `wsgi/`: CPython and the WSGI call: interpreter start, app import, the
//!   environ, `wsgi.input`, `start_response`, `wsgi.file_wrapper`;
//! - `logging/`: the request log.
//!
//! Arrows inside: `runtime` starts the fronts and runs the Python threads,
//! which run `wsgi::call`; the fronts and the WSGI side meet at the job and
//! its response events (`fronts/job.rs`, `fronts/event.rs`); wire formats
//! come from [`crate::protocol`]. The worker side imports `config`,
//! `contract`, `protocol` and `scoreboard`, never the master.
//!
//! [`RequestHead`]: crate::protocol::request::RequestHead

mod fronts;
mod logging;
mod mule;
mod own_harakiri;
pub(crate) mod routing;
mod runtime;
pub mod side_process;
mod spooler;
mod wsgi;
pub mod zygote;

use std::sync::Arc;

use crate::config::AppConfig;
use crate::contract::InheritedListener;
pub use wsgi::app::{App, WorkerError};

/// Starts CPython for this app. Must run before any thread is spawned.
pub fn initialize(cfg: &AppConfig) -> Result<(), WorkerError> {
    wsgi::python::initialize(cfg)
}

/// Imports the app's WSGI callable (`module`/`wsgi-file`, `callable`),
/// logging the traceback when that fails.
pub fn load(cfg: &AppConfig) -> Result<App, WorkerError> {
    wsgi::app::load(cfg)
}

/// Runs a hook point of a worker (or the zygote). A failure destroys the
/// instance, as in uWSGI: the master gets SIGINT; the error is the exit
/// code to use.
pub fn run_hooks(phase: &str, lines: &[String]) -> Result<(), i32> {
    if crate::hooks::run(phase, lines).is_ok() {
        return Ok(());
    }
    let _ = nix::sys::signal::kill(nix::unistd::getppid(), nix::sys::signal::Signal::SIGINT);
    Err(1)
}

/// Called in the zygote just before `fork(2)`: freezes the objects the
/// worker will share (see `wsgi/cow.rs`), then CPython's `PyOS_BeforeFork`.
pub fn fork_prepare() {
    wsgi::cow::freeze_before_fork();
    wsgi::python::fork_prepare();
}

/// Called in the child just after `fork(2)` (CPython's `PyOS_AfterFork_Child`).
pub fn fork_child() {
    wsgi::python::fork_child();
}

/// Called in the parent just after `fork(2)` (CPython's `PyOS_AfterFork_Parent`).
pub fn fork_parent() {
    wsgi::python::fork_parent();
}

/// This process is worker `id` from now on (`uwsgi.worker_id()`).
pub fn set_worker_id(id: u32) {
    wsgi::uwsgi_module::set_worker_id(id);
}

/// The app's fork hook (`uwsgi.post_fork_hook`, what `@postfork`
/// registers), once per worker: after the fork, or after a `lazy-apps`
/// worker imported the app.
pub fn post_fork() {
    wsgi::uwsgi_module::post_fork();
}

/// Serves requests until the worker is told to stop; returns the process
/// exit code (after the app's exit handlers when it stopped gracefully).
/// Starts its own tokio runtime: call it only after the fork.
pub fn serve(
    cfg: Arc<AppConfig>,
    app: App,
    listeners: Vec<InheritedListener>,
    worker_id: u32,
) -> i32 {
    // Before the worker's threads exist: they must share the one heap.
    runtime::trim::keep_freed_memory_while_serving();
    runtime::serve::run(cfg, app, listeners, worker_id)
}
