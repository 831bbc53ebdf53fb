//! `sharedarea_read`, `_write`, the 8/16/32/64-bit reads and writes, the
//! 32/64-bit sums, `_rlock`/`_wlock`/`_unlock` and `_memoryview` on the
//! app's sharedareas (`crate::sharedarea`), with uWSGI 2.0.31's arguments,
//! answers and errors (`ValueError: error calling uwsgi_sharedarea_read()`
//! for an area or a range that does not exist). Numbers are native-endian
//! and signed when read back, as uWSGI's C reads them. Waits for an area's
//! lock without the GIL.

use pyo3::exceptions::{PyOverflowError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyModule, PyString};

use crate::sharedarea::{self, Area};

pub fn add(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(sharedarea_read, m)?)?;
    m.add_function(wrap_pyfunction!(sharedarea_write, m)?)?;
    m.add_function(wrap_pyfunction!(sharedarea_read8, m)?)?;
    m.add_function(wrap_pyfunction!(sharedarea_write8, m)?)?;
    m.add_function(wrap_pyfunction!(sharedarea_read16, m)?)?;
    m.add_function(wrap_pyfunction!(sharedarea_write16, m)?)?;
    m.add_function(wrap_pyfunction!(sharedarea_read32, m)?)?;
    m.add_function(wrap_pyfunction!(sharedarea_write32, m)?)?;
    m.add_function(wrap_pyfunction!(sharedarea_read64, m)?)?;
    m.add_function(wrap_pyfunction!(sharedarea_write64, m)?)?;
    m.add_function(wrap_pyfunction!(sharedarea_inc32, m)?)?;
    m.add_function(wrap_pyfunction!(sharedarea_dec32, m)?)?;
    m.add_function(wrap_pyfunction!(sharedarea_inc64, m)?)?;
    m.add_function(wrap_pyfunction!(sharedarea_dec64, m)?)?;
    m.add_function(wrap_pyfunction!(sharedarea_rlock, m)?)?;
    m.add_function(wrap_pyfunction!(sharedarea_wlock, m)?)?;
    m.add_function(wrap_pyfunction!(sharedarea_unlock, m)?)?;
    m.add_function(wrap_pyfunction!(sharedarea_memoryview, m)?)?;
    // uWSGI's other names for the same functions.
    for (alias, name) in [
        ("sharedarea_readbyte", "sharedarea_read8"),
        ("sharedarea_writebyte", "sharedarea_write8"),
        ("sharedarea_readlong", "sharedarea_read64"),
        ("sharedarea_writelong", "sharedarea_write64"),
        ("sharedarea_inclong", "sharedarea_inc64"),
    ] {
        m.add(alias, m.getattr(name)?)?;
    }
    Ok(())
}

/// uWSGI's error for a failed call of its C function `op`.
fn failed(op: &str) -> PyErr {
    PyValueError::new_err(format!("error calling uwsgi_sharedarea_{op}()"))
}

fn area(id: i64, op: &str) -> PyResult<&'static Area> {
    sharedarea::installed()
        .and_then(|a| a.get(id))
        .ok_or_else(|| failed(op))
}

/// A position as uWSGI's `L` reads it into an unsigned 64-bit: a negative
/// one is far out of any area.
fn at(pos: i64) -> u64 {
    pos as u64
}

fn check(ok: bool, op: &str) -> PyResult<()> {
    if ok { Ok(()) } else { Err(failed(op)) }
}

#[pyfunction]
#[pyo3(signature = (id, pos, len = 0, /))]
fn sharedarea_read<'py>(
    py: Python<'py>,
    id: i64,
    pos: i64,
    len: i64,
) -> PyResult<Bound<'py, PyBytes>> {
    let area = area(id, "read")?;
    let bytes = py
        .detach(|| area.read(at(pos), len as u64))
        .ok_or_else(|| failed("read"))?;
    Ok(PyBytes::new(py, &bytes))
}

#[pyfunction]
#[pyo3(signature = (id, pos, data, /))]
fn sharedarea_write(py: Python<'_>, id: i64, pos: i64, data: &Bound<'_, PyAny>) -> PyResult<()> {
    let area = area(id, "write")?;
    let bytes: &[u8] = match data.cast::<PyString>() {
        Ok(s) => s.to_str()?.as_bytes(),
        Err(_) => data.cast::<PyBytes>()?.as_bytes(),
    };
    check(py.detach(|| area.write(at(pos), bytes)), "write")
}

/// Reads `N` native-endian bytes for `op`.
fn read_n<const N: usize>(py: Python<'_>, id: i64, pos: i64, op: &str) -> PyResult<[u8; N]> {
    let area = area(id, op)?;
    py.detach(|| area.read_array::<N>(at(pos)))
        .ok_or_else(|| failed(op))
}

fn write_n(py: Python<'_>, id: i64, pos: i64, bytes: &[u8], op: &str) -> PyResult<()> {
    let area = area(id, op)?;
    check(py.detach(|| area.write(at(pos), bytes)), op)
}

#[pyfunction]
#[pyo3(signature = (id, pos, /))]
fn sharedarea_read8(py: Python<'_>, id: i64, pos: i64) -> PyResult<i8> {
    read_n::<1>(py, id, pos, "read8").map(i8::from_ne_bytes)
}

