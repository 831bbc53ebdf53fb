//! A mule (`uwsgid __mule`, started by the master after the workers): it
//! imported the app (`worker/side_process.rs`); here it says hello to the
//! master as a mule (its signal handlers run on its signal thread from
//! then on), runs the app's `uwsgi.post_fork_hook` (where `@mule`,
//! `@muleloop`, `@mulemsg` and `@farm` run) and `hook-as-mule`, then its
//! script (`script.rs`) or, without one, waits for messages and calls
//! `uwsgi.mule_msg_hook` with each (`bare.rs`), as uWSGI's mules do.
//!
//! Stopping (`stop.rs`): SIGHUP ends a bare mule between two messages
//! (exit 0) and a script mule at once; SIGTERM, SIGINT and SIGQUIT end
//! any mule at once.

mod bare;
mod script;
mod stop;

use std::sync::Arc;

use pyo3::exceptions::PySystemExit;
use pyo3::prelude::*;

use super::wsgi::uwsgi_module;
use crate::config::AppConfig;
use crate::log::log_line;

/// Runs mule `id` until it is told to stop; returns its exit code.
pub fn serve(cfg: Arc<AppConfig>, id: u32) -> i32 {
    let stop = match stop::install() {
        Ok(stop) => stop,
        Err(err) => {
            log_line!("uWSGI mule {id}: cannot handle the stop signals: {err}");
            return 1;
        }
    };
    uwsgi_module::start_mule(id, cfg.mules.harakiri);
    if let Some(code) = post_fork() {
        return code;
    }
    // uWSGI's `hook-as-mule`: a failure ends the mule, as uWSGI's fatal
    // hook does (the master respawns it).
    if crate::hooks::run("as-mule", &cfg.hooks.as_mule).is_err() {
        return 1;
    }
    let spec = cfg
        .mules
        .mules
        .get((id as usize).saturating_sub(1))
        .and_then(|m| m.script.as_deref());
    match spec.map(script::Script::of) {
        Some(Some(script)) => script.run(),
        Some(None) => {
            // uWSGI's Python plugin takes neither form; the mule waits.
            log_line!(
                "mule {id}: {:?} is neither a .py file nor module:callable: waiting for messages and signals",
                spec.unwrap_or_default()
            );
            bare::run(id, &stop)
        }
        None => bare::run(id, &stop),
    }
}

/// `uwsgi.post_fork_hook`, as uWSGI calls it in a mule: `Some(code)` when
/// it raised `SystemExit` (uWSGI's mule exits then).
fn post_fork() -> Option<i32> {
    Python::attach(|py| {
        let hook = match uwsgi_module::hook(py, "post_fork_hook") {
            Ok(Some(hook)) => hook,
            Ok(None) => return None,
            Err(err) => return exit_code(py, err),
        };
        hook.call0().err().and_then(|err| exit_code(py, err))
    })
}

/// What an exception from the app means for the mule: `SystemExit` ends
/// it with its code (as `PyErr_Print` does in uWSGI); any other is
/// printed and the mule goes on.
fn exit_code(py: Python<'_>, err: PyErr) -> Option<i32> {
    if !err.is_instance_of::<PySystemExit>(py) {
        err.display(py);
        return None;
    }
    let code = err.value(py).getattr("code").ok();
    Some(match code {
        None => 1,
        Some(code) if code.is_none() => 0,
        Some(code) => code.extract::<i32>().unwrap_or_else(|_| {
            err.display(py);
            1
        }),
    })
}
