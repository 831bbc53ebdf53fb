//! uWSGI signals and timers as the `uwsgi` module has them:
//! `register_signal`, `signal`, `signal_registered`, `signal_wait`,
//! `signal_received`, `add_timer`, `add_ms_timer`, `add_rb_timer`,
//! `add_cron`, `add_file_monitor`. Registrations and timers go to the
//! master over the signal socket (`crate::contract::uwsgi_signals`), which
//! keeps the table and fires the timers (`master/uwsgi_signals/`); the
//! handlers stay in this process (`signal_thread.rs`).

use std::cell::Cell;

use pyo3::exceptions::{PyIOError, PySystemError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyModule};

use super::signal_thread;
use super::unsupported::UnsupportedError;
use crate::contract::uwsgi_signals::{self, ToMaster};
use crate::log::log_line;

thread_local! {
    /// What `signal_wait` last returned on this thread (`signal_received`):
    /// 0 before any, -1 while one waits, as uWSGI's request field.
    static LAST_RECEIVED: Cell<i64> = const { Cell::new(0) };
}

pub fn add(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(register_signal, m)?)?;
    m.add_function(wrap_pyfunction!(signal, m)?)?;
    m.add_function(wrap_pyfunction!(signal_registered, m)?)?;
    m.add_function(wrap_pyfunction!(signal_wait, m)?)?;
    m.add_function(wrap_pyfunction!(signal_received, m)?)?;
    m.add_function(wrap_pyfunction!(add_timer, m)?)?;
    m.add_function(wrap_pyfunction!(add_ms_timer, m)?)?;
    m.add_function(wrap_pyfunction!(add_rb_timer, m)?)?;
    m.add_function(wrap_pyfunction!(add_cron, m)?)?;
    m.add_function(wrap_pyfunction!(add_file_monitor, m)?)?;
    Ok(())
}

/// Sends `message` to the master; false when it cannot be sent.
fn tell_master(message: &ToMaster) -> bool {
    let Some(socket) = uwsgi_signals::inherited() else {
        return false;
    };
    match uwsgi_signals::send(socket, &message.encode(), None) {
        Ok(()) => true,
        Err(err) if err.raw_os_error() == Some(libc::EAGAIN) => {
            log_line!("*** SIGNAL QUEUE IS FULL: the master does not read its signal socket ***");
            false
        }
        Err(err) => {
            log_line!("uwsgi_signal_send(): {err}");
            false
        }
    }
}

/// What a target names, as uWSGI's `uwsgi_route_signal` reads it: the
/// refusal for a target uwsgid cannot serve.
fn check_target(target: &str) -> PyResult<()> {
    let lacking = |what: &str| {
        Err(UnsupportedError::new_err(format!(
            "uwsgi.register_signal: target {target:?} needs {what}, which uwsgid does not provide"
        )))
    };
    let digits = |rest: &str| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit());
    match target {
        "" | "worker" | "workers" | "active-workers" | "spooler" => Ok(()),
        t if t.strip_prefix("worker").is_some_and(digits) => Ok(()),
        "mule" | "mules" => Ok(()),
        t if t.strip_prefix("mule").is_some_and(digits) => Ok(()),
        t if t.strip_prefix("farm_").is_some_and(|name| !name.is_empty()) => Ok(()),
        t if t.strip_prefix("farm").is_some_and(digits) => Ok(()),
        "subscribed" => lacking("subscriptions"),
        _ => Err(PyValueError::new_err(format!(
            "unable to register signal: unknown target {target:?}"
        ))),
    }
}

/// `uwsgi.register_signal(signum, target, handler)`.
#[pyfunction]
fn register_signal(signum: u8, target: &str, handler: Py<PyAny>) -> PyResult<()> {
    check_target(target)?;
    if target.len() > 63 {
        return Err(PyValueError::new_err("unable to register signal"));
    }
    let wid = super::worker_id();
    if !signal_thread::set_handler(signum, handler, wid == 0) {
        log_line!("[uwsgi-signal] you cannot re-register a signal as the master !!!");
        return Err(PyValueError::new_err("unable to register signal"));
    }
    if !tell_master(&ToMaster::Register(signum, target.to_owned())) {
        return Err(PyValueError::new_err("unable to register signal"));
    }
    let shown = if target.is_empty() {
        "default, any worker"
    } else {
        target
    };
    log_line!(
        "[uwsgi-signal] signum {signum} registered (wid: {wid} modifier1: 0 target: {shown})"
    );
    if wid > 0 {
        signal_thread::ensure_channel(wid);
    }
    Ok(())
}

