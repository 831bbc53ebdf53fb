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
use crate::contract::side_role::SideRole;
use crate::contract::titles;
use crate::log::log_line;
use crate::proctitle;
use crate::scoreboard;
use crate::worker;

/// `uwsgid __spooler` or `uwsgid __mule` (`mode`).
pub fn run(mode: &str) -> i32 {
    match main(mode) {
        Ok(code) => code,
        Err(err) => {
            log_line!("uwsgid: {err}");
            SETUP_FAILED_EXIT
        }
    }
}

fn main(mode: &str) -> Result<i32, ZygoteError> {
    let env = ChildEnv::from_env()?;
    worker::logging::init_process(&env.cfg);
    let number = child_env::side_id()?;
    let Some(role) = SideRole::from_mode(mode, number) else {
        return Ok(SETUP_FAILED_EXIT);
    };
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
        SideRole::Spooler(_) => worker::wsgi::uwsgi_module::set_spooler(),
        SideRole::Mule(id) => worker::wsgi::uwsgi_module::set_mule_id(id),
    }
    if let Err(err) = worker::initialize(&cfg) {
        log_line!("{err}");
        return Ok(SETUP_FAILED_EXIT);
    }
    if let Err(err) = worker::load(&cfg) {
        log_line!("{err}");
    }
    // The app's fork hooks (`@postfork`) run here too, as uWSGI runs them
    // in its mules and spoolers after their fork.
    worker::post_fork();
    Ok(match role {
        SideRole::Spooler(n) => worker::spooler::serve(cfg, n),
        SideRole::Mule(id) => worker::mule::serve(cfg, id),
    })
}

fn title(cfg: &AppConfig, role: SideRole) -> String {
    match role {
        SideRole::Spooler(_) => titles::spooler(cfg),
        SideRole::Mule(id) => titles::mule(cfg, id),
    }
}
