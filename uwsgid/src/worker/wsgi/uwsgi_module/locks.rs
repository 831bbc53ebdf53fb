//! `lock`, `unlock`, `is_locked`: the app's user locks 0 ..= `locks`, in
//! the scoreboard, shared by the zygote and every worker of every
//! generation (not a spooler's: uWSGI refuses them there). A waiter waits
//! without the GIL.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyModule;

use crate::scoreboard::{self, MAX_USER_LOCKS, UserLocks};

// Every lock `locks = N` allows has a word in the scoreboard.
const _: () = assert!((crate::config::MAX_LOCKS as usize) < MAX_USER_LOCKS);

pub fn add(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(lock, m)?)?;
    m.add_function(wrap_pyfunction!(unlock, m)?)?;
    m.add_function(wrap_pyfunction!(is_locked, m)?)?;
    Ok(())
}

/// The locks and the checked lock number. A spooler may not use them, as
/// in uWSGI.
fn user_lock(lock_num: i64) -> PyResult<(&'static UserLocks, usize)> {
    if super::is_spooler() {
        return Err(PyValueError::new_err(
            "The spooler cannot lock/unlock resources",
        ));
    }
    let max = i64::from(super::state().locks);
    if !(0..=max).contains(&lock_num) {
        return Err(PyValueError::new_err("Invalid lock number"));
    }
    let board = scoreboard::worker::board().ok_or_else(|| {
        PyValueError::new_err("the user locks are unavailable: this process has no scoreboard")
    })?;
    Ok((board.locks(), usize::try_from(lock_num).unwrap_or(0)))
}

/// Takes user lock `lock_num`, waiting for it without the GIL.
#[pyfunction]
#[pyo3(signature = (lock_num = 0))]
fn lock(py: Python<'_>, lock_num: i64) -> PyResult<()> {
    let (locks, n) = user_lock(lock_num)?;
    py.detach(|| locks.lock(n));
    Ok(())
}

/// Releases user lock `lock_num` (if this thread holds it).
#[pyfunction]
#[pyo3(signature = (lock_num = 0))]
fn unlock(lock_num: i64) -> PyResult<()> {
    let (locks, n) = user_lock(lock_num)?;
    locks.unlock(n);
    Ok(())
}

/// Whether user lock `lock_num` is held.
#[pyfunction]
#[pyo3(signature = (lock_num = 0))]
fn is_locked(lock_num: i64) -> PyResult<bool> {
    let (locks, n) = user_lock(lock_num)?;
    Ok(locks.is_locked(n))
}