/// The value is one unsigned byte, as uWSGI's `b` format takes it (with
/// CPython's messages), and reads back signed.
#[pyfunction]
#[pyo3(signature = (id, pos, value, /))]
fn sharedarea_write8(py: Python<'_>, id: i64, pos: i64, value: i64) -> PyResult<()> {
    let byte = match u8::try_from(value) {
        Ok(byte) => byte,
        Err(_) if value < 0 => {
            return Err(PyOverflowError::new_err(
                "unsigned byte integer is less than minimum",
            ));
        }
        Err(_) => {
            return Err(PyOverflowError::new_err(
                "unsigned byte integer is greater than maximum",
            ));
        }
    };
    write_n(py, id, pos, &[byte], "write8")
}

#[pyfunction]
#[pyo3(signature = (id, pos, /))]
fn sharedarea_read16(py: Python<'_>, id: i64, pos: i64) -> PyResult<i16> {
    read_n::<2>(py, id, pos, "read16").map(i16::from_ne_bytes)
}

/// uWSGI's `I` format: any int, its low bits kept.
#[pyfunction]
#[pyo3(signature = (id, pos, value, /))]
fn sharedarea_write16(py: Python<'_>, id: i64, pos: i64, value: i64) -> PyResult<()> {
    write_n(py, id, pos, &(value as u16).to_ne_bytes(), "write16")
}

#[pyfunction]
#[pyo3(signature = (id, pos, /))]
fn sharedarea_read32(py: Python<'_>, id: i64, pos: i64) -> PyResult<i32> {
    read_n::<4>(py, id, pos, "read32").map(i32::from_ne_bytes)
}

#[pyfunction]
#[pyo3(signature = (id, pos, value, /))]
fn sharedarea_write32(py: Python<'_>, id: i64, pos: i64, value: i64) -> PyResult<()> {
    write_n(py, id, pos, &(value as u32).to_ne_bytes(), "write32")
}

#[pyfunction]
#[pyo3(signature = (id, pos, /))]
fn sharedarea_read64(py: Python<'_>, id: i64, pos: i64) -> PyResult<i64> {
    read_n::<8>(py, id, pos, "read64").map(i64::from_ne_bytes)
}

#[pyfunction]
#[pyo3(signature = (id, pos, value, /))]
fn sharedarea_write64(py: Python<'_>, id: i64, pos: i64, value: i64) -> PyResult<()> {
    write_n(py, id, pos, &value.to_ne_bytes(), "write64")
}

/// Adds `delta` to the `N`-byte number at `pos` for `op`.
fn sum<const N: usize>(py: Python<'_>, id: i64, pos: i64, delta: i64, op: &str) -> PyResult<()> {
    let area = area(id, op)?;
    check(py.detach(|| area.add::<N>(at(pos), delta)), op)
}

#[pyfunction]
#[pyo3(signature = (id, pos, value = 1, /))]
fn sharedarea_inc32(py: Python<'_>, id: i64, pos: i64, value: i32) -> PyResult<()> {
    sum::<4>(py, id, pos, i64::from(value), "inc32")
}

#[pyfunction]
#[pyo3(signature = (id, pos, value = 1, /))]
fn sharedarea_dec32(py: Python<'_>, id: i64, pos: i64, value: i32) -> PyResult<()> {
    sum::<4>(py, id, pos, -i64::from(value), "dec32")
}

#[pyfunction]
#[pyo3(signature = (id, pos, value = 1, /))]
fn sharedarea_inc64(py: Python<'_>, id: i64, pos: i64, value: i64) -> PyResult<()> {
    sum::<8>(py, id, pos, value, "inc64")
}

#[pyfunction]
#[pyo3(signature = (id, pos, value = 1, /))]
fn sharedarea_dec64(py: Python<'_>, id: i64, pos: i64, value: i64) -> PyResult<()> {
    sum::<8>(py, id, pos, value.wrapping_neg(), "dec64")
}

#[pyfunction]
#[pyo3(signature = (id, /))]
fn sharedarea_rlock(py: Python<'_>, id: i64) -> PyResult<()> {
    let area = area(id, "rlock")?;
    py.detach(|| area.lock());
    Ok(())
}

#[pyfunction]
#[pyo3(signature = (id, /))]
fn sharedarea_wlock(py: Python<'_>, id: i64) -> PyResult<()> {
    let area = area(id, "wlock")?;
    py.detach(|| area.lock());
    Ok(())
}

#[pyfunction]
#[pyo3(signature = (id, /))]
fn sharedarea_unlock(id: i64) -> PyResult<()> {
    area(id, "unlock")?.unlock();
    Ok(())
}

/// A writable memoryview of the whole area; reads and writes through it
/// take no lock (use `sharedarea_wlock`), as in uWSGI.
#[pyfunction]
#[pyo3(signature = (id, /))]
fn sharedarea_memoryview(py: Python<'_>, id: i64) -> PyResult<Py<PyAny>> {
    let Some(area) = sharedarea::installed().and_then(|a| a.get(id)) else {
        return Err(PyValueError::new_err(format!(
            "cannot get a memoryview object from sharedarea {id}"
        )));
    };
    let (data, len) = area.memory();
    let len = pyo3::ffi::Py_ssize_t::try_from(len)
        .map_err(|_| PyValueError::new_err("the sharedarea is too large"))?;
    // SAFETY: the area stays mapped for the life of the process (the
    // areas are installed in a static), so the view never outlives it.
    unsafe {
        let view =
            pyo3::ffi::PyMemoryView_FromMemory(data.as_ptr().cast(), len, pyo3::ffi::PyBUF_WRITE);
        Bound::from_owned_ptr_or_err(py, view).map(Bound::unbind)
    }
}
