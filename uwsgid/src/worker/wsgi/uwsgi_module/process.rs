//! The functions about this process and the app: who am I, tell the
//! master to reload or stop, write to the log, the process title.

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use pyo3::prelude::*;
use pyo3::types::PyModule;

use crate::log::log_line;

pub fn add(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(worker_id, m)?)?;
    m.add_function(wrap_pyfunction!(masterpid, m)?)?;
    m.add_function(wrap_pyfunction!(mule_id, m)?)?;
    m.add_function(wrap_pyfunction!(reload, m)?)?;
    m.add_function(wrap_pyfunction!(stop, m)?)?;
    m.add_function(wrap_pyfunction!(log, m)?)?;
    m.add_function(wrap_pyfunction!(logsize, m)?)?;
    m.add_function(wrap_pyfunction!(setprocname, m)?)?;
    m.add_function(wrap_pyfunction!(is_connected, m)?)?;
    m.add_function(wrap_pyfunction!(accepting, m)?)?;
    m.add_function(wrap_pyfunction!(mem, m)?)?;
    m.add_function(wrap_pyfunction!(micros, m)?)?;
    m.add_function(wrap_pyfunction!(ready, m)?)?;
    m.add_function(wrap_pyfunction!(i_am_the_spooler, m)?)?;
    m.add_function(wrap_pyfunction!(set_user_harakiri, m)?)?;
    Ok(())
}

/// `set_user_harakiri(seconds)`: the master kills this worker once the
/// seconds have passed, unless called again (0 clears it), as uWSGI's
/// per-worker timer; it works without `harakiri` set. A mule kills
/// itself (`mule_harakiri.rs`).
#[pyfunction]
fn set_user_harakiri(seconds: i64) {
    let seconds = u64::try_from(seconds).unwrap_or(0);
    // A mule has no scoreboard slot: it watches its own deadline.
    if super::mule_id() > 0 {
        return super::mule_harakiri::set_user(seconds);
    }
    crate::scoreboard::worker::set_user_harakiri(seconds);
}

/// This worker's id (1 …); 0 in the zygote, while the app is imported.
#[pyfunction]
fn worker_id() -> u32 {
    super::worker_id()
}

/// The app master's pid. uWSGI gives 0 without `master`; uwsgid always
/// has a master.
#[pyfunction]
fn masterpid() -> i32 {
    super::state().master
}

/// This mule's id (from 1); 0 in any other process.
#[pyfunction]
fn mule_id() -> u32 {
    super::mule_id()
}

/// A graceful reload of the app (SIGHUP to the master, as uWSGI does).
/// True when the signal was sent, else None.
#[pyfunction]
fn reload(py: Python<'_>) -> Option<bool> {
    signal_master(py, Signal::SIGHUP)
}

/// Stops the app (SIGQUIT to the master, as uWSGI does).
#[pyfunction]
fn stop(py: Python<'_>) -> Option<bool> {
    signal_master(py, Signal::SIGQUIT)
}

fn signal_master(py: Python<'_>, signal: Signal) -> Option<bool> {
    let master = super::state().master;
    if master <= 0 {
        return None;
    }
    match py.detach(|| kill(Pid::from_raw(master), signal)) {
        Ok(()) => Some(true),
        Err(err) => {
            log_line!("kill(): {err}");
            None
        }
    }
}

/// Writes one line to the app's log. Returns True, as uWSGI does.
#[pyfunction]
fn log(py: Python<'_>, message: &str) -> bool {
    let line = message.to_owned();
    py.detach(move || log_line!("{line}"));
    true
}

/// 0: uwsgid keeps no count of the bytes logged.
#[pyfunction]
fn logsize() -> u64 {
    0
}

/// Sets this process's title (as shown by `ps`).
#[pyfunction]
fn setprocname(name: &str) {
    crate::proctitle::set(name);
}

/// Whether `fd` is a socket without a pending error (uWSGI's
/// `uwsgi_is_connected`).
#[pyfunction]
fn is_connected(fd: i32) -> bool {
    if fd < 0 {
        return false;
    }
    let mut error: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: getsockopt writes at most `len` bytes into `error`; a bad
    // descriptor only makes it fail.
    let rc = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_ERROR,
            (&raw mut error).cast(),
            &raw mut len,
        )
    };
    rc == 0 && error == 0
}

/// Marks this worker accepting (or not) in the scoreboard, as shown by
/// the stats server. Returns None, as uWSGI does.
#[pyfunction]
#[pyo3(signature = (accepting = 1))]
fn accepting(accepting: i64) {
    crate::scoreboard::worker::set_accepting(accepting != 0);
}

/// `(rss, vsz)` of this process in bytes.
#[pyfunction]
fn mem() -> (u64, u64) {
    let pid = i32::try_from(std::process::id()).unwrap_or(0);
    crate::procmem::read(pid, false).map_or((0, 0), |m| (m.rss, m.vsz))
}

/// Microseconds since the epoch.
#[pyfunction]
fn micros() -> u64 {
    crate::scoreboard::now_us()
}

/// True: the app is loaded whenever its code runs.
#[pyfunction]
fn ready() -> bool {
    true
}

/// True in a spooler; None elsewhere, as uWSGI answers (`@lock` asks).
#[pyfunction]
fn i_am_the_spooler() -> Option<bool> {
    super::is_spooler().then_some(true)
}
