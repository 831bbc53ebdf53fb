//! uwsgid: an application server and process supervisor for Python WSGI
//! apps that runs existing `uwsgi.ini` files unchanged.
//!
//! The crate is organised as the process tree it runs (see
//! `docs/architecture.md`):
//! - [`cli`], [`check_config`]: the binary's modes;
//! - [`config`]: ini files, environment and command line into an `AppConfig`;
//! - [`supervisor`]: the supervisor of every app of an apps directory;
//! - [`control`]: what the supervisor and each app master share to serve the
//!   control API;
//! - [`contract`]: what an app master and the processes it execs agree on;
//! - [`master`]: one app: binds its sockets and supervises its workers;
//! - [`worker`]: one worker process: embedded CPython serving WSGI, and
//!   the zygote ([`worker::zygote`]) that imports the app once and forks
//!   workers;
//! - [`scoreboard`]: shared-memory worker slots (master and workers);
//! - [`procmem`]: a process's RSS, PSS and address space from `/proc`;
//! - [`backoff`], [`signals`]: restart backoff and signal plumbing, shared
//!   by the app master and the supervisor;
//! - [`protocol`]: the wire formats and the one request type (uwsgi codec,
//!   request and response heads, CGI variables, hyper responses).

pub mod backoff;
pub mod cache;
pub mod check_config;
pub mod cli;
pub mod config;
pub mod contract;
pub mod control;
pub mod hooks;
mod log;
pub mod master;
pub mod procmem;
pub mod proctitle;
pub mod protocol;
pub mod scoreboard;
mod shared_lock;
mod shared_memory;
pub mod sharedarea;
pub mod signals;
pub mod supervisor;
pub mod worker;
