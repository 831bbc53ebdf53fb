//! The spooler's functions, as uWSGI 2.0.31's Python 3 module has them:
//! `spool` (`send_to_spooler`) writes a task file (`worker/spooler/
//! write.rs`) and answers its path; `spooler_jobs`, `spooler_get_task`,
//! `spooler_pid`, `spooler_pids` (from the scoreboard, where the master
//! writes each spooler process's pid), `set_spooler_frequency`; and
//! `uwsgi.spoolers`, the directories. Keys and values are bytes, as in
//! uWSGI: a str key is refused with uWSGI's ValueError.

use std::path::PathBuf;
use std::sync::OnceLock;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyModule, PyTuple};

use crate::config::AppConfig;
use crate::log::log_line;
use crate::scoreboard::{self, MAX_SPOOLERS};
use crate::worker::spooler::{self, packet::Var, read, write};

/// What the functions read, fixed when the module is made.
struct Spoolers {
    /// Absolute directories, in `spooler =` order.
    dirs: Vec<PathBuf>,
    hostname: String,
    quiet: bool,
    processes: u32,
}

static SPOOLERS: OnceLock<Spoolers> = OnceLock::new();

fn spoolers() -> Option<&'static Spoolers> {
    SPOOLERS.get().filter(|s| !s.dirs.is_empty())
}

pub fn add(m: &Bound<'_, PyModule>, cfg: &AppConfig) -> PyResult<()> {
    let dirs: Vec<PathBuf> = cfg.spooler.dirs.iter().map(|d| absolute(d)).collect();
    if !dirs.is_empty() {
        let names = dirs
            .iter()
            .map(|d| PyBytes::new(m.py(), d.as_os_str().as_encoded_bytes()));
        m.add("spoolers", PyTuple::new(m.py(), names)?)?;
    }
    let _ = SPOOLERS.set(Spoolers {
        dirs,
        hostname: String::from_utf8_lossy(&super::attributes::hostname()).into_owned(),
        quiet: cfg.spooler.quiet,
        processes: cfg.spooler.total_processes(),
    });
    m.add_function(wrap_pyfunction!(spool, m)?)?;
    m.add("send_to_spooler", m.getattr("spool")?)?;
    m.add_function(wrap_pyfunction!(spooler_jobs, m)?)?;
    m.add_function(wrap_pyfunction!(spooler_get_task, m)?)?;
    m.add_function(wrap_pyfunction!(spooler_pid, m)?)?;
    m.add_function(wrap_pyfunction!(spooler_pids, m)?)?;
    m.add_function(wrap_pyfunction!(set_spooler_frequency, m)?)?;
    Ok(())
}

/// The directory as uWSGI names it (its real path), made first if it is
/// missing, as uWSGI makes it when it reads the option: a worker may
/// spool before the spooler process has started.
fn absolute(dir: &std::path::Path) -> PathBuf {
    match spooler::prepare_dir(dir) {
        Ok(real) => real,
        Err(err) => {
            log_line!("[spooler directory] access(): {err} [{}]", dir.display());
            std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf())
        }
    }
}

fn only_bytes() -> PyErr {
    PyValueError::new_err("spooler callable dictionary must contains only bytes")
}

/// Writes a task: `spool({b'key': b'value', ...})`; `body` (bytes) is
/// taken out of the dict and written after the vars.
#[pyfunction]
#[pyo3(signature = (*args, **kwargs))]
fn spool(
    py: Python<'_>,
    args: &Bound<'_, PyTuple>,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<Py<PyBytes>> {
    let not_a_dict =
        || PyValueError::new_err("The argument of spooler callable must be a dictionary");
    let dict = match args.get_item(0) {
        Ok(first) => first.cast_into::<PyDict>().map_err(|_| not_a_dict())?,
        Err(_) => kwargs.cloned().ok_or_else(not_a_dict)?,
    };
    let body = take_body(&dict)?;
    let vars = vars_of(&dict)?;
    let Some(spoolers) = spoolers() else {
        log_line!("[uwsgi-spooler] no spooler available");
        return Err(PyValueError::new_err("unable to spool job"));
    };
    let written = py.detach(|| write::spool(&spoolers.dirs, &spoolers.hostname, &vars, &body));
    match written {
        Ok(done) => {
            if !spoolers.quiet {
                log_line!(
                    "[spooler] written {} bytes to file {}",
                    done.bytes,
                    done.path.display()
                );
            }
            Ok(PyBytes::new(py, done.path.as_os_str().as_encoded_bytes()).unbind())
        }
        Err(err) => {
            log_line!("{err}");
            Err(PyValueError::new_err("unable to spool job"))
        }
    }
}

