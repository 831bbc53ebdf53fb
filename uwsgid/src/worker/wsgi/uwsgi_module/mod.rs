//! The `uwsgi` Python module, as uWSGI 2.0.31's embedded interpreter has
//! it, and uWSGI's `uwsgidecorators` beside it.
//!
//! The module is made when CPython starts in a zygote or a `lazy-apps`
//! worker (`register`, from `wsgi/python.rs`) and put into `sys.modules`,
//! so `import uwsgi` works at app import time and in every worker, and
//! only inside uwsgid. What it holds:
//!
//! - `attributes.rs`: the values fixed for the process: `opt` (the options
//!   as read, `config::AppConfig::exported_options`), `version`,
//!   `numproc`, `hostname`, `started_on`, …;
//! - `process.rs`: the functions about this process and the app
//!   (`worker_id`, `masterpid`, `reload`, `stop`, `log`, `setprocname`, …);
//!   and here, the hooks the worker calls: `post_fork_hook` after each
//!   fork, `atexit` when a worker ends gracefully;
//! - `workers.rs`: `workers()` and `total_requests()`, read from the
//!   scoreboard;
//! - `request.rs`: what concerns the request on the calling thread
//!   (`set_logvar`, `log_this_request`, `request_id`);
//! - `locks.rs`: `lock`, `unlock`, `is_locked` on the scoreboard's user
//!   locks, shared by every process of the app;
//! - `signals.rs`: uWSGI signals and timers (`register_signal`,
//!   `signal`, `add_timer`, …), served by the master; `signal_thread.rs`:
//!   this process's handlers and the thread that runs them;
//! - `spooler.rs`: `spool`, `spooler_jobs`, `spooler_pids`, … (the tasks
//!   themselves run in `worker/spooler/`);
//! - `mules.rs`: mules and farms (`mule_msg`, `mule_get_msg`, `farm_msg`,
//!   `farm_get_msg`, `in_farm`) on the inherited message queues;
//!   `mule_harakiri.rs`: a mule's own `mule-harakiri` watch;
//! - `unsupported.rs`: the one list of uWSGI's functions uwsgid does not
//!   provide yet; each exists and raises `uwsgi.UnsupportedError` naming
//!   itself;
//! - `decorators.rs` with `uwsgidecorators.py`: the decorators module,
//!   found by a `sys.meta_path` finder when no `uwsgidecorators.py` is on
//!   `sys.path`.

mod attributes;
mod cache;
mod decorators;
mod locks;
mod mule_harakiri;
pub mod mules;
mod process;
mod request;
mod sharedarea;
mod signal_thread;
mod signals;
mod spooler;
mod unsupported;
mod workers;

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use pyo3::prelude::*;
use pyo3::types::PyModule;

use crate::config::AppConfig;

pub use request::enter_request;

/// What the module's functions read: fixed when the module is made.
struct State {
    /// The app master's pid (the parent of a zygote or a lazy worker).
    master: i32,
    numproc: u32,
    /// Threads per worker (uWSGI's `cores`).
    cores: u32,
    /// The highest user lock number (`locks`).
    locks: u32,
}

static STATE: OnceLock<State> = OnceLock::new();
static MODULE: OnceLock<Py<PyModule>> = OnceLock::new();
/// This worker's id; 0 in the zygote (uWSGI's `mywid`).
static WORKER_ID: AtomicU32 = AtomicU32::new(0);
/// This mule's id, or 0.
static MULE_ID: AtomicU32 = AtomicU32::new(0);
/// This process is a spooler.
static SPOOLER: AtomicBool = AtomicBool::new(false);

fn state() -> &'static State {
    STATE.get_or_init(|| State {
        master: 0,
        numproc: 1,
        cores: 1,
        locks: 0,
    })
}

/// Makes the `uwsgi` module and the `uwsgidecorators` finder. Called once,
/// with the GIL, right after CPython started.
pub fn register(py: Python<'_>, cfg: &AppConfig) -> PyResult<()> {
    let _ = STATE.set(State {
        master: i32::try_from(std::os::unix::process::parent_id()).unwrap_or(0),
        numproc: cfg.processes,
        cores: cfg.threads,
        locks: cfg.locks,
    });
    let module = PyModule::new(py, "uwsgi")?;
    attributes::add(&module, cfg)?;
    process::add(&module)?;
    workers::add(&module)?;
    request::add(&module)?;
    locks::add(&module)?;
    signals::add(&module)?;
    cache::add(&module)?;
    sharedarea::add(&module)?;
    spooler::add(&module, cfg)?;
    mules::add(&module, &cfg.mules)?;
    unsupported::add(&module)?;
    py.import("sys")?
        .getattr("modules")?
        .set_item("uwsgi", &module)?;
    let _ = MODULE.set(module.unbind());
    decorators::install(py)
}

/// The worker's id, from the fork (or exec) on.
pub fn set_worker_id(id: u32) {
    WORKER_ID.store(id, Ordering::Relaxed);
}

fn worker_id() -> u32 {
    WORKER_ID.load(Ordering::Relaxed)
}

/// This process is mule `id` (from 1) from now on (`uwsgi.mule_id()`).
pub fn set_mule_id(id: u32) {
    MULE_ID.store(id, Ordering::Relaxed);
}

fn mule_id() -> u32 {
    MULE_ID.load(Ordering::Relaxed)
}

/// This process is a spooler from now on (`uwsgi.i_am_the_spooler()`).
pub fn set_spooler() {
    SPOOLER.store(true, Ordering::Relaxed);
}

fn is_spooler() -> bool {
    SPOOLER.load(Ordering::Relaxed)
}

/// Runs `uwsgi.post_fork_hook` (what `@postfork` registers), if the app
/// set one: in each worker after its fork, or after a `lazy-apps` worker
/// imported the app. An exception is logged; the worker goes on.
pub fn post_fork() {
    signal_thread::after_fork(worker_id());
    call_hook("post_fork_hook");
}

/// In a spooler process, after its `spooler-import` modules: the pipe the
/// master writes uWSGI signals into (target `spooler`), when those modules
/// registered the first handlers (the app's own opened it at the fork
/// hooks already), and the thread that runs them.
pub fn open_signal_channel() {
    signal_thread::after_fork(worker_id());
}

/// In mule `id`, before its script or its loop: its signal pipe and
/// thread (the mule targets reach it from now on) and the
/// `mule-harakiri` watch.
pub fn start_mule(id: u32, harakiri: u32) {
    mule_harakiri::configure(id, harakiri);
    signal_thread::start_mule_thread(id);
}

/// The `uwsgi` module's attribute `name`, when the app set it (and it is
/// not None).
pub fn hook<'py>(py: Python<'py>, name: &str) -> PyResult<Option<Bound<'py, PyAny>>> {
    let Some(module) = MODULE.get() else {
        return Ok(None);
    };
    Ok(module
        .bind(py)
        .getattr_opt(name)?
        .filter(|hook| !hook.is_none()))
}

/// Runs `uwsgi.atexit`, if the app set one: when a worker ends gracefully
/// (`runtime/serve.rs`, before Python's `atexit` handlers, as in uWSGI).
pub fn at_exit() {
    call_hook("atexit");
}

fn call_hook(name: &str) {
    let Some(module) = MODULE.get() else {
        return;
    };
    Python::attach(|py| {
        let hook = match module.bind(py).getattr_opt(name) {
            Ok(Some(hook)) if !hook.is_none() => hook,
            Ok(_) => return,
            Err(err) => return err.display(py),
        };
        if let Err(err) = hook.call0() {
            err.display(py);
        }
    });
}
