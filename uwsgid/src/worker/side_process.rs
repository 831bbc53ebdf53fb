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
    Ok(match role {
        SideRole::Spooler(n) => {
            // The app's fork hooks (`@postfork`, and the signal pipe when it
            // has handlers), as uWSGI runs them in its spoolers after the
            // fork. A mule runs them itself, once it can be stopped.
            worker::post_fork();
            worker::spooler::serve(cfg, n)
        }
        SideRole::Mule(id) => worker::mule::serve(cfg, id),
    })
}

fn title(cfg: &AppConfig, role: SideRole) -> String {
    match role {
        SideRole::Spooler(_) => titles::spooler(cfg),
        SideRole::Mule(id) => titles::mule(cfg, id),
    }
}

/// The signals the master stops a side process with: SIGHUP (gracefully),
/// SIGTERM, SIGINT, SIGQUIT (at once).
pub(super) const STOP_SIGNALS: [libc::c_int; 4] =
    [libc::SIGHUP, libc::SIGTERM, libc::SIGINT, libc::SIGQUIT];

/// Installs `handler` for `signals` (`SA_RESTART`) and unblocks them in
/// the calling thread, where the entry may have left them blocked. The
/// handler must call only async-signal-safe functions.
pub(super) fn handle_signals(
    signals: &[libc::c_int],
    handler: extern "C" fn(libc::c_int),
) -> std::io::Result<()> {
    use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction};
    let action = SigAction::new(
        SigHandler::Handler(handler),
        SaFlags::SA_RESTART,
        SigSet::empty(),
    );
    let mut set = SigSet::empty();
    for &number in signals {
        let signal = Signal::try_from(number)?;
        // SAFETY: the caller's handler is async-signal-safe.
        unsafe { sigaction(signal, &action) }?;
        set.add(signal);
    }
    set.thread_unblock()?;
    Ok(())
}
