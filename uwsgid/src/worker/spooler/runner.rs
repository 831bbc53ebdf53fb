//! Running one task in Python, as uWSGI's `uwsgi_python_spooler`: the
//! callable `uwsgi.spooler` (set by the app, or by `uwsgidecorators`) gets
//! a dict of the task's vars (bytes keys and values), plus
//! `'spooler_task_name'` (the file's name, bytes) and `'body'` (bytes)
//! when the task has one. Its answer decides the file's fate.

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyInt};

use super::packet::Task;
use crate::log::log_line;

/// uWSGI's return codes (`uwsgi.SPOOL_OK`, `SPOOL_RETRY`, `SPOOL_IGNORE`).
const SPOOL_OK: i64 = -2;
const SPOOL_IGNORE: i64 = 0;

/// What became of a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// `SPOOL_OK`: the file is deleted.
    Done,
    /// `SPOOL_RETRY`, an exception, or an answer that is not an int: the
    /// file stays and runs again on a later scan.
    Retry,
    /// `SPOOL_IGNORE`, or no `uwsgi.spooler`: the file stays, uWSGI's
    /// "unable to find the spooler function" is logged.
    Ignored,
}

/// Calls `uwsgi.spooler` with the task named `name`.
pub fn run(name: &str, task: &Task) -> Outcome {
    Python::attach(|py| {
        let hook = match py.import("uwsgi").and_then(|m| m.getattr_opt("spooler")) {
            Ok(Some(hook)) if !hook.is_none() => hook,
            _ => return Outcome::Ignored,
        };
        match task_dict(py, name, task).and_then(|d| hook.call1((d,))) {
            Ok(ret) => outcome_of(&ret),
            Err(err) => {
                err.display(py);
                Outcome::Retry
            }
        }
    })
}

fn outcome_of(ret: &Bound<'_, PyAny>) -> Outcome {
    if !ret.is_instance_of::<PyInt>() {
        return Outcome::Retry;
    }
    match ret.extract::<i64>() {
        Ok(SPOOL_OK) => Outcome::Done,
        Ok(SPOOL_IGNORE) => Outcome::Ignored,
        _ => Outcome::Retry,
    }
}

fn task_dict<'py>(py: Python<'py>, name: &str, task: &Task) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    dict.set_item("spooler_task_name", PyBytes::new(py, name.as_bytes()))?;
    for (k, v) in &task.vars {
        dict.set_item(PyBytes::new(py, k), PyBytes::new(py, v))?;
    }
    if !task.body.is_empty() {
        dict.set_item("body", PyBytes::new(py, &task.body))?;
    }
    Ok(dict)
}

/// `spooler-import`: each module (or `.py` file, by path) imported in the
/// spooler before its first task; a failure is logged and the next goes
/// on, as in uWSGI.
pub fn import_modules(imports: &[String]) {
    if imports.is_empty() {
        return;
    }
    Python::attach(|py| {
        for name in imports {
            let result = if name.contains('/') || name.ends_with(".py") {
                import_file(py, name)
            } else {
                py.import(name.as_str()).map(drop)
            };
            if let Err(err) = result {
                log_line!("uwsgid: spooler-import {name}: cannot import it");
                err.display(py);
            }
        }
    });
}

const IMPORT_FILE: &std::ffi::CStr = c"
import importlib.util, sys
spec = importlib.util.spec_from_file_location(NAME, PATH)
module = importlib.util.module_from_spec(spec)
sys.modules[NAME] = module
spec.loader.exec_module(module)
";

/// uWSGI's `uwsgi_pyimport_by_filename`: the module's name is the path
/// with `/` and `.` made `_`, less its `.py`.
fn import_file(py: Python<'_>, path: &str) -> PyResult<()> {
    let name: String = path
        .strip_suffix(".py")
        .unwrap_or(path)
        .chars()
        .map(|c| if c == '/' || c == '.' { '_' } else { c })
        .collect();
    let globals = PyDict::new(py);
    globals.set_item("NAME", name)?;
    globals.set_item("PATH", path)?;
    py.run(IMPORT_FILE, Some(&globals), None)
}
