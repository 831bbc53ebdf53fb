//! The entry of a process beside the workers that runs the app's Python:
//! a spooler (`uwsgid __spooler`) or a mule (`uwsgid __mule`). The master
//! execs each one; like a `lazy-apps` worker it starts CPython and imports
//! the app itself, so what the app registers at import (`@spool`,
//! `@mulefunc`, signal handlers) exists in it, then it runs its own loop
//! (`worker/spooler/`, `worker/mule/`) instead of serving requests.
//!
//! An app that fails to import is logged and the process goes on: a
//! spooler or a mule script may need none of it, as under uWSGI, whose
//! mules and spoolers outlive an app that did not load.

use std::sync::Arc;

use super::zygote::{self, SETUP_FAILED_EXIT, ZygoteError};
use crate::config::AppConfig;
use crate::contract::child_env::{self, ChildEnv};
use crate::contract::titles;
use crate::log::log_line;
use crate::proctitle;
use crate::scoreboard;
use crate::worker;

/// What the process is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Spooler process number `n` (from 0, directory by directory).
    Spooler(u32),
    /// Mule `id` (from 1).
    Mule(u32),
}

/// `uwsgid __spooler`.
pub fn run_spooler() -> i32 {
    run(Role::Spooler)
}

/// `uwsgid __mule`.
pub fn run_mule() -> i32 {
    run(Role::Mule)
}

fn run(role_of: impl FnOnce(u32) -> Role) -> i32 {
    match main(role_of) {
        Ok(code) => code,
        Err(err) => {
            log_line!("uwsgid: {err}");
            SETUP_FAILED_EXIT
        }
    }
}

fn main(role_of: impl FnOnce(u32) -> Role) -> Result<i32, ZygoteError> {
    let env = ChildEnv::from_env()?;
    worker::logging::init_process(&env.cfg);
    let role = role_of(child_env::side_id()?);
    // The scoreboard gives `uwsgi.workers()` and the locks; a side process
    // owns no slot of it.
    let _ = zygote::take_board().map(scoreboard::worker::install);
    zygote::take_caches(&env.cfg);
    // SAFETY: nothing has started a thread yet.
    unsafe {
        crate::contract::uwsgi_signals::take_from_env();
        crate::contract::mule_queues::take_from_env(env.cfg.mules.mules.len());
        child_env::scrub();
    }
    proctitle::set(&title(&env.cfg, role));
    zygote::tie_to_master(env.master_pid)?;
    // A side process accepts nothing: the listen sockets close here.
    drop(env.take_listeners()?);
    let cfg = Arc::new(env.cfg);
    match role {
        Role::Spooler(_) => worker::wsgi::uwsgi_module::set_spooler(),
        Role::Mule(id) => worker::wsgi::uwsgi_module::set_mule_id(id),
    }
    if let Err(err) = worker::initialize(&cfg) {
        log_line!("{err}");
        return Ok(SETUP_FAILED_EXIT);
    }
    if let Err(err) = worker::load(&cfg) {
        log_line!("{err}");
    }
    Ok(match role {
        Role::Spooler(n) => worker::spooler::serve(cfg, n),
        Role::Mule(id) => worker::mule::serve(cfg, id),
    })
}

fn title(cfg: &AppConfig, role: Role) -> String {
    match role {
        Role::Spooler(_) => titles::spooler(cfg),
        Role::Mule(id) => titles::mule(cfg, id),
    }
}

/// Waits until the master tells this process to stop (SIGHUP for a
/// graceful stop, SIGTERM, SIGINT or SIGQUIT), then returns 0.
pub fn wait_for_stop() -> i32 {
    use nix::sys::signal::{SigSet, Signal};
    let mut set = SigSet::empty();
    for signal in [
        Signal::SIGHUP,
        Signal::SIGTERM,
        Signal::SIGINT,
        Signal::SIGQUIT,
    ] {
        set.add(signal);
    }
    if let Err(err) = set.thread_block() {
        log_line!("uwsgid: cannot wait for the stop signal: {err}");
        return SETUP_FAILED_EXIT;
    }
    match set.wait() {
        Ok(_) => 0,
        Err(err) => {
            log_line!("uwsgid: waiting for the stop signal: {err}");
            SETUP_FAILED_EXIT
        }
    }
}
