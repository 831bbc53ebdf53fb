//! Keeping the zygote's memory shared with the workers it forks.
//!
//! A worker shares the zygote's pages copy-on-write until it writes to
//! one. CPython's cyclic garbage collector writes to the header of every
//! object it examines, so the first full collection in a worker copies
//! nearly every page of the imported app (measured: 9 MiB of a Flask
//! worker after one wrk run). `gc.freeze()` in the zygote, before each
//! fork, moves every object it has into the permanent generation, which
//! collections never examine; objects the worker creates are collected as
//! before. The Python documentation advises it for preforking servers.
//!
//! What changes for the app: a reference cycle made only of objects that
//! existed at fork time is never collected in a worker (it was alive when
//! the worker was born, and freeing it would copy its pages anyway), and
//! `gc.get_objects()` in a worker does not list frozen objects. An app can
//! call `gc.unfreeze()` to undo it.

use pyo3::prelude::*;

use crate::log::log_line;

/// Called in the zygote before each `fork(2)`: freezing is a constant-time
/// list splice, and objects made since the last fork are frozen too.
pub fn freeze_before_fork() {
    // SAFETY: a plain read of CPython's global state, callable at any time.
    if unsafe { pyo3::ffi::Py_IsInitialized() } == 0 {
        return;
    }
    Python::attach(|py| {
        let frozen = py.import("gc").and_then(|gc| gc.call_method0("freeze"));
        if let Err(err) = frozen {
            // Not fatal: the worker serves the same, it only shares less.
            log_line!("uwsgid: gc.freeze() before fork failed: {err}");
        }
    });
}
