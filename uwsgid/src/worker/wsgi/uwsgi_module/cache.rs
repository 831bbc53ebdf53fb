//! `cache_get`, `cache_set`, `cache_update`, `cache_del`, `cache_exists`,
//! `cache_clear`, `cache_keys`, `cache_num` and `cache_inc`/`dec`/`mul`/
//! `div` on the app's shared caches (`crate::cache`), with uWSGI 2.0.31's
//! arguments and answers: True or None rather than exceptions, bytes
//! values, a 64-bit native number for the math functions. Keys and values
//! are `str` (UTF-8) or `bytes`; the cache name, a `str`, picks a cache
//! (the first one when absent or empty); a name with `@` (uWSGI's remote
//! caches) finds no cache. Every call waits for the cache's lock without
//! the GIL.

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyList, PyMemoryView, PyModule, PyString};

use crate::cache::{self, Cache, MathOp, Mode};

pub fn add(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(cache_get, m)?)?;
    m.add_function(wrap_pyfunction!(cache_set, m)?)?;
    m.add_function(wrap_pyfunction!(cache_update, m)?)?;
    m.add_function(wrap_pyfunction!(cache_del, m)?)?;
    m.add_function(wrap_pyfunction!(cache_exists, m)?)?;
    m.add_function(wrap_pyfunction!(cache_clear, m)?)?;
    m.add_function(wrap_pyfunction!(cache_keys, m)?)?;
    m.add_function(wrap_pyfunction!(cache_num, m)?)?;
    m.add_function(wrap_pyfunction!(cache_inc, m)?)?;
    m.add_function(wrap_pyfunction!(cache_dec, m)?)?;
    m.add_function(wrap_pyfunction!(cache_mul, m)?)?;
    m.add_function(wrap_pyfunction!(cache_div, m)?)?;
    Ok(())
}

/// The cache a name picks, if the app has it.
fn pick(name: Option<&str>) -> Option<&'static Cache> {
    cache::installed()?.get(name)
}

/// A key or value as uWSGI's `s#` takes it: `str` as UTF-8, or `bytes`.
pub(super) fn bytes_of<'a>(obj: &'a Bound<'_, PyAny>, func: &str, arg: u8) -> PyResult<&'a [u8]> {
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(s.to_str()?.as_bytes());
    }
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(b.as_bytes());
    }
    // uWSGI's (CPython's `s#`) two messages.
    let kind = obj.get_type().name()?;
    if obj.is_instance_of::<PyByteArray>() || obj.is_instance_of::<PyMemoryView>() {
        return Err(PyTypeError::new_err(format!(
            "{func}() argument {arg} must be read-only bytes-like object, not {kind}"
        )));
    }
    Err(PyTypeError::new_err(format!(
        "a bytes-like object is required, not '{kind}'"
    )))
}

/// True, or None (uWSGI's answers).
fn flag(py: Python<'_>, ok: bool) -> Py<PyAny> {
    if ok {
        true.into_pyobject(py)
            .map_or_else(|_| py.None(), |b| b.to_owned().into_any().unbind())
    } else {
        py.None()
    }
}

/// An expiry as uWSGI's C reads it: a negative one wraps (already past).
fn secs(expires: i64) -> u64 {
    expires as u64
}

#[pyfunction]
#[pyo3(signature = (key, cache = None, /))]
fn cache_get<'py>(
    py: Python<'py>,
    key: &Bound<'py, PyAny>,
    cache: Option<&str>,
) -> PyResult<Option<Bound<'py, PyBytes>>> {
    let key = bytes_of(key, "cache_get", 1)?;
    let value = py.detach(|| pick(cache).and_then(|c| c.get(key)));
    Ok(value.map(|v| PyBytes::new(py, &v)))
}