/// uWSGI takes a bytes `body` out of the caller's dict.
fn take_body(dict: &Bound<'_, PyDict>) -> PyResult<Vec<u8>> {
    let py = dict.py();
    for key in [
        PyBytes::new(py, b"body").into_any(),
        "body".into_pyobject(py)?.into_any(),
    ] {
        if let Some(value) = dict.get_item(&key)?
            && let Ok(bytes) = value.cast::<PyBytes>()
        {
            let body = bytes.as_bytes().to_vec();
            dict.del_item(&key)?;
            return Ok(body);
        }
    }
    Ok(Vec::new())
}

/// Bytes keys; values bytes, or whatever `bytes(value)` accepts.
fn vars_of(dict: &Bound<'_, PyDict>) -> PyResult<Vec<Var>> {
    let mut vars = Vec::with_capacity(dict.len());
    for (key, value) in dict.iter() {
        let key = key.cast::<PyBytes>().map_err(|_| only_bytes())?;
        let value = match value.cast::<PyBytes>() {
            Ok(bytes) => bytes.as_bytes().to_vec(),
            Err(_) => object_bytes(&value).ok_or_else(only_bytes)?,
        };
        vars.push((key.as_bytes().to_vec(), value));
    }
    Ok(vars)
}

/// C's `PyObject_Bytes`, as uWSGI converts a value that is not bytes:
/// `__bytes__` or the buffer protocol (a bytearray, a memoryview); an int
/// or a str is refused, where `bytes(5)` would make five zero bytes.
fn object_bytes(value: &Bound<'_, PyAny>) -> Option<Vec<u8>> {
    let py = value.py();
    // SAFETY: a valid object pointer, with the GIL held; the new reference
    // (or the error) is owned by the Bound.
    let converted =
        unsafe { Bound::from_owned_ptr_or_err(py, pyo3::ffi::PyObject_Bytes(value.as_ptr())) };
    converted.ok()?.extract::<Vec<u8>>().ok()
}

/// The tasks waiting in the first spooler's directory (paths, bytes).
#[pyfunction]
fn spooler_jobs(py: Python<'_>) -> PyResult<Bound<'_, PyList>> {
    let jobs = PyList::empty(py);
    let Some(dir) = spoolers().and_then(|s| s.dirs.first()) else {
        return Ok(jobs);
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(jobs);
    };
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name();
        let is_task = name
            .as_encoded_bytes()
            .starts_with(write::TASK_PREFIX.as_bytes());
        if is_task && entry.file_type().is_ok_and(|t| t.is_file()) {
            let path = dir.join(name);
            jobs.append(PyBytes::new(py, path.as_os_str().as_encoded_bytes()))?;
        }
    }
    Ok(jobs)
}

/// The task at `path` as its callable would get it; None when it is gone,
/// running or not a task.
#[pyfunction]
fn spooler_get_task<'py>(py: Python<'py>, path: &str) -> PyResult<Option<Bound<'py, PyDict>>> {
    let path = std::path::Path::new(path);
    let Some(task) = py.detach(|| read::peek(path)) else {
        return Ok(None);
    };
    let dict = PyDict::new(py);
    dict.set_item(
        "spooler_task_name",
        PyBytes::new(py, path.as_os_str().as_encoded_bytes()),
    )?;
    for (k, v) in &task.vars {
        dict.set_item(PyBytes::new(py, k), PyBytes::new(py, v))?;
    }
    if !task.body.is_empty() {
        dict.set_item("body", PyBytes::new(py, &task.body))?;
    }
    Ok(Some(dict))
}

/// The pid of the first spooler process (0: none, or not started).
#[pyfunction]
fn spooler_pid() -> i32 {
    match (spoolers(), scoreboard::worker::board()) {
        (Some(_), Some(board)) => board.spooler_pid(0),
        _ => 0,
    }
}

/// The pid of every spooler process, in order (0 for one not running).
#[pyfunction]
fn spooler_pids() -> Vec<i32> {
    let (Some(s), Some(board)) = (spoolers(), scoreboard::worker::board()) else {
        return Vec::new();
    };
    let shown = s.processes.min(MAX_SPOOLERS as u32);
    (0..shown).map(|n| board.spooler_pid(n)).collect()
}

/// Sets every spooler's scan period, in seconds; answers True.
#[pyfunction]
fn set_spooler_frequency(freq: i64) -> bool {
    if let Some(board) = scoreboard::worker::board() {
        board.set_spooler_frequency(u32::try_from(freq.max(0)).unwrap_or(u32::MAX));
    }
    true
}
