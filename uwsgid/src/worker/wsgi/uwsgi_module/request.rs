//! What concerns the request on the calling Python thread: its log
//! variables (`set_logvar`, `get_logvar`, feeding `%(NAME)` of
//! `log-format`), `log_this_request`, and `request_id`.

use std::cell::Cell;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyModule};

use crate::worker::logging::logvars;

thread_local! {
    /// The core (Python thread index) of the request this thread runs.
    static CORE: Cell<usize> = const { Cell::new(0) };
}

/// A request starts on this thread, as core `core`.
pub fn enter_request(core: usize) {
    CORE.with(|c| c.set(core));
}

pub fn add(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(set_logvar, m)?)?;
    m.add_function(wrap_pyfunction!(get_logvar, m)?)?;
    m.add_function(wrap_pyfunction!(log_this_request, m)?)?;
    m.add_function(wrap_pyfunction!(request_id, m)?)?;
    Ok(())
}

/// Sets `%(key)` of `log-format` for the current request's log line.
#[pyfunction]
fn set_logvar(key: &str, value: &str) {
    logvars::set(key, value);
}

/// The value `set_logvar` gave `key` in this request, as bytes; else None.
#[pyfunction]
fn get_logvar<'py>(py: Python<'py>, key: &str) -> Option<Bound<'py, PyBytes>> {
    logvars::get(key).map(|v| PyBytes::new(py, v.as_bytes()))
}

/// The current request gets a log line even when `disable-logging` (or
/// no condition) would leave it out.
#[pyfunction]
fn log_this_request() {
    logvars::force();
}

/// The number of requests this worker's core had finished when the
/// current one began (uWSGI's per-core counter).
#[pyfunction]
fn request_id() -> u64 {
    let core = CORE.with(Cell::get);
    crate::scoreboard::worker::board()
        .and_then(|board| board.slot(super::worker_id()))
        .and_then(|slot| slot.core_snapshots(core + 1).get(core).copied())
        .map_or(0, |c| c.requests)
}