/// `uwsgi.signal(signum)`: the master routes it to its target.
#[pyfunction]
#[pyo3(signature = (signum, remote = None))]
fn signal(signum: u8, remote: Option<&str>) -> PyResult<()> {
    if let Some(remote) = remote {
        return Err(UnsupportedError::new_err(format!(
            "uwsgi.signal: sending to another node ({remote}) is not supported by uwsgid"
        )));
    }
    if !tell_master(&ToMaster::Raise(signum)) && uwsgi_signals::inherited().is_none() {
        return Err(PyIOError::new_err("the master's signal socket is missing"));
    }
    Ok(())
}

/// `uwsgi.signal_registered(signum)`: True, or None (as uWSGI).
#[pyfunction]
fn signal_registered(py: Python<'_>, signum: u8) -> Py<PyAny> {
    if signal_thread::is_registered(signum) {
        true.into_pyobject(py)
            .map_or_else(|_| py.None(), |b| b.to_owned().into_any().unbind())
    } else {
        py.None()
    }
}

/// `uwsgi.signal_wait([signum])`: waits without the GIL until this worker
/// handled a signal (that one, if given); returns `b""` as uWSGI.
#[pyfunction]
#[pyo3(signature = (signum = None))]
fn signal_wait(py: Python<'_>, signum: Option<u8>) -> PyResult<Py<PyBytes>> {
    let wid = super::worker_id();
    LAST_RECEIVED.set(-1);
    if wid == 0 || !signal_thread::ensure_channel(wid) {
        return Err(PySystemError::new_err("error waiting for signal"));
    }
    let mark = signal_thread::mark();
    let got = py.detach(|| signal_thread::wait_after(mark, signum));
    LAST_RECEIVED.set(i64::from(got));
    Ok(PyBytes::new(py, b"").unbind())
}

/// `uwsgi.signal_received()`: what `signal_wait` got on this thread.
#[pyfunction]
fn signal_received() -> i64 {
    LAST_RECEIVED.get()
}

fn add_or(message: ToMaster, error: &'static str) -> PyResult<()> {
    if tell_master(&message) {
        Ok(())
    } else {
        Err(PyValueError::new_err(error))
    }
}

/// `uwsgi.add_timer(signum, seconds)`.
#[pyfunction]
fn add_timer(signum: u8, seconds: i64) -> PyResult<()> {
    if seconds <= 0 {
        return Err(PyValueError::new_err("unable to add timer"));
    }
    let ms = u64::try_from(seconds).unwrap_or(0).saturating_mul(1000);
    add_or(ToMaster::Timer(signum, ms), "unable to add timer")
}

/// `uwsgi.add_ms_timer(signum, milliseconds)`.
#[pyfunction]
fn add_ms_timer(signum: u8, msecs: i64) -> PyResult<()> {
    if msecs <= 0 {
        return Err(PyValueError::new_err("unable to add timer"));
    }
    let ms = u64::try_from(msecs).unwrap_or(0);
    add_or(ToMaster::Timer(signum, ms), "unable to add timer")
}

/// `uwsgi.add_rb_timer(signum, seconds[, iterations])` (0 = forever).
#[pyfunction]
#[pyo3(signature = (signum, seconds, iterations = 0))]
fn add_rb_timer(signum: u8, seconds: i64, iterations: i64) -> PyResult<()> {
    let (Ok(secs), Ok(n)) = (u64::try_from(seconds), u64::try_from(iterations)) else {
        return Err(PyValueError::new_err("unable to add rb_timer"));
    };
    if secs == 0 {
        return Err(PyValueError::new_err("unable to add rb_timer"));
    }
    add_or(ToMaster::RbTimer(signum, secs, n), "unable to add rb_timer")
}

/// `uwsgi.add_cron(signum, minute, hour, day, month, week)`: negative
/// means every N (-1 = every); returns True as uWSGI.
#[pyfunction]
fn add_cron(signum: u8, minute: i32, hour: i32, day: i32, month: i32, week: i32) -> PyResult<bool> {
    let fields = [minute, hour, day, month, week];
    add_or(ToMaster::Cron(signum, fields), "unable to add cron")?;
    Ok(true)
}

/// `uwsgi.add_file_monitor(signum, path)`: the master looks at it once a
/// second.
#[pyfunction]
fn add_file_monitor(signum: u8, filename: &str) -> PyResult<()> {
    if filename.is_empty() || filename.len() > 0xff - 1 {
        log_line!("uwsgi_add_file_monitor: invalid filename length");
        return Err(PyValueError::new_err("unable to add file monitor"));
    }
    let message = ToMaster::FileMonitor(signum, filename.to_owned());
    add_or(message, "unable to add file monitor")
}
