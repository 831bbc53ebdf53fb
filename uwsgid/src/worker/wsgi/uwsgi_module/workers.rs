//! `workers()` and `total_requests()`, read from the scoreboard: uWSGI's
//! per-worker dicts, with what uwsgid's scoreboard records.

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyModule, PyTuple};

use crate::scoreboard::{self, SlotSnapshot, WorkerSlot};

pub fn add(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(workers, m)?)?;
    m.add_function(wrap_pyfunction!(total_requests, m)?)?;
    Ok(())
}

/// The worker slots `numproc` counts: uWSGI reports those. (Slots beyond
/// it exist only while `uwsgictl scale` added workers.)
fn slots() -> impl Iterator<Item = (u32, &'static WorkerSlot)> {
    let board = scoreboard::worker::board();
    (1..=super::state().numproc).filter_map(move |id| Some((id, board?.slot(id)?)))
}

/// Requests served by every worker of the app since it started.
#[pyfunction]
fn total_requests() -> u64 {
    slots().map(|(_, slot)| slot.snapshot().requests).sum()
}

/// One dict per worker slot, in uWSGI's keys and order. Fields uwsgid does
/// not track (per-app pointers) are 0; `rss`/`vsz` are filled
/// when the worker reads them (`memory-report`, `reload-on-rss`), as in
/// uWSGI.
#[pyfunction]
fn workers(py: Python<'_>) -> PyResult<Bound<'_, PyTuple>> {
    let cores = usize::try_from(super::state().cores).unwrap_or(1);
    let dicts = slots()
        .map(|(id, slot)| worker_dict(py, id, &slot.snapshot(), busy(slot, cores)))
        .collect::<PyResult<Vec<_>>>()?;
    PyTuple::new(py, dicts)
}

fn busy(slot: &WorkerSlot, cores: usize) -> bool {
    slot.core_snapshots(cores).iter().any(|c| c.in_request)
}

fn worker_dict<'py>(
    py: Python<'py>,
    id: u32,
    s: &SlotSnapshot,
    busy: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let alive = s.pid > 0;
    // A slot never spawned reads as uWSGI's zeroed one.
    let spawned = s.respawns > 0;
    let d = PyDict::new(py);
    d.set_item("id", if spawned { id } else { 0 })?;
    d.set_item("pid", s.pid.max(0))?;
    d.set_item("requests", s.requests)?;
    d.set_item("delta_requests", s.delta_requests)?;
    d.set_item("signals", s.signals)?;
    d.set_item("exceptions", s.exceptions)?;
    let status: &[u8] = match (alive, busy) {
        (false, _) if spawned => b"cheap",
        (true, true) => b"busy",
        _ => b"idle",
    };
    d.set_item("status", PyBytes::new(py, status))?;
    d.set_item("rss", s.rss)?;
    d.set_item("vsz", s.vsz)?;
    d.set_item("running_time", s.running_time_us)?;
    d.set_item("last_spawn", s.last_spawn_us / 1_000_000)?;
    // uWSGI counts spawns from 1 and reports one less.
    d.set_item("respawn_count", s.respawns.wrapping_sub(1))?;
    d.set_item("tx", s.tx)?;
    d.set_item("avg_rt", s.avg_rt_us)?;
    let apps = if alive {
        PyTuple::new(py, [app_dict(py, s)?])?
    } else {
        PyTuple::empty(py)
    };
    d.set_item("apps", apps)?;
    Ok(d)
}

/// The one app of a worker.
fn app_dict<'py>(py: Python<'py>, s: &SlotSnapshot) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("id", 0)?;
    d.set_item("modifier1", 0)?;
    d.set_item("mountpoint", PyBytes::new(py, b""))?;
    d.set_item("startup_time", 0)?;
    d.set_item("interpreter", 0)?;
    d.set_item("callable", 0)?;
    d.set_item("requests", s.delta_requests)?;
    d.set_item("exceptions", s.exceptions)?;
    d.set_item("chdir", PyBytes::new(py, b""))?;
    Ok(d)
}
