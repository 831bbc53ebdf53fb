//! End-to-end tests: the real `uwsgid` and `uwsgictl` binaries (built by
//! `cargo build --workspace`) against real clients (curl, Python, nginx).
//! Run them all with `scripts/test`, which also makes the test virtualenv
//! and Django project the Python tests need. The harness is the
//! `uwsgid_e2e` library (`tests/src/`).

mod appctl;
mod cache;
mod cheaper;
mod config;
mod ctl;
mod daemon;
mod daemons;
mod django_flask;
mod emperor;
mod faults;
mod limits;
mod master;
mod mules;
mod nginx;
mod operator;
mod reload;
mod request_log;
mod security;
mod side_processes;
mod spooler;
mod static_files;
mod uwsgi_module;
mod worker_protocol;
mod worker_protocol_idle;
mod wsgi;