fn set_with(
    py: Python<'_>,
    func: &str,
    args: (&Bound<'_, PyAny>, &[u8], i64, Option<&str>),
    mode: Mode,
) -> PyResult<Py<PyAny>> {
    let (key, value, expires, cache) = args;
    let key = bytes_of(key, func, 1)?;
    let ok = py.detach(|| pick(cache).is_some_and(|c| c.set(key, value, secs(expires), mode)));
    Ok(flag(py, ok))
}

#[pyfunction]
#[pyo3(signature = (key, value, expires = 0, cache = None, /))]
fn cache_set(
    py: Python<'_>,
    key: &Bound<'_, PyAny>,
    value: &Bound<'_, PyAny>,
    expires: i64,
    cache: Option<&str>,
) -> PyResult<Py<PyAny>> {
    let value = bytes_of(value, "cache_set", 2)?;
    set_with(py, "cache_set", (key, value, expires, cache), Mode::Set)
}

#[pyfunction]
#[pyo3(signature = (key, value, expires = 0, cache = None, /))]
fn cache_update(
    py: Python<'_>,
    key: &Bound<'_, PyAny>,
    value: &Bound<'_, PyAny>,
    expires: i64,
    cache: Option<&str>,
) -> PyResult<Py<PyAny>> {
    let value = bytes_of(value, "cache_update", 2)?;
    set_with(
        py,
        "cache_update",
        (key, value, expires, cache),
        Mode::Update,
    )
}

fn math(
    py: Python<'_>,
    func: &str,
    args: (&Bound<'_, PyAny>, i64, i64, Option<&str>),
    op: MathOp,
) -> PyResult<Py<PyAny>> {
    let (key, delta, expires, cache) = args;
    let delta = delta.to_ne_bytes();
    set_with(py, func, (key, &delta, expires, cache), Mode::Math(op))
}

#[pyfunction]
#[pyo3(signature = (key, value = 1, expires = 0, cache = None, /))]
fn cache_inc(
    py: Python<'_>,
    key: &Bound<'_, PyAny>,
    value: i64,
    expires: i64,
    cache: Option<&str>,
) -> PyResult<Py<PyAny>> {
    math(py, "cache_inc", (key, value, expires, cache), MathOp::Inc)
}

#[pyfunction]
#[pyo3(signature = (key, value = 1, expires = 0, cache = None, /))]
fn cache_dec(
    py: Python<'_>,
    key: &Bound<'_, PyAny>,
    value: i64,
    expires: i64,
    cache: Option<&str>,
) -> PyResult<Py<PyAny>> {
    math(py, "cache_dec", (key, value, expires, cache), MathOp::Dec)
}

#[pyfunction]
#[pyo3(signature = (key, value = 2, expires = 0, cache = None, /))]
fn cache_mul(
    py: Python<'_>,
    key: &Bound<'_, PyAny>,
    value: i64,
    expires: i64,
    cache: Option<&str>,
) -> PyResult<Py<PyAny>> {
    math(py, "cache_mul", (key, value, expires, cache), MathOp::Mul)
}

#[pyfunction]
#[pyo3(signature = (key, value = 2, expires = 0, cache = None, /))]
fn cache_div(
    py: Python<'_>,
    key: &Bound<'_, PyAny>,
    value: i64,
    expires: i64,
    cache: Option<&str>,
) -> PyResult<Py<PyAny>> {
    math(py, "cache_div", (key, value, expires, cache), MathOp::Div)
}

/// The number stored under `key` (8 bytes), else 0.
#[pyfunction]
#[pyo3(signature = (key, cache = None, /))]
fn cache_num(py: Python<'_>, key: &Bound<'_, PyAny>, cache: Option<&str>) -> PyResult<i64> {
    let key = bytes_of(key, "cache_num", 1)?;
    let value = py.detach(|| pick(cache).and_then(|c| c.get(key)));
    Ok(value
        .and_then(|v| <[u8; 8]>::try_from(v.as_slice()).ok())
        .map_or(0, i64::from_ne_bytes))
}

#[pyfunction]
#[pyo3(signature = (key, cache = None, /))]
fn cache_del(py: Python<'_>, key: &Bound<'_, PyAny>, cache: Option<&str>) -> PyResult<Py<PyAny>> {
    let key = bytes_of(key, "cache_del", 1)?;
    let ok = py.detach(|| pick(cache).is_some_and(|c| c.delete(key)));
    Ok(flag(py, ok))
}

#[pyfunction]
#[pyo3(signature = (key, cache = None, /))]
fn cache_exists(
    py: Python<'_>,
    key: &Bound<'_, PyAny>,
    cache: Option<&str>,
) -> PyResult<Py<PyAny>> {
    let key = bytes_of(key, "cache_exists", 1)?;
    let ok = py.detach(|| pick(cache).is_some_and(|c| c.exists(key)));
    Ok(flag(py, ok))
}

/// Empties a cache: True, or None when there is no such cache.
#[pyfunction]
#[pyo3(signature = (cache = None, /))]
fn cache_clear(py: Python<'_>, cache: Option<&str>) -> Py<PyAny> {
    let ok = py.detach(|| pick(cache).map(Cache::clear).is_some());
    flag(py, ok)
}

#[pyfunction]
#[pyo3(signature = (cache = None, /))]
fn cache_keys<'py>(py: Python<'py>, cache: Option<&str>) -> PyResult<Bound<'py, PyList>> {
    let Some(found) = pick(cache) else {
        return Err(PyValueError::new_err("no local uWSGI cache available"));
    };
    let keys = py.detach(|| found.keys());
    PyList::new(py, keys.iter().map(|k| PyBytes::new(py, k)))
}
